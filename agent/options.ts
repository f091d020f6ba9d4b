// The one contract between the extension and the agent, TypeScript side (with events.ts,
// control.ts and host.ts): the agent's command line as the extension builds it (captureArgv,
// interfacesArgv), the parser that reads it back (the reference the builders are tested against;
// the static agent, native/agent, has its own in C) and USAGE, which scripts/build-agent.sh
// compiles into the agent so that both sides print the same text.

import * as net from 'node:net';
import { parseArgs } from 'node:util';
import { CAP_MAX_SNAPLEN, type Direction } from '../packet/capture-abi.js';

/** A command line the agent would refuse, said in one line as the agent says it (E_USAGE). */
export class UsageError extends Error {
  readonly code = 'E_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type OutputFormat = 'pcapng' | 'pcap';

export interface ListenAddress {
  host: string;
  port: number;
}

export interface CaptureOptions {
  interfaces: string[];
  netns?: string; // a path: NAME is resolved to /run/netns/NAME
  filter: string;
  /** --exclude: packets it matches are never captured, whatever the filter (e.g. our own SSH session). */
  exclude: string;
  snaplen: number;
  directions: Direction[];
  count?: number;
  maxBytes?: number;
  durationMs?: number;
  format: OutputFormat;
  nanosecondPcap: boolean;
  write?: string; // '-' = stdout
  /** -w FILE may replace an existing regular file (it is refused otherwise). */
  overwrite: boolean;
  listen?: ListenAddress;
  /** --token-file FILE: the agent reads the token from it (or from PCAP_AGENT_TOKEN), never from argv. */
  tokenFile?: string;
  /** --no-token: the user asked for a tokenless loopback server, and is warned. */
  noToken: boolean;
  eventsJson: boolean;
  ringBytes: number;
  attachMode: 'auto' | 'clsact';
  /**
   * --processes: each packet of a local socket carries its process, in pcapng as the EPB comment
   * `PID: N\nCmd: EXE\nArgs: ARGV` (and `\nContainerId: ID` in a container; in a Kubernetes pod also
   * `ContainerName` before it and `PodName`, `PodNamespace`, `PodUID` after it). Implied by the three below.
   */
  processes: boolean;
  /**
   * --processes-if-available: --processes where the host can attribute; elsewhere the capture runs
   * without, and a W_NO_ATTRIBUTION warning says why. Cleared by --pid, --cgroup, --container.
   */
  processesIfAvailable: boolean;
  /** --pid N: only that process and its descendants (forks followed in the kernel). */
  pid?: number;
  /** --cgroup PATH: only the processes of that cgroup v2 (cgroup v2 hosts only). */
  cgroup?: string;
  /** --container ID: only the processes of that container (found through /proc/PID/cgroup). */
  container?: string;
}

export interface InterfacesOptions {
  netns?: string;
  json: boolean;
}

const DEFAULT_RING_KIB = 16 * 1024;
/** The kernel's ceiling for pid_max. */
const PID_MAX_LIMIT = 4194304;

export const USAGE = `usage:
  pcap-agent interfaces [--netns NAME|/proc/PID/ns/net] [--json]
  pcap-agent capture -i IFACE [-i IFACE…] [--netns NAME|/proc/PID/ns/net] [-f FILTER | FILTER…]
                     [--exclude FILTER] [-s SNAPLEN] [--direction in|out|both] [-c COUNT]
                     [--max-bytes N] [--duration SECONDS] [--format pcapng|pcap] [--nano]
                     [-w FILE|- [--overwrite]] [--listen HOST:PORT [--token-file FILE | --no-token]]
                     [-B KIB] [--events json] [--processes[-if-available]] [--pid PID | --cgroup PATH | --container ID]
  pcap-agent check-filter [--link ethernet|raw] [--events json] FILTER…
  ENABLE_PCA=true PCA_SERVER_PORT=N [PCA_FILTER=PROTO,PORT] [INTERFACES=…] [EXCLUDE_INTERFACES=…] pcap-agent
FILTER is PROTO,PORT (tcp,443) or a tcpdump-style expression (tcp port 443 or udp port 53).
check-filter says nothing and exits 0 when libpcap compiles FILTER for that link type and the
kernel can run it; otherwise an E_FILTER error gives libpcap's message.
--exclude FILTER: packets it matches are never captured, whatever -f says (e.g. the SSH session
the capture runs over).
--processes: each packet of a local socket names its process in its pcapng comment ("PID: N",
"Cmd: EXE", "Args: ARGV", "ContainerId: ID" in a container, and "ContainerName:", "PodName:",
"PodNamespace:", "PodUID:" in a Kubernetes pod); packets the kernel makes itself
(ARP, ICMP errors, resets of closed ports) and forwarded ones name none.
--processes-if-available: the same where this host can; a host without what attribution needs
(cgroup v2, the socket hooks, eBPF) captures without processes and warns (W_NO_ATTRIBUTION).
--pid PID captures only that process's packets and its descendants' (children forked later too);
--container ID only those of a container's processes (ID: 12 to 64 hex digits); --cgroup PATH only
those of a cgroup v2 and below (a cgroup v2 host). Each implies --processes and combines with -f.
--netns NAME is /run/netns/NAME (as "ip netns add" makes); the only path taken is /proc/PID/ns/net.
-w FILE creates FILE with mode 0600, owned by the user who ran sudo; an existing file is replaced
only with --overwrite, and a symbolic link never is.
--listen serves clients that send the token as their first line: the token comes from
--token-file FILE (a file only its owner can read) or PCAP_AGENT_TOKEN (sudo drops it unless
told to keep it), never from the command line. --no-token serves loopback without one: any local
user can then read the capture. At most 16 clients and 8 logins in progress at once.
PCA mode serves loopback without a token (with a warning), or PCA_SERVER_HOST with PCA_TOKEN;
an interface named in INTERFACES is captured even when EXCLUDE_INTERFACES' default (lo) matches it.`;

function usageError(message: string): UsageError {
  return new UsageError(message);
}

/** node:util parseArgs explains some errors over several lines; ours are one line. */
function parseArgsError(e: unknown): UsageError {
  return usageError(
    String((e as Error).message)
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .join(' '),
  );
}

function withUsageErrors<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    throw parseArgsError(e);
  }
}

