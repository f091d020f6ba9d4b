/**
 * OpenSSH known_hosts checking for the host key an SSH server presents.
 *
 * Follows `man sshd` (SSH_KNOWN_HOSTS FILE FORMAT) and OpenSSH's hostfile.c:
 * markers, comma-separated patterns with `*`/`?`/`!`, `[host]:port` names,
 * hashed `|1|salt|hash` names. Keys are SSH wire-format blobs (what ssh2's
 * hostVerifier receives and what the base64 field of a line decodes to).
 *
 * Not covered: CheckHostIP (address lookups), @cert-authority / host
 * certificates, HostKeyAlias, KnownHostsCommand, UpdateHostKeys.
 *
 * Pure Node on purpose (no 'vscode'), so it is unit-testable against OpenSSH.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { matchesPatterns } from './ssh-patterns.js';

export interface KnownHostsFiles {
  user: string[];
  global: string[];
}

export type HostKeyVerdict =
  | { status: 'known'; file: string; line: number }
  | { status: 'unknown'; otherTypesKnown: string[] }
  | { status: 'changed'; file: string; line: number; keyType: string }
  | { status: 'revoked'; file: string; line: number };

export class KnownHostsError extends Error {
  override name = 'KnownHostsError';
}

type Marker = 'none' | 'revoked' | 'cert-authority';

/** One parsed, well-formed known_hosts line. */
interface Entry {
  file: string;
  line: number;
  marker: Marker;
  hosts: string;
  keyType: string;
  key: Buffer;
}

const HASH_MAGIC = '|1|';
const SHA1_LEN = 20;

// ---------------------------------------------------------------- key blobs

/** Reads one SSH `string` (uint32 length + bytes) at `offset`; null if it runs past the end. */
function readSshString(blob: Buffer, offset: number): { value: Buffer; next: number } | null {
  if (offset + 4 > blob.length) return null;
  const len = blob.readUInt32BE(offset);
  const next = offset + 4 + len;
  if (next > blob.length) return null;
  return { value: blob.subarray(offset + 4, next), next };
}

export function keyTypeOf(key: Buffer): string {
  const type = readSshString(key, 0);
  if (!type) throw new KnownHostsError('malformed SSH public key blob: truncated key type');
  const name = type.value.toString('latin1');
  if (!/^[\x21-\x7e]{1,64}$/.test(name)) throw new KnownHostsError('malformed SSH public key blob: bad key type name');
  // Certificates carry non-string fields (serial, type), so only plain keys get the structural check.
  if (!name.endsWith('-cert-v01@openssh.com')) checkPlainKeyFields(key, type.next);
  return name;
}

/** Plain public keys (RSA, DSA, ECDSA, Ed25519, SK) are type + one or more strings, nothing else. */
function checkPlainKeyFields(key: Buffer, offset: number): void {
  let fields = 0;
  for (let at = offset; at < key.length; fields++) {
    const field = readSshString(key, at);
    if (!field) throw new KnownHostsError('malformed SSH public key blob: truncated field');
    at = field.next;
  }
  if (fields === 0) throw new KnownHostsError('malformed SSH public key blob: no key data');
}

export function fingerprintSha256(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

// ---------------------------------------------------------------- names and patterns

/** The name OpenSSH looks up: bare for port 22, `[host]:port` otherwise. Lowercased, as ssh does. */
function lookupName(host: string, port: number): string {
  const name = host.toLowerCase();
  return port === 22 ? name : `[${name}]:${port}`;
}

function hashName(name: string, salt: Buffer): string {
  const mac = createHmac('sha1', salt).update(name).digest();
  return `${HASH_MAGIC}${salt.toString('base64')}|${mac.toString('base64')}`;
}

/** A hashed field matches when re-hashing the name with its salt reproduces it (as OpenSSH compares). */
function matchHashed(name: string, field: string): boolean {
  if (!field.startsWith(HASH_MAGIC)) return false;
  const rest = field.slice(HASH_MAGIC.length);
  const bar = rest.indexOf('|');
  if (bar <= 0) return false;
  const salt = decodeBase64(rest.slice(0, bar));
  if (!salt || salt.length !== SHA1_LEN) return false;
  return hashName(name, salt) === field;
}

function hostsMatch(name: string, hosts: string): boolean {
  return hosts.startsWith('|') ? matchHashed(name, hosts) : matchesPatterns(name, hosts.split(','), true);
}

// ---------------------------------------------------------------- parsing

/** Strict base64 (canonical round trip), like OpenSSH's b64_pton refusing junk. */
function decodeBase64(text: string): Buffer | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : null;
}

