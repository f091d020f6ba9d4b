// TLS keys of a debuggee: the NSS key log it writes (Node's --tls-keylog, SSLKEYLOGFILE for
// OpenSSL/NSS/Go/rustls programs), read as it grows, each line checked, and handed to the saved
// pcapng as a Decryption Secrets Block so Wireshark and tshark decrypt without setup. The file
// lives in a folder of its own, readable by its owner only, removed with the capture. No VS Code here.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decryptionSecretsSize, SECRETS_TLS_KEY_LOG, writeDecryptionSecrets } from '../../packet/pcapng.js';

/** The labels of the NSS key log format with the length of their secret in hex digits. */
const LABELS = new Map<string, { randomHex: number; secretHex: readonly number[] }>([
  ['CLIENT_RANDOM', { randomHex: 64, secretHex: [96] }], // TLS 1.2 master secret
  ['RSA', { randomHex: 16, secretHex: [96] }], // encrypted pre-master prefix → pre-master
  // TLS 1.3 secrets: SHA-256, SHA-384 or SHA-512 sized.
  ...[
    'CLIENT_EARLY_TRAFFIC_SECRET',
    'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
    'SERVER_HANDSHAKE_TRAFFIC_SECRET',
    'CLIENT_TRAFFIC_SECRET_0',
    'SERVER_TRAFFIC_SECRET_0',
    'EARLY_EXPORTER_SECRET',
    'EXPORTER_SECRET',
  ].map((l) => [l, { randomHex: 64, secretHex: [64, 96, 128] }] as const),
]);

/** The longest valid line: a label, a 64-digit random and a 128-digit secret. */
export const MAX_KEY_LOG_LINE = 32 + 1 + 64 + 1 + 128;
/** Key log lines kept per capture: far more TLS sessions than a debugging session makes. */
export const MAX_KEY_LOG_LINES = 100_000;

const HEX = /^[0-9a-fA-F]+$/;

/** Whether `line` (without its newline) is a key log line Wireshark reads; anything else is dropped. */
export function isKeyLogLine(line: string): boolean {
  if (line.length > MAX_KEY_LOG_LINE) return false;
  const parts = line.split(' ');
  if (parts.length !== 3) return false;
  const [label, random, secret] = parts as [string, string, string];
  const shape = LABELS.get(label);
  return (
    shape !== undefined &&
    random.length === shape.randomHex &&
    HEX.test(random) &&
    shape.secretHex.includes(secret.length) &&
    HEX.test(secret)
  );
}

/** Splits appended text into lines: the valid ones, and what is left after the last newline. A
 *  remainder longer than any valid line is dropped (a hostile file gets no memory from us). */
export function takeKeyLogLines(pending: string, chunk: string): { lines: string[]; rest: string } {
  const text = pending + chunk;
  const pieces = text.split('\n');
  let rest = pieces.pop() ?? '';
  if (rest.length > MAX_KEY_LOG_LINE) rest = '';
  const lines = pieces.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)).filter(isKeyLogLine);
  return { lines, rest };
}

/** A private key log file and the valid lines read from it so far. */
export class KeyLog {
  private readonly lines: string[] = [];
  private readonly seen = new Set<string>();
  private offset = 0;
  private rest = '';
  private watcher?: fs.FSWatcher;
  private removed = false;

  private constructor(
    readonly folder: string,
    readonly file: string,
  ) {}

  /** A new empty key log in a folder of its own (0700), the file 0600, under `parent`. */
  static create(parent = os.tmpdir()): KeyLog {
    const folder = fs.mkdtempSync(path.join(parent, 'pcap-tls-keys-'));
    fs.chmodSync(folder, 0o700);
    const file = path.join(folder, 'keys.log');
    fs.closeSync(fs.openSync(file, 'wx', 0o600));
    const log = new KeyLog(folder, file);
    log.watch();
    return log;
  }

  /** Reads as the debuggee writes; read() also runs before the keys are used. */
  private watch(): void {
    try {
      this.watcher = fs.watch(this.file, () => this.read());
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      // No watching (a file system without events): read() at use still gets every key.
    }
  }

  /** Reads what was appended since the last read. */
  read(): void {
    if (this.removed) return;
    let fd: number | undefined;
    try {
      fd = fs.openSync(this.file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      const size = fs.fstatSync(fd).size;
      if (size < this.offset) this.offset = 0; // truncated: read it again
      const buffer = Buffer.alloc(Math.min(size - this.offset, 1 << 20));
      for (let n = -1; n !== 0 && this.lines.length < MAX_KEY_LOG_LINES; ) {
        n = buffer.length > 0 ? fs.readSync(fd, buffer, 0, buffer.length, this.offset) : 0;
        this.offset += n;
        const { lines, rest } = takeKeyLogLines(this.rest, buffer.subarray(0, n).toString('latin1'));
        this.rest = rest;
        for (const line of lines) this.keep(line);
      }
    } catch {
      // Gone or replaced by something we will not read: keep what we have.
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  private keep(line: string): void {
    if (this.seen.has(line) || this.lines.length >= MAX_KEY_LOG_LINES) return;
    this.seen.add(line);
    this.lines.push(line);
  }

  /** The valid lines read, in the order written. */
  get keys(): readonly string[] {
    return this.lines;
  }

  /** Client randoms (lower-case hex) of the TLS sessions whose keys are held. */
  clientRandoms(): Set<string> {
    return new Set(this.lines.filter((l) => !l.startsWith('RSA ')).map((l) => l.split(' ')[1]!.toLowerCase()));
  }

  /** Stops reading and removes the folder with the file; the keys read stay in memory. */
  remove(): void {
    if (this.removed) return;
    this.read();
    this.removed = true;
    this.watcher?.close();
    fs.rmSync(this.folder, { recursive: true, force: true });
  }
}

/** A DSB of NSS key log lines (secrets type TLSK), one per line, each ended by a newline. */
export function decryptionSecretsBlock(lines: readonly string[]): Uint8Array {
  const secrets = {
    secretsType: SECRETS_TLS_KEY_LOG,
    data: Buffer.from(lines.map((l) => `${l}\n`).join(''), 'latin1'),
  };
  const out = new Uint8Array(decryptionSecretsSize(secrets));
  writeDecryptionSecrets(out, 0, secrets);
  return out;
}