function wholeNumber(name: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) throw usageError(`${name} must be a whole number, got "${text}"`);
  const n = Number(text);
  if (n < min || n > max) throw usageError(`${name} must be between ${min} and ${max}, got ${text}`);
  return n;
}

/**
 * --netns NAME (a file under /run/netns, as `ip netns add` makes) or /proc/PID/ns/net. Nothing else:
 * the agent runs as root, and entering whatever namespace file a path names is not for the caller.
 */
export function resolveNetns(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^\/proc\/\d+\/ns\/net$/.test(value)) return value;
  if (!value.includes('/') && value !== '.' && value !== '..' && !value.includes('\0')) return `/run/netns/${value}`;
  throw usageError(
    `--netns takes a namespace name (a file in /run/netns, as "ip netns add" makes) or /proc/PID/ns/net, got "${value}"`,
  );
}

export function parseListen(text: string, what = '--listen'): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  if (!m) throw usageError(`${what} must be HOST:PORT or PORT, got "${text}"`);
  const host = m[1] || m[2] || '127.0.0.1'; // PORT alone: the empty groups mean loopback
  if (net.isIP(host) === 0 && host !== 'localhost') {
    throw usageError(`${what} host must be an IP address, got "${host}"`);
  }
  return { host, port: wholeNumber(`${what} port`, m[3] ?? '', 0, 65535) };
}

function parseDirection(text: string): Direction[] {
  switch (text) {
    case 'in':
      return ['in'];
    case 'out':
      return ['out'];
    case 'both':
    case 'inout':
      return ['in', 'out'];
    default:
      throw usageError(`--direction must be in, out or both, got "${text}"`);
  }
}

function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (!m) throw usageError(`--duration must be seconds (e.g. 5, 1.5, 500ms, 2m), got "${text}"`);
  const scale = m[2] === 'ms' ? 1 : m[2] === 'm' ? 60000 : 1000;
  const ms = Number(m[1]) * scale;
  if (ms <= 0) throw usageError('--duration must be positive');
  return ms;
}

