// OpenSSH client configuration (ssh_config(5)) resolved the way `ssh -G` resolves it, so hosts, keys,
// known_hosts files and jump hosts are exactly the ones the user's own ssh would use. Pure Node (no
// 'vscode'), modelled on OpenSSH 9.2's readconf.c and ssh.c and checked against `ssh -G` by
// test/unit/ssh-config.test.ts.
//
// Deliberate differences from OpenSSH:
// - `Match exec` never matches, negated or not: we never run commands found in a config file. The
//   same goes for criteria of newer OpenSSH releases that cannot be evaluated here (localnetwork,
//   tagged, command, version, sessiontype).
// - Unknown keywords are ignored (ssh refuses them); only the options we expose are validated.
//   A byte-order mark is skipped (ssh refuses it) so that it cannot hide the first line.
// - No DNS: CanonicalizeHostname only triggers the final Match pass, CanonicalDomains are not applied.
// - Config files are not checked for ownership and permissions ("Bad owner or permissions").
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { matchesPatterns } from './ssh-patterns.js';

export class SshConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SshConfigError';
  }
}

export interface Destination {
  user?: string;
  host: string;
  port?: number;
}

export interface ResolveOptions {
  /** Default ~/.ssh/config; a missing default file is an empty config, a missing explicit one an error (like `ssh -F`). */
  configFile?: string;
  /** Default /etc/ssh/ssh_config, read after the user file like OpenSSH; '' skips it. */
  systemConfigFile?: string;
  /** Default os.homedir(). */
  homeDir?: string;
  /** Default os.userInfo().username. */
  localUser?: string;
  /** From `user@host` on the command line: wins over User and is seen by `Match user`, as in ssh. */
  user?: string;
  /** From `-p` / `host:port`: wins over Port and is seen by %p, as in ssh. */
  port?: number;
}

/** A ProxyCommand line: the command as written, and where, so a refusal can point at it. */
export interface ProxyCommandSetting {
  command: string;
  file: string;
  line: number;
}

export type StrictHostKeyChecking = 'yes' | 'no' | 'ask' | 'accept-new';

export interface SshHostConfig {
  /** What the user typed (OpenSSH's %n). */
  alias: string;
  /** HostName with tokens expanded, or the alias; lower-cased like ssh does. */
  hostname: string;
  user: string;
  port: number;
  /**
   * In `ssh -G` order, with ~, %-tokens and ${ENV} expanded; the default keys when none are
   * configured. Relative paths stay relative, as ssh resolves them against its working directory.
   */
  identityFiles: string[];
  identitiesOnly: boolean;
  /** IdentityAgent as set ('none', 'SSH_AUTH_SOCK', '$VAR' or a path with ~ and tokens expanded). */
  identityAgent?: string;
  /** Raw ProxyJump value (comment stripped); undefined when unset or 'none'. See parseProxyJump. */
  proxyJump?: string;
  /** A ProxyCommand in effect (not 'none', not overridden by an earlier ProxyJump), and where it was set. */
  proxyCommand?: ProxyCommandSetting;
  /** Expanded; [] for 'none'. */
  userKnownHostsFiles: string[];
  /** Not expanded (ssh 9.2 does not either); [] for 'none'. */
  globalKnownHostsFiles: string[];
  strictHostKeyChecking: StrictHostKeyChecking;
  hashKnownHosts: boolean;
  /** Undefined for 'none' (the default): the system's TCP timeout. */
  connectTimeoutSeconds?: number;
  passwordAuthentication: boolean;
  /** KbdInteractiveAuthentication or its alias ChallengeResponseAuthentication. */
  kbdInteractiveAuthentication: boolean;
  /** PubkeyAuthentication: 'unbound' and 'host-bound' count as enabled. */
  pubkeyAuthentication: boolean;
  serverAliveIntervalSeconds: number;
}

const DEFAULT_PORT = 22;
const MAX_PORT = 65535;
// OpenSSH's READCONF_MAX_DEPTH, SSH_MAX_IDENTITY_FILES and SSH_MAX_HOSTS_FILES.
const MAX_INCLUDE_DEPTH = 16;
const MAX_IDENTITY_FILES = 100;
const MAX_KNOWN_HOSTS_FILES = 32;
const MAX_SECONDS = 2 ** 31 - 1;
const DEFAULT_SYSTEM_CONFIG = '/etc/ssh/ssh_config';
const DEFAULT_IDENTITY_FILES = [
  'id_rsa',
  'id_ecdsa',
  'id_ecdsa_sk',
  'id_ed25519',
  'id_ed25519_sk',
  'id_xmss',
  'id_dsa',
].map((name) => `~/.ssh/${name}`);
const DEFAULT_USER_KNOWN_HOSTS = ['~/.ssh/known_hosts', '~/.ssh/known_hosts2'];
const DEFAULT_GLOBAL_KNOWN_HOSTS = ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'];

// ---------------------------------------------------------------------------------------------
// Destinations and ProxyJump

/** "user@host", "host:2222", "user@[::1]:2222", "ssh://user@host:port"; throws SshConfigError on bad input. */
export function parseDestination(text: string): Destination {
  const trimmed = text.trim();
  try {
    return parseHostSpec(trimmed, true);
  } catch (error) {
    throw new SshConfigError(`Invalid SSH destination "${trimmed}": ${reason(error)}`);
  }
}