function parseMarker(word: string): Marker | null {
  if (word === '@revoked') return 'revoked';
  if (word === '@cert-authority') return 'cert-authority';
  return null;
}

/** Parses one line; null for blanks, comments and anything malformed (skipped, as OpenSSH does). */
function parseLine(text: string, file: string, line: number): Entry | null {
  const fields = text
    .replace(/\r$/, '')
    .split(/[ \t]+/)
    .filter((f) => f !== '');
  const first = fields[0];
  if (first === undefined || first.startsWith('#')) return null;
  let marker: Marker = 'none';
  if (first.startsWith('@')) {
    const parsed = parseMarker(first);
    if (!parsed) return null;
    marker = parsed;
    fields.shift();
  }
  const [hosts, textType, base64] = fields;
  if (!hosts || !textType || !base64) return null;
  const key = decodeBase64(base64);
  if (!key) return null;
  let keyType: string;
  try {
    keyType = keyTypeOf(key);
  } catch {
    return null;
  }
  // The blob's own type is authoritative; OpenSSH rejects lines whose text field disagrees.
  if (keyType !== textType) return null;
  return { file, line, marker, hosts, keyType, key };
}

/** Every well-formed line of a file. Unreadable or missing files have none, as in OpenSSH. */
function readEntries(file: string): Entry[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const entries: Entry[] = [];
  text.split('\n').forEach((raw, i) => {
    const entry = parseLine(raw, file, i + 1);
    if (entry) entries.push(entry);
  });
  return entries;
}

/** Entries for this host/port across all user files, then all global files, in file order. */
function matchingEntries(files: KnownHostsFiles, host: string, port: number): Entry[] {
  const name = lookupName(host, port);
  return [...files.user, ...files.global].flatMap(readEntries).filter((e) => hostsMatch(name, e.hosts));
}

// ---------------------------------------------------------------- public checks

export function checkHostKey(files: KnownHostsFiles, host: string, port: number, key: Buffer): HostKeyVerdict {
  const keyType = keyTypeOf(key);
  const entries = matchingEntries(files, host, port);
  const sameKey = (e: Entry): boolean => e.keyType === keyType && e.key.equals(key);

  const revoked = entries.find((e) => e.marker === 'revoked' && sameKey(e));
  if (revoked) return { status: 'revoked', file: revoked.file, line: revoked.line };

  // CA lines vouch for certificates only, never for plain host keys.
  const plain = entries.filter((e) => e.marker === 'none');
  const known = plain.find(sameKey);
  if (known) return { status: 'known', file: known.file, line: known.line };

  const changed = plain.find((e) => e.keyType === keyType);
  if (changed) return { status: 'changed', file: changed.file, line: changed.line, keyType };

  return { status: 'unknown', otherTypesKnown: distinctTypes(plain) };
}

export function knownKeyTypes(files: KnownHostsFiles, host: string, port: number): string[] {
  return distinctTypes(matchingEntries(files, host, port).filter((e) => e.marker === 'none'));
}

function distinctTypes(entries: Entry[]): string[] {
  return [...new Set(entries.map((e) => e.keyType))];
}

// ---------------------------------------------------------------- appending

export function appendKnownHost(
  file: string,
  host: string,
  port: number,
  key: Buffer,
  options: { hash: boolean },
): void {
  // Whitespace, commas or a leading marker/hash character would corrupt or change the meaning of the line.
  if (host === '' || /[\s,]/.test(host) || /^[@|!#]/.test(host)) {
    throw new KnownHostsError(`cannot record host name ${JSON.stringify(host)} in known_hosts`);
  }
  const name = lookupName(host, port);
  const hostField = options.hash ? hashName(name, randomBytes(SHA1_LEN)) : name;
  const line = `${hostField} ${keyTypeOf(key)} ${key.toString('base64')}\n`;

  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const fd = openSync(file, 'a+', 0o600);
  try {
    // One write, so the separator and line land together under O_APPEND.
    writeSync(fd, (endsWithNewline(fd) ? '' : '\n') + line);
  } finally {
    closeSync(fd);
  }
}

/** True for an empty file too: nothing to separate from. */
function endsWithNewline(fd: number): boolean {
  const size = fstatSync(fd).size;
  if (size === 0) return true;
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  return last[0] === 0x0a;
}