export function parseCaptureArgs(argv: string[]): CaptureOptions {
  const parsed = withUsageErrors(() =>
    parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        interface: { type: 'string', short: 'i', multiple: true },
        netns: { type: 'string' },
        filter: { type: 'string', short: 'f' },
        exclude: { type: 'string' },
        snaplen: { type: 'string', short: 's' },
        direction: { type: 'string' },
        count: { type: 'string', short: 'c' },
        'max-bytes': { type: 'string' },
        duration: { type: 'string' },
        format: { type: 'string' },
        nano: { type: 'boolean' },
        write: { type: 'string', short: 'w' },
        overwrite: { type: 'boolean' },
        listen: { type: 'string' },
        token: { type: 'string' },
        'token-file': { type: 'string' },
        'no-token': { type: 'boolean' },
        buffer: { type: 'string', short: 'B' },
        events: { type: 'string' },
        'attach-mode': { type: 'string' },
        processes: { type: 'boolean' },
        'processes-if-available': { type: 'boolean' },
        pid: { type: 'string' },
        cgroup: { type: 'string' },
        container: { type: 'string' },
      },
    }),
  );
  const v = parsed.values;
  if (!v.interface || v.interface.length === 0)
    throw usageError('capture needs at least one -i IFACE (see "pcap-agent interfaces")');
  if (v.filter !== undefined && parsed.positionals.length > 0) {
    throw usageError(
      `give the filter either with -f or after the options, not both (extra: "${parsed.positionals.join(' ')}")`,
    );
  }
  const format = v.format ?? 'pcapng';
  if (format !== 'pcapng' && format !== 'pcap') throw usageError(`--format must be pcapng or pcap, got "${format}"`);
  if (v.events !== undefined && v.events !== 'json') throw usageError(`--events takes "json", got "${v.events}"`);
  const attachMode = v['attach-mode'] ?? 'auto';
  if (attachMode !== 'auto' && attachMode !== 'clsact')
    throw usageError(`--attach-mode must be auto or clsact, got "${attachMode}"`);
  const listen = v.listen !== undefined ? parseListen(v.listen) : undefined;
  const noToken = v['no-token'] ?? false;
  const tokenFile = listenTokenFile(listen, v.token, v['token-file'], noToken);
  if (v.overwrite && (v.write === undefined || v.write === '-')) throw usageError('--overwrite needs -w FILE');
  const chosen = [v.pid, v.cgroup, v.container].filter((x) => x !== undefined).length;
  if (chosen > 1) throw usageError('give only one of --pid, --cgroup and --container');
  return {
    interfaces: [...new Set(v.interface)],
    netns: resolveNetns(v.netns),
    filter: v.filter ?? parsed.positionals.join(' '),
    exclude: v.exclude ?? '',
    snaplen: v.snaplen !== undefined ? snaplenOf(v.snaplen) : CAP_MAX_SNAPLEN,
    directions: parseDirection(v.direction ?? 'both'),
    count: v.count !== undefined ? wholeNumber('-c', v.count, 1, Number.MAX_SAFE_INTEGER) : undefined,
    maxBytes:
      v['max-bytes'] !== undefined ? wholeNumber('--max-bytes', v['max-bytes'], 1, Number.MAX_SAFE_INTEGER) : undefined,
    durationMs: v.duration !== undefined ? parseDuration(v.duration) : undefined,
    format,
    nanosecondPcap: v.nano ?? false,
    write: v.write ?? (listen ? undefined : '-'),
    overwrite: v.overwrite ?? false,
    listen,
    tokenFile,
    noToken,
    eventsJson: v.events === 'json',
    ringBytes: ringBytesOf(v.buffer ?? String(DEFAULT_RING_KIB)),
    attachMode,
    processes: (v.processes ?? false) || (v['processes-if-available'] ?? false) || chosen > 0,
    processesIfAvailable: (v['processes-if-available'] ?? false) && chosen === 0,
    pid: v.pid !== undefined ? wholeNumber('--pid', v.pid, 1, PID_MAX_LIMIT) : undefined,
    cgroup: v.cgroup,
    container: v.container !== undefined ? containerIdOf(v.container) : undefined,
  };
}

/**
 * What a caller puts on a `pcap-agent capture` command line: the options as parseCaptureArgs returns
 * them. What is left out takes the parser's default.
 */
export type CaptureArgvOptions = Partial<Omit<CaptureOptions, 'interfaces'>> & {
  interfaces: readonly string[];
};

/**
 * The argv of `pcap-agent capture` (the command word first): the one place it is built, so that
 * parseCaptureArgs(captureArgv(o).slice(1)) gives `o` back.
 */