/** ProxyJump "user@jump1:2222,jump2" → Destinations, in order; 'none' → []. */
export function parseProxyJump(value: string): Destination[] {
  const spec = stripTrailingComment(value);
  try {
    return parseJumpHosts(spec, true);
  } catch (error) {
    throw new SshConfigError(`Invalid ProxyJump "${spec}": ${reason(error)}`);
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function stripTrailingComment(value: string): string {
  const hash = value.indexOf('#');
  return (hash < 0 ? value : value.slice(0, hash)).trim();
}

function isNone(value: string): boolean {
  return value.toLowerCase() === 'none';
}

/** Strict mode adds the checks a user-typed destination needs; lenient mode is ssh's syntax check for config values. */
function parseJumpHosts(spec: string, strict: boolean): Destination[] {
  if (isNone(spec)) return [];
  return spec.split(',').map((hop) => parseHostSpec(hop, strict));
}

function parseHostSpec(text: string, strict: boolean): Destination {
  const destination = text.startsWith('ssh://')
    ? parseSshUri(text.slice('ssh://'.length), strict)
    : parseUserHostPort(text, strict);
  if (strict && !isValidHostname(destination.host))
    throw new Error(`host name "${destination.host}" contains characters ssh refuses`);
  if (strict && destination.user !== undefined && !isValidRemoteUser(destination.user)) {
    throw new Error(`user name "${destination.user}" contains characters ssh refuses`);
  }
  return destination;
}

/** OpenSSH's parse_user_host_port: the user is everything before the last '@'. */
function parseUserHostPort(text: string, strict: boolean): Destination {
  const at = text.lastIndexOf('@');
  const user = at < 0 ? undefined : text.slice(0, at);
  if (user === '') throw new Error('empty user name before "@"');
  const { host, portText } = splitHostAndPort(text.slice(at + 1));
  if (portText === '' && strict) throw new Error('missing port after ":"');
  return withOptionals({ host }, user, portText ? parsePortOrThrow(portText) : undefined);
}

/** ssh://[user[;params]@]host[:port][/], user percent-decoded (OpenSSH's parse_uri). */
function parseSshUri(rest: string, strict: boolean): Destination {
  const at = rest.indexOf('@');
  let user: string | undefined;
  if (at >= 0) {
    const userInfo = rest.slice(0, at).split(';')[0] ?? '';
    if (userInfo === '') throw new Error('empty user name in ssh:// URI');
    user = decodeUriComponentLikeSsh(userInfo);
  }
  const authority = rest.slice(at + 1);
  const slash = authority.indexOf('/', authority.startsWith('[') ? authority.indexOf(']') : 0);
  if (slash >= 0 && slash < authority.length - 1) throw new Error('ssh:// URIs cannot have a path');
  const { host, portText, bracketed } = splitHostAndPort(slash < 0 ? authority : authority.slice(0, slash));
  if (!bracketed && !isValidDomain(host)) throw new Error(`invalid host name "${host}" in ssh:// URI`);
  if (portText === '' && strict) throw new Error('missing port after ":"');
  return withOptionals({ host }, user, portText ? parsePortOrThrow(portText) : undefined);
}

function withOptionals(destination: Destination, user: string | undefined, port: number | undefined): Destination {
  if (user !== undefined) destination.user = user;
  if (port !== undefined) destination.port = port;
  return destination;
}

/** OpenSSH's hpdelim + cleanhostname: "[v6]:port" or "host:port". */
function splitHostAndPort(text: string): { host: string; portText: string | undefined; bracketed: boolean } {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) throw new Error('missing "]" after an IPv6 address');
    const after = text.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) throw new Error(`unexpected "${after}" after "]"`);
    const host = text.slice(1, close);
    if (host === '') throw new Error('missing host name');
    return { host, portText: after === '' ? undefined : after.slice(1), bracketed: true };
  }
  const colon = text.indexOf(':');
  const host = colon < 0 ? text : text.slice(0, colon);
  const portText = colon < 0 ? undefined : text.slice(colon + 1);
  if (host === '') throw new Error('missing host name');
  if (portText?.includes(':')) throw new Error(`IPv6 addresses need brackets, e.g. [${text}]:22`);
  if (host.includes('/')) throw new Error(`"/" is not allowed in a host name`);
  return { host, portText, bracketed: false };
}