export function captureArgv(o: CaptureArgvOptions): string[] {
  const args = ['capture'];
  for (const name of o.interfaces) args.push(...valueOption('interface', name));
  if (o.netns !== undefined) args.push(...valueOption('netns', netnsArgument(o.netns)));
  if (o.filter) args.push(...valueOption('filter', o.filter));
  if (o.exclude) args.push(...valueOption('exclude', o.exclude));
  if (o.snaplen !== undefined) args.push('--snaplen', String(o.snaplen));
  if (o.directions !== undefined) args.push('--direction', directionArgument(o.directions));
  if (o.count !== undefined) args.push('--count', String(o.count));
  if (o.maxBytes !== undefined) args.push('--max-bytes', String(o.maxBytes));
  if (o.durationMs !== undefined) args.push('--duration', `${o.durationMs}ms`);
  if (o.format !== undefined) args.push('--format', o.format);
  if (o.nanosecondPcap) args.push('--nano');
  if (o.write !== undefined) args.push(...valueOption('write', o.write));
  if (o.overwrite) args.push('--overwrite');
  if (o.listen !== undefined) args.push('--listen', listenArgument(o.listen));
  if (o.tokenFile !== undefined) args.push(...valueOption('token-file', o.tokenFile));
  if (o.noToken) args.push('--no-token');
  if (o.ringBytes !== undefined) args.push('--buffer', String(Math.ceil(o.ringBytes / 1024)));
  if (o.eventsJson) args.push('--events', 'json');
  if (o.attachMode !== undefined) args.push('--attach-mode', o.attachMode);
  // A choice of processes makes attribution a requirement (the agent reads it so too).
  const chosen = o.pid !== undefined || o.cgroup !== undefined || o.container !== undefined;
  if (o.processesIfAvailable && !chosen) args.push('--processes-if-available');
  else if (o.processes) args.push('--processes');
  if (o.pid !== undefined) args.push('--pid', String(o.pid));
  if (o.cgroup !== undefined) args.push(...valueOption('cgroup', o.cgroup));
  if (o.container !== undefined) args.push(...valueOption('container', o.container));
  return args;
}

/** The argv of `pcap-agent interfaces`, as parseInterfacesArgs reads it. */
export function interfacesArgv(o: Partial<InterfacesOptions>): string[] {
  const args = ['interfaces'];
  if (o.netns !== undefined) args.push(...valueOption('netns', netnsArgument(o.netns)));
  if (o.json) args.push('--json');
  return args;
}

/**
 * `--name VALUE`, or `--name=VALUE` when VALUE starts with a dash: both parsers would otherwise
 * read it as an option (a filter such as "-1", a file named "-", an interface "-x").
 */
function valueOption(name: string, value: string): string[] {
  return value.startsWith('-') ? [`--${name}=${value}`] : [`--${name}`, value];
}

/** The parsed form of --netns is the path it resolved to: /run/netns/NAME goes back to NAME. */
function netnsArgument(netns: string): string {
  const name = /^\/run\/netns\/([^/]+)$/.exec(netns)?.[1];
  return name ?? netns;
}

function directionArgument(directions: readonly Direction[]): string {
  const set = new Set(directions);
  if (set.size === 1) return directions[0] as string;
  if (set.size === 2) return 'both';
  throw usageError(`a capture needs at least one direction, got [${directions.join(', ')}]`);
}

/** HOST:PORT, an IPv6 host in brackets (its colons would read as the port's). */
function listenArgument(listen: ListenAddress): string {
  return `${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}`;
}

/**
 * The file a --listen server reads its clients' token from. The token itself never comes from the
 * command line (ps and sudo's log show it there); the agent reads --token-file or PCAP_AGENT_TOKEN,
 * and refuses to serve without one unless --no-token (loopback only).
 */
function listenTokenFile(
  listen: ListenAddress | undefined,
  onCommandLine: string | undefined,
  file: string | undefined,
  noToken: boolean,
): string | undefined {
  if (onCommandLine !== undefined) {
    throw usageError(
      "--token is not accepted: a token on the command line is visible in ps and in sudo's log; use --token-file FILE (mode 0600) or PCAP_AGENT_TOKEN",
    );
  }
  if (!listen && (file !== undefined || noToken))
    throw usageError(`${noToken ? '--no-token' : '--token-file'} needs --listen`);
  if (noToken && file !== undefined)
    throw usageError('--no-token contradicts the token given (--token-file or PCAP_AGENT_TOKEN)');
  return file;
}

/** A container's id as `docker ps` shows it (12 hex digits) or whole (64). */
function containerIdOf(text: string): string {
  if (!/^[0-9a-f]{12,64}$/.test(text)) {
    throw usageError(
      `--container takes a container id: 12 to 64 lowercase hex digits (docker ps shows 12), got "${text}"`,
    );
  }
  return text;
}

/** tcpdump's rule: -s 0 means the maximum. */
function snaplenOf(text: string): number {
  const n = wholeNumber('-s', text, 0, CAP_MAX_SNAPLEN);
  return n === 0 ? CAP_MAX_SNAPLEN : n;
}

/** -B in KiB like tcpdump; the kernel ring must be a power of two of at least a page. */
function ringBytesOf(text: string): number {
  const kib = wholeNumber('-B', text, 4, 1024 * 1024);
  let bytes = 4096;
  while (bytes < kib * 1024) bytes *= 2;
  return bytes;
}

export function parseInterfacesArgs(argv: string[]): InterfacesOptions {
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      options: { netns: { type: 'string' }, json: { type: 'boolean' } },
    });
    return { netns: resolveNetns(values.netns), json: values.json ?? false };
  } catch (e) {
    throw parseArgsError(e);
  }
}