/** OpenSSH's urldecode: '+' is a space, %XX a byte. */
function decodeUriComponentLikeSsh(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '+') bytes.push(0x20);
    else if (c === '%') {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new Error(`bad %-escape in "${text}"`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** OpenSSH's valid_domain(), applied to ssh:// hosts. */
function isValidDomain(host: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(host) && !host.includes('..');
}

// Names given on the command line that ssh (9.6, and Debian's 9.2 security update) refuses, because
// they could inject shell syntax through %h/%r in ProxyCommand and friends.
function isValidHostname(host: string): boolean {
  return host !== '' && !host.startsWith('-') && !/['`"$\\;&<>|(){}\s\p{Cc}]/u.test(host);
}

function isValidRemoteUser(user: string): boolean {
  return user !== '' && !user.startsWith('-') && !/['`";&<>|(){}]|\s-|\\$/.test(user);
}

// ---------------------------------------------------------------------------------------------
// Values

/** OpenSSH's a2port: 1-65535 or a TCP service name from /etc/services. */
function parsePort(text: string): number | undefined {
  if (/^\s*[+-]?\d+$/.test(text)) {
    const port = Number(text);
    if (port >= 1 && port <= MAX_PORT) return port;
  }
  return tcpServicePort(text);
}

function parsePortOrThrow(text: string): number {
  const port = parsePort(text);
  if (port === undefined) throw new Error(`bad port "${text}" (expected 1-${MAX_PORT} or a service name)`);
  return port;
}

let tcpServices: Map<string, number> | undefined;

function tcpServicePort(name: string): number | undefined {
  tcpServices ??= readTcpServices();
  return tcpServices.get(name);
}

function readTcpServices(): Map<string, number> {
  const ports = new Map<string, number>();
  let text = '';
  try {
    text = fs.readFileSync('/etc/services', 'utf8');
  } catch {
    return ports;
  }
  for (const line of text.split('\n')) {
    const [name, portAndProtocol, ...aliases] = line.replace(/#.*/, '').trim().split(/\s+/);
    const port = /^(\d+)\/tcp$/.exec(portAndProtocol ?? '')?.[1];
    if (!name || port === undefined) continue;
    for (const service of [name, ...aliases]) if (!ports.has(service)) ports.set(service, Number(port));
  }
  return ports;
}

const SECONDS_PER_UNIT: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** OpenSSH's convtime: "90", "1m30s", "1h"; a unit-less number only at the end. */
function parseSeconds(text: string): number | undefined {
  let total = 0;
  let rest = text;
  if (rest === '') return undefined;
  while (rest !== '') {
    const part = /^\s*([+-]?\d+)([smhdw]?)/i.exec(rest);
    if (!part) return undefined;
    const [whole, digits = '', unit = ''] = part;
    if (unit === '' && whole.length !== rest.length) return undefined;
    const value = Number(digits);
    if (value < 0) return undefined;
    total += value * (SECONDS_PER_UNIT[unit.toLowerCase()] ?? 1);
    if (total > MAX_SECONDS) return undefined;
    rest = rest.slice(whole.length);
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// Lines

interface ConfigLine {
  file: string;
  lineNumber: number;
  /** Lower-cased. */
  keyword: string;
  /** Unquoted arguments, comment removed. */
  args: string[];
  /** The text after the keyword, for the options ssh reads raw (ProxyJump, ProxyCommand). */
  rest: string;
}

function lineError(line: ConfigLine, message: string): SshConfigError {
  return new SshConfigError(`${line.file} line ${line.lineNumber}: ${message}`);
}

/** OpenSSH's keyword split: `Keyword value`, `Keyword=value` or `Keyword = value`. */
function tokenizeLine(text: string, file: string, lineNumber: number): ConfigLine | undefined {
  const line = text.replace(/[ \t\r\n\f]+$/, '');
  const head = /^[ \t\r\n]*([^ \t\r\n="]*)(?:=[ \t\r\n]*|[ \t\r\n]+(?:=[ \t\r\n]*)?)?/.exec(line);
  const keyword = head?.[1]?.toLowerCase() ?? '';
  // Unknown keywords are skipped unchecked (ssh refuses them): friendlier when listing hosts.
  if (!isHandledKeyword(keyword)) return undefined;
  const rest = line.slice(head?.[0].length ?? 0);
  const where = `${file} line ${lineNumber}`;
  if (rest === '') throw new SshConfigError(`${where}: no argument after keyword "${keyword}"`);
  const args = splitArguments(rest);
  if (args === undefined) throw new SshConfigError(`${where}: invalid quotes`);
  return { file, lineNumber, keyword, args, rest };
}

function isHandledKeyword(keyword: string): boolean {
  return keyword === 'host' || keyword === 'match' || keyword === 'include' || KEYWORDS.has(keyword);
}

/** OpenSSH's argv_split: ' and " quotes, backslash escapes, '#' starting a word ends the line. */
function splitArguments(text: string): string[] | undefined {
  const args: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '#') break;
    let quote = '';
    let arg = '';
    for (; i < text.length; i++) {
      const ch = text[i] as string;
      const next = text[i + 1];
      if (ch === '\\' && (next === "'" || next === '"' || next === '\\' || (quote === '' && next === ' '))) {
        arg += next;
        i++;
      } else if (quote === '' && (ch === ' ' || ch === '\t')) break;
      else if (quote === '' && (ch === '"' || ch === "'")) quote = ch;
      else if (quote !== '' && ch === quote) quote = '';
      else arg += ch;
    }
    if (quote !== '') return undefined;
    args.push(arg);
  }
  return args;
}

function singleArgument(line: ConfigLine): string {
  const [value, ...extra] = line.args;
  if (value === undefined || value === '') throw lineError(line, `missing argument for ${line.keyword}`);
  if (extra.length > 0) throw lineError(line, `keyword ${line.keyword} extra arguments at end of line`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Patterns

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function hasWildcard(pattern: string): boolean {
  return /[*?!]/.test(pattern);
}

// ---------------------------------------------------------------------------------------------
// Files and Include

interface Environment {
  homeDir: string;
  localUser: string;
  localHostname: string;
}

function environmentOf(options: ResolveOptions): Environment {
  return {
    homeDir: options.homeDir ?? os.homedir(),
    localUser: options.localUser ?? os.userInfo().username,
    localHostname: os.hostname(),
  };
}

/** undefined when the file does not exist; a directory reads as empty, like ssh's fopen+getline. */
function readConfigText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'EISDIR') return '';
    throw new SshConfigError(`Can't open SSH config file ${file}: ${reason(error)}`);
  }
}

function tokenizeFile(file: string, text: string): ConfigLine[] {
  const lines: ConfigLine[] = [];
  // ssh refuses a byte-order mark; as we skip unknown keywords, it would silently drop the first line.
  text
    .replace(/^\uFEFF/, '')
    .split('\n')
    .forEach((raw, index) => {
      const line = tokenizeLine(raw, file, index + 1);
      if (line) lines.push(line);
    });
  return lines;
}

function userConfigPath(options: ResolveOptions, env: Environment): { file: string; required: boolean } {
  if (options.configFile === undefined) return { file: path.join(env.homeDir, '.ssh', 'config'), required: false };
  return {
    file: options.configFile.startsWith('~') ? expandTilde(options.configFile, env) : options.configFile,
    required: true,
  };
}

function readTopLevelConfig(file: string, required: boolean): ConfigLine[] {
  const text = readConfigText(file);
  if (text === undefined && required) throw new SshConfigError(`Can't open SSH config file ${file}: it does not exist`);
  return tokenizeFile(file, text ?? '');
}

function assertIncludeDepth(line: ConfigLine, depth: number): void {
  if (depth > MAX_INCLUDE_DEPTH)
    throw lineError(line, `too many recursive configuration includes (more than ${MAX_INCLUDE_DEPTH})`);
}

/** The files an Include line names, each argument globbed and sorted as glob(3) does. */
function includedFiles(line: ConfigLine, userConfig: boolean, env: Environment): string[] {
  if (line.args.length === 0) throw lineError(line, 'missing argument for include');
  return line.args.flatMap((arg) => {
    if (arg === '') throw lineError(line, 'empty include path');
    if (arg.startsWith('~') && !userConfig)
      throw lineError(line, `bad include path ${arg} (~ is only allowed in user configuration)`);
    // Relative includes live in ~/.ssh for user configs and /etc/ssh for system ones.
    const anchored = path.isAbsolute(arg) || arg.startsWith('~') ? arg : `${userConfig ? '~/.ssh' : '/etc/ssh'}/${arg}`;
    const pattern = expandGlobTilde(anchored, env);
    return pattern === undefined ? [] : globFiles(pattern);
  });
}

/** GLOB_TILDE: like ssh's tilde expansion, but an unknown ~user simply matches nothing. */
function expandGlobTilde(pattern: string, env: Environment): string | undefined {
  try {
    return pattern.startsWith('~') ? expandTilde(pattern, env) : pattern;
  } catch {
    return undefined;
  }
}

/** A small glob(3): `*`, `?`, `[...]` and `\` escapes per path segment; wildcards skip dot files. */
function globFiles(pattern: string): string[] {
  let candidates = [pattern.startsWith('/') ? '/' : ''];
  for (const segment of pattern.split('/').filter((part) => part !== '')) {
    if (!/[*?[]/.test(segment)) {
      const literal = segment.replace(/\\(.)/g, '$1');
      candidates = candidates.map((dir) => joinWithoutNormalizing(dir, literal));
      continue;
    }
    const matches = globSegmentMatcher(segment);
    candidates = candidates.flatMap((dir) =>
      listDirectory(dir)
        .filter(matches)
        .map((name) => joinWithoutNormalizing(dir, name)),
    );
  }
  return candidates
    .filter((file) => fs.lstatSync(file, { throwIfNoEntry: false }) !== undefined)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

// Lexical normalisation would resolve "a/../b" even when "a" is missing; the kernel does not.
function joinWithoutNormalizing(dir: string, name: string): string {
  return dir === '' || dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

function listDirectory(dir: string): string[] {
  try {
    return fs.readdirSync(dir === '' ? '.' : dir);
  } catch {
    return [];
  }
}

function globSegmentMatcher(segment: string): (name: string) => boolean {
  let source = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] as string;
    if (c === '\\' && i + 1 < segment.length) source += escapeRegExp(segment[++i] as string);
    else if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (c === '[' && bracketEnd(segment, i) > 0) {
      const end = bracketEnd(segment, i);
      source += bracketToRegExp(segment.slice(i + 1, end));
      i = end;
    } else source += escapeRegExp(c);
  }
  const regExp = new RegExp(`^${source}$`, 's');
  const matchesDotFiles = segment.startsWith('.');
  return (name) => (matchesDotFiles || !name.startsWith('.')) && regExp.test(name);
}

/** Index of the ']' closing the bracket expression opened at `open`, or -1. */
function bracketEnd(segment: string, open: number): number {
  let i = open + 1;
  if (segment[i] === '!' || segment[i] === '^') i++;
  if (segment[i] === ']') i++;
  return segment.indexOf(']', i);
}

function bracketToRegExp(body: string): string {
  const negated = body.startsWith('!') || body.startsWith('^');
  const members = (negated ? body.slice(1) : body).replace(/[\\\]^[]/g, '\\$&');
  return `[${negated ? '^' : ''}${members}]`;
}

// ---------------------------------------------------------------------------------------------
// Expansion

/** OpenSSH's tilde_expand_filename: "~" and "~/x" are the home directory, "~user/x" that user's. */
function expandTilde(value: string, env: Environment): string {
  if (!value.startsWith('~')) return value;
  const slash = value.indexOf('/');
  const userName = slash < 0 ? value.slice(1) : value.slice(1, slash);
  const home = userName === '' ? env.homeDir : homeDirectoryOf(userName, env);
  const rest = slash < 0 ? '' : value.slice(slash + 1);
  return `${home.endsWith('/') ? home : `${home}/`}${rest}`;
}

function homeDirectoryOf(userName: string, env: Environment): string {
  if (userName === env.localUser) return env.homeDir;
  let passwd = '';
  try {
    passwd = fs.readFileSync('/etc/passwd', 'utf8');
  } catch {
    // No passwd file: the user is unknown.
  }
  const entry = passwd
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === userName);
  const home = entry?.[5];
  if (home === undefined) throw new SshConfigError(`~${userName}: no such user`);
  return home;
}

type Tokens = ReadonlyMap<string, () => string>;

/**
 * OpenSSH's percent_dollar_expand, in one pass: ${ENV} (when allowed), then %x from `tokens`
 * (when given; without tokens '%' is literal). `what` names the option in error messages.
 */
function expandValue(value: string, tokens: Tokens | undefined, what: string, allowEnvironment = true): string {
  const fail = (message: string) => new SshConfigError(`${what} "${value}": ${message}`);
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (allowEnvironment && c === '$' && value[i + 1] === '{') {
      const end = value.indexOf('}', i + 2);
      if (end < 0) throw fail('missing "}" after "${"');
      const name = value.slice(i + 2, end);
      if (name === '') throw fail('empty environment variable name');
      const variable = process.env[name];
      if (variable === undefined) throw fail(`environment variable ${name} is not set`);
      out += variable;
      i = end;
    } else if (c !== '%' || tokens === undefined) {
      out += c;
    } else {
      const key = value[++i];
      if (key === undefined) throw fail('"%" at the end');
      if (key === '%') out += '%';
      else {
        const token = tokens.get(key);
        if (!token)
          throw fail(`unknown token %${key} (allowed here: ${[...tokens.keys()].map((k) => `%${k}`).join(' ')} %%)`);
        out += token();
      }
    }
  }
  return out;
}

function expandPath(value: string, tokens: Tokens, what: string, env: Environment): string {
  return expandValue(expandTilde(value, env), tokens, what);
}

/** HostName knows only %h (the alias) and %%. */
function expandHostName(hostname: string, alias: string): string {
  return expandValue(hostname, new Map([['h', () => alias]]), 'HostName', false);
}

interface Connection {
  alias: string;
  hostname: string;
  user: string;
  port: number;
  hostKeyAlias: string | undefined;
}

/** The tokens of OpenSSH's DEFAULT_CLIENT_PERCENT_EXPAND_ARGS. */
function connectionTokens(connection: Connection, env: Environment): Tokens {
  const { alias, hostname, user, port } = connection;
  const portText = String(port);
  return new Map<string, () => string>([
    ['C', () => createHash('sha1').update(`${env.localHostname}${hostname}${portText}${user}`).digest('hex')],
    ['L', () => env.localHostname.split('.')[0] ?? ''],
    [
      'i',
      () => {
        const uid = process.getuid?.();
        if (uid === undefined) throw new SshConfigError('%i (local user id) is not available on this platform');
        return String(uid);
      },
    ],
    ['k', () => connection.hostKeyAlias ?? alias],
    ['l', () => env.localHostname],
    ['n', () => alias],
    ['p', () => portText],
    ['d', () => env.homeDir],
    ['h', () => hostname],
    ['r', () => user],
    ['u', () => env.localUser],
  ]);
}

// ---------------------------------------------------------------------------------------------
// Options: the first obtained value wins, IdentityFile accumulates.

interface IdentityFileEntry {
  path: string;
  /** ssh deduplicates only among entries from the same kind of file (user vs system/default). */
  fromUserConfig: boolean;
}

interface Settings {
  hostname?: string;
  user?: string;
  port?: number;
  hostKeyAlias?: string;
  identityFiles: IdentityFileEntry[];
  identitiesOnly?: boolean;
  identityAgent?: string;
  proxyJump?: string;
  proxyCommand?: ProxyCommandSetting;
  userKnownHostsFiles?: string[];
  globalKnownHostsFiles?: string[];
  strictHostKeyChecking?: StrictHostKeyChecking;
  hashKnownHosts?: boolean;
  connectTimeoutSeconds?: number;
  passwordAuthentication?: boolean;
  kbdInteractiveAuthentication?: boolean;
  pubkeyAuthentication?: boolean;
  serverAliveIntervalSeconds?: number;
  canonicalizeHostname?: boolean;
}

/** Values are validated even in inactive blocks, as ssh does; only active ones are stored. */
type KeywordHandler = (line: ConfigLine, settings: Settings, active: boolean, fromUserConfig: boolean) => void;

function setFirst<K extends keyof Settings>(settings: Settings, key: K, value: Settings[K], active: boolean): void {
  if (active && settings[key] === undefined) settings[key] = value;
}

function choice<T>(choices: Record<string, T>): (line: ConfigLine) => T {
  return (line) => {
    const value = singleArgument(line);
    const key = value.toLowerCase();
    if (!Object.hasOwn(choices, key)) throw lineError(line, `unsupported option "${value}"`);
    return choices[key] as T;
  };
}

const parseFlag = choice({ yes: true, true: true, no: false, false: false });
const parsePubkeyAuthentication = choice({
  yes: true,
  true: true,
  no: false,
  false: false,
  unbound: true,
  'host-bound': true,
});
const parseCanonicalizeHostname = choice({ yes: true, true: true, always: true, no: false, false: false });
const parseStrictHostKeyChecking = choice<StrictHostKeyChecking>({
  yes: 'yes',
  true: 'yes',
  no: 'no',
  false: 'no',
  off: 'no',
  ask: 'ask',
  'accept-new': 'accept-new',
});

type SettingOfType<T> = { [K in keyof Settings]-?: Settings[K] extends T | undefined ? K : never }[keyof Settings];

function stringOption(key: SettingOfType<string>): KeywordHandler {
  return (line, settings, active) => setFirst(settings, key, singleArgument(line), active);
}

function flagOption(key: SettingOfType<boolean>, parse = parseFlag): KeywordHandler {
  return (line, settings, active) => setFirst(settings, key, parse(line), active);
}

/** 'none' leaves the option unset, so a later value still applies (OpenSSH stores none as "unset"). */
function timeOption(key: SettingOfType<number>): KeywordHandler {
  return (line, settings, active) => {
    const value = singleArgument(line);
    if (value === 'none') return;
    const seconds = parseSeconds(value);
    if (seconds === undefined) throw lineError(line, `invalid time value "${value}"`);
    setFirst(settings, key, seconds, active);
  };
}

function knownHostsOption(key: 'userKnownHostsFiles' | 'globalKnownHostsFiles'): KeywordHandler {
  return (line, settings, active) => {
    if (line.args.length === 0) throw lineError(line, `missing argument for ${line.keyword}`);
    if (line.args.includes('')) throw lineError(line, `keyword ${line.keyword} empty argument`);
    if (line.args.length > 1 && line.args.some(isNone))
      throw lineError(line, `keyword ${line.keyword} "none" argument must appear alone`);
    if (line.args.length > MAX_KNOWN_HOSTS_FILES)
      throw lineError(line, `too many known hosts files (max ${MAX_KNOWN_HOSTS_FILES})`);
    setFirst(settings, key, [...line.args], active);
  };
}

const addIdentityFile: KeywordHandler = (line, settings, active, fromUserConfig) => {
  const file = singleArgument(line);
  if (!active) return;
  if (settings.identityFiles.length >= MAX_IDENTITY_FILES)
    throw lineError(line, `too many identity files specified (max ${MAX_IDENTITY_FILES})`);
  if (settings.identityFiles.some((entry) => entry.fromUserConfig === fromUserConfig && entry.path === file)) return;
  settings.identityFiles.push({ path: file, fromUserConfig });
};

const setPort: KeywordHandler = (line, settings, active) => {
  const value = singleArgument(line);
  const port = parsePort(value);
  if (port === undefined) throw lineError(line, `Bad port '${value}'`);
  setFirst(settings, 'port', port, active);
};

const setIdentityAgent: KeywordHandler = (line, settings, active) => {
  const value = singleArgument(line);
  try {
    expandValue(value, undefined, 'IdentityAgent');
  } catch (error) {
    throw lineError(line, `invalid environment expansion: ${reason(error)}`);
  }
  if (value.startsWith('$') && value[1] !== '{' && !/^[A-Za-z0-9_]+$/.test(value.slice(1)))
    throw lineError(line, `invalid environment name ${value}`);
  setFirst(settings, 'identityAgent', value, active);
};

// ProxyJump and ProxyCommand exclude each other: whichever comes first wins, 'none' included.
const setProxyJump: KeywordHandler = (line, settings, active) => {
  if (line.args.length === 0) throw lineError(line, 'missing argument for proxyjump');
  const spec = stripTrailingComment(line.rest);
  try {
    parseJumpHosts(spec, false);
  } catch (error) {
    throw lineError(line, `Invalid ProxyJump "${line.rest}": ${reason(error)}`);
  }
  if (!active || settings.proxyJump !== undefined || settings.proxyCommand !== undefined) return;
  settings.proxyJump = spec;
  if (!isNone(spec)) settings.proxyCommand = { command: 'none', file: line.file, line: line.lineNumber };
};

const setProxyCommand: KeywordHandler = (line, settings, active) => {
  if (line.args.length === 0) throw lineError(line, 'missing argument for proxycommand');
  if (settings.proxyJump === undefined)
    setFirst(settings, 'proxyCommand', { command: line.rest, file: line.file, line: line.lineNumber }, active);
};

const kbdInteractive = flagOption('kbdInteractiveAuthentication');

// The options we model; other keywords are skipped without validation (see isHandledKeyword).
const KEYWORDS = new Map<string, KeywordHandler>([
  ['hostname', stringOption('hostname')],
  ['user', stringOption('user')],
  ['port', setPort],
  ['hostkeyalias', stringOption('hostKeyAlias')],
  ['identityfile', addIdentityFile],
  ['identityfile2', addIdentityFile],
  ['identitiesonly', flagOption('identitiesOnly')],
  ['identityagent', setIdentityAgent],
  ['proxyjump', setProxyJump],
  ['proxycommand', setProxyCommand],
  ['userknownhostsfile', knownHostsOption('userKnownHostsFiles')],
  ['globalknownhostsfile', knownHostsOption('globalKnownHostsFiles')],
  [
    'stricthostkeychecking',
    (line, settings, active) => setFirst(settings, 'strictHostKeyChecking', parseStrictHostKeyChecking(line), active),
  ],
  ['hashknownhosts', flagOption('hashKnownHosts')],
  ['connecttimeout', timeOption('connectTimeoutSeconds')],
  ['serveraliveinterval', timeOption('serverAliveIntervalSeconds')],
  ['passwordauthentication', flagOption('passwordAuthentication')],
  ['kbdinteractiveauthentication', kbdInteractive],
  ['challengeresponseauthentication', kbdInteractive],
  ['skeyauthentication', kbdInteractive],
  ['tisauthentication', kbdInteractive],
  ['pubkeyauthentication', flagOption('pubkeyAuthentication', parsePubkeyAuthentication)],
  ['canonicalizehostname', flagOption('canonicalizeHostname', parseCanonicalizeHostname)],
]);

// ---------------------------------------------------------------------------------------------
// Host and Match blocks

/** One reading of all config files; ssh reads them a second, final time when asked to. */
interface Pass {
  readonly env: Environment;
  readonly settings: Settings;
  readonly alias: string;
  /** Host lines see the alias in the first pass and the resolved hostname in the final pass. */
  readonly hostForHostLines: string;
  readonly final: boolean;
  wantsFinalPass: boolean;
}

/** Shared by a file and the files it includes, like ssh's `activep`. */
interface BlockState {
  active: boolean;
}

/** Space-separated patterns; a negated match rejects the line whatever else matched. */
function hostLineMatches(line: ConfigLine, host: string): boolean {
  if (line.args.includes('')) throw lineError(line, 'keyword host empty argument');
  return matchesPatterns(host, line.args);
}

// Criteria that would need a command run (exec) or facts we do not have here; see the file header.
const UNEVALUABLE_MATCH_CRITERIA = new Set(['exec', 'localnetwork', 'tagged', 'command', 'version', 'sessiontype']);

/** OpenSSH's match_cfg_line: every criterion must hold; `!` negates one. */
function matchLineMatches(line: ConfigLine, pass: Pass): boolean {
  const args = line.args;
  let result = true;
  let attributes = 0;
  for (let i = 0; i < args.length; ) {
    const word = args[i++] as string;
    const negated = word.startsWith('!');
    const criterion = (negated ? word.slice(1) : word).toLowerCase();
    if (criterion === 'all') {
      if (attributes > 1 || i < args.length)
        throw lineError(line, `'${word}' cannot be combined with other Match attributes`);
      return result && !negated;
    }
    attributes++;
    if (criterion === 'canonical' || criterion === 'final') {
      if (criterion === 'final') pass.wantsFinalPass = true;
      if (pass.final === negated) result = false;
      continue;
    }
    const argument = args[i++];
    if (argument === undefined || argument === '') throw lineError(line, `missing Match criteria for ${criterion}`);
    if (UNEVALUABLE_MATCH_CRITERIA.has(criterion)) result = false;
    else if (criterionMatches(line, criterion, argument, pass) === negated) result = false;
  }
  if (attributes === 0) throw lineError(line, 'one or more attributes required for Match');
  return result;
}

function criterionMatches(line: ConfigLine, criterion: string, patterns: string, pass: Pass): boolean {
  switch (criterion) {
    case 'host':
      return matchesPatterns(hostForMatch(pass).toLowerCase(), patterns.split(','), true);
    case 'originalhost':
      return matchesPatterns(pass.alias.toLowerCase(), patterns.split(','), true);
    case 'user':
      return matchesPatterns(pass.settings.user ?? pass.env.localUser, patterns.split(','));
    case 'localuser':
      return matchesPatterns(pass.env.localUser, patterns.split(','));
    default:
      throw lineError(line, `unsupported Match attribute ${criterion}`);
  }
}

/** `Match host` sees HostName as obtained so far, already expanded (and final) in the final pass. */
function hostForMatch(pass: Pass): string {
  const { hostname } = pass.settings;
  if (hostname === undefined) return pass.alias;
  return pass.final ? hostname : expandHostName(hostname, pass.alias);
}

function applyConfigLines(
  pass: Pass,
  lines: ConfigLine[],
  fromUserConfig: boolean,
  block: BlockState,
  neverMatch: boolean,
  depth: number,
): void {
  for (const line of lines) {
    switch (line.keyword) {
      case 'host':
        block.active = hostLineMatches(line, pass.hostForHostLines) && !neverMatch;
        break;
      case 'match':
        block.active = matchLineMatches(line, pass) && !neverMatch;
        break;
      case 'include':
        applyIncludes(pass, line, fromUserConfig, block, neverMatch, depth);
        break;
      default:
        KEYWORDS.get(line.keyword)?.(line, pass.settings, block.active, fromUserConfig);
    }
  }
}

/** An Include in an inactive block is still parsed (and validated) but none of its blocks can match. */
function applyIncludes(
  pass: Pass,
  line: ConfigLine,
  fromUserConfig: boolean,
  block: BlockState,
  neverMatch: boolean,
  depth: number,
): void {
  for (const file of includedFiles(line, fromUserConfig, pass.env)) {
    const text = readConfigText(file);
    if (text === undefined) continue;
    assertIncludeDepth(line, depth + 1);
    const wasActive = block.active;
    applyConfigLines(pass, tokenizeFile(file, text), fromUserConfig, block, neverMatch || !wasActive, depth + 1);
    // The included file's Host and Match lines must not change the including file's block.
    block.active = wasActive;
  }
}

function applyAllConfigFiles(pass: Pass, options: ResolveOptions): void {
  const user = userConfigPath(options, pass.env);
  applyConfigLines(pass, readTopLevelConfig(user.file, user.required), true, { active: true }, false, 0);
  const systemFile = options.systemConfigFile ?? DEFAULT_SYSTEM_CONFIG;
  if (systemFile !== '')
    applyConfigLines(pass, readTopLevelConfig(systemFile, false), false, { active: true }, false, 0);
}

// ---------------------------------------------------------------------------------------------
// Entry points

/** Resolves `alias` (the host part of a destination) like `ssh -G alias`. Throws SshConfigError. */
export function resolveHost(alias: string, options: ResolveOptions = {}): SshHostConfig {
  validateCommandLine(alias, options);
  const env = environmentOf(options);
  const settings: Settings = { identityFiles: [] };
  if (options.user !== undefined) settings.user = options.user;
  if (options.port !== undefined) settings.port = options.port;

  const firstPass: Pass = { env, settings, alias, hostForHostLines: alias, final: false, wantsFinalPass: false };
  applyAllConfigFiles(firstPass, options);
  const hostname = (settings.hostname === undefined ? alias : expandHostName(settings.hostname, alias)).toLowerCase();
  // Like ssh, re-read everything once more for `Match final`/`canonical` and CanonicalizeHostname;
  // first-obtained values stay, so this pass can only fill in what is still unset.
  if (firstPass.wantsFinalPass || settings.canonicalizeHostname) {
    settings.hostname = hostname;
    applyAllConfigFiles(
      { env, settings, alias, hostForHostLines: hostname, final: true, wantsFinalPass: false },
      options,
    );
  }
  return finalConfig(alias, hostname, settings, env);
}

/** Host aliases a user can pick: every Host pattern without wildcards (* ? !) across the user config and its Includes, in file order, deduplicated. */
export function listConfiguredHosts(options: ResolveOptions = {}): string[] {
  const env = environmentOf(options);
  const { file, required } = userConfigPath(options, env);
  const names = new Set<string>();
  collectHostNames(readTopLevelConfig(file, required), env, names, 0);
  return [...names];
}

function collectHostNames(lines: ConfigLine[], env: Environment, names: Set<string>, depth: number): void {
  for (const line of lines) {
    if (line.keyword === 'host') {
      // Names ssh would refuse on its command line are no use in a host picker.
      for (const pattern of line.args) if (!hasWildcard(pattern) && isValidHostname(pattern)) names.add(pattern);
    } else if (line.keyword === 'include') {
      for (const file of includedFiles(line, true, env)) {
        const text = readConfigText(file);
        if (text === undefined) continue;
        assertIncludeDepth(line, depth + 1);
        collectHostNames(tokenizeFile(file, text), env, names, depth + 1);
      }
    }
  }
}

function validateCommandLine(alias: string, options: ResolveOptions): void {
  if (!isValidHostname(alias))
    throw new SshConfigError(`Host name "${alias}" is empty or contains characters ssh refuses`);
  if (options.user !== undefined && !isValidRemoteUser(options.user))
    throw new SshConfigError(`User name "${options.user}" contains characters ssh refuses`);
  if (
    options.port !== undefined &&
    !(Number.isInteger(options.port) && options.port >= 1 && options.port <= MAX_PORT)
  ) {
    throw new SshConfigError(`Bad port ${options.port} (expected 1-${MAX_PORT})`);
  }
}

function withoutNone(files: string[]): string[] {
  return files.length === 1 && isNone(files[0] as string) ? [] : files;
}

/** Defaults as `ssh -G` prints them, then the path expansions ssh does before connecting. */
function finalConfig(alias: string, hostname: string, settings: Settings, env: Environment): SshHostConfig {
  const user = settings.user ?? env.localUser;
  const port = settings.port ?? DEFAULT_PORT;
  // ssh lower-cases HostKeyAlias before using it for %k.
  const tokens = connectionTokens(
    { alias, hostname, user, port, hostKeyAlias: settings.hostKeyAlias?.toLowerCase() },
    env,
  );
  const expand = (what: string) => (value: string) => expandPath(value, tokens, what, env);
  const identityFiles =
    settings.identityFiles.length > 0 ? settings.identityFiles.map((entry) => entry.path) : DEFAULT_IDENTITY_FILES;
  const config: SshHostConfig = {
    alias,
    hostname,
    user,
    port,
    identityFiles: identityFiles.map(expand('IdentityFile')),
    identitiesOnly: settings.identitiesOnly ?? false,
    userKnownHostsFiles: withoutNone(settings.userKnownHostsFiles ?? DEFAULT_USER_KNOWN_HOSTS).map(
      expand('UserKnownHostsFile'),
    ),
    globalKnownHostsFiles: withoutNone(settings.globalKnownHostsFiles ?? DEFAULT_GLOBAL_KNOWN_HOSTS),
    strictHostKeyChecking: settings.strictHostKeyChecking ?? 'ask',
    hashKnownHosts: settings.hashKnownHosts ?? false,
    passwordAuthentication: settings.passwordAuthentication ?? true,
    kbdInteractiveAuthentication: settings.kbdInteractiveAuthentication ?? true,
    pubkeyAuthentication: settings.pubkeyAuthentication ?? true,
    serverAliveIntervalSeconds: settings.serverAliveIntervalSeconds ?? 0,
  };
  if (settings.identityAgent !== undefined) config.identityAgent = expand('IdentityAgent')(settings.identityAgent);
  if (settings.proxyJump !== undefined && !isNone(settings.proxyJump)) config.proxyJump = settings.proxyJump;
  if (settings.proxyCommand !== undefined && !isNone(settings.proxyCommand.command))
    config.proxyCommand = settings.proxyCommand;
  if (settings.connectTimeoutSeconds !== undefined) config.connectTimeoutSeconds = settings.connectTimeoutSeconds;
  return config;
}
