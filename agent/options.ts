// Command-line and environment parsing. Everything here is validated before anything touches the
// kernel, so bad input costs nothing and says precisely what is wrong.
import { parseArgs } from 'node:util';
import * as net from 'node:net';
import type { Direction } from '../packet/capture-abi.js';
import { CAP_MAX_SNAPLEN } from '../packet/capture-abi.js';
import { AgentError } from './errors.js';

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
  listen?: ListenAddress;
  token?: string;
  eventsJson: boolean;
  ringBytes: number;
  attachMode: 'auto' | 'clsact';
}

export interface InterfacesOptions {
  netns?: string;
  json: boolean;
}

const DEFAULT_RING_KIB = 16 * 1024;

export const USAGE = `usage:
  pcap-agent interfaces [--netns NAME|PATH] [--json]
  pcap-agent capture -i IFACE [-i IFACE…] [--netns NAME|PATH] [-f FILTER | FILTER…]
                     [--exclude FILTER] [-s SNAPLEN] [--direction in|out|both] [-c COUNT]
                     [--max-bytes N] [--duration SECONDS] [--format pcapng|pcap] [--nano]
                     [-w FILE|-] [--listen HOST:PORT] [--token T] [-B KIB] [--events json]
  ENABLE_PCA=true PCA_SERVER_PORT=N [PCA_FILTER=PROTO,PORT] pcap-agent
FILTER is PROTO,PORT (tcp,443) or a tcpdump-style expression (tcp port 443 or udp port 53).
--exclude FILTER: packets it matches are never captured, whatever -f says (e.g. the SSH session
the capture runs over); -f and --exclude share the kernel's 32 rules.`;

function usageError(message: string): AgentError {
  return new AgentError('E_USAGE', message);
}

/** node:util parseArgs explains some errors over several lines; ours are one line. */
function parseArgsError(e: unknown): AgentError {
  return usageError(
    String((e as Error).message)
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .join(' '),
  );
}

function wholeNumber(name: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) throw usageError(`${name} must be a whole number, got "${text}"`);
  const n = Number(text);
  if (n < min || n > max) throw usageError(`${name} must be between ${min} and ${max}, got ${text}`);
  return n;
}

export function resolveNetns(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.includes('/')) return value;
  return `/run/netns/${value}`;
}

export function parseListen(text: string, what = '--listen'): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  if (!m) throw usageError(`${what} must be HOST:PORT or PORT, got "${text}"`);
  const host = m[1] ?? (m[2] || '127.0.0.1');
  if (net.isIP(host) === 0 && host !== 'localhost') {
    throw usageError(`${what} host must be an IP address, got "${host}"`);
  }
  return { host, port: wholeNumber(`${what} port`, m[3], 0, 65535) };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** A server on a non-loopback address needs a token: captures are sensitive. */
export function requireTokenOffLoopback(listen: ListenAddress, token: string | undefined, tokenName: string): void {
  if (!isLoopback(listen.host) && !token) {
    throw new AgentError(
      'E_LISTEN',
      `refusing to serve captures on ${listen.host} without a token: set ${tokenName}, or bind 127.0.0.1 and use an SSH or kubectl port-forward`,
    );
  }
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
  let parsed;
  try {
    parsed = parseArgs({
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
        listen: { type: 'string' },
        token: { type: 'string' },
        buffer: { type: 'string', short: 'B' },
        events: { type: 'string' },
        'attach-mode': { type: 'string' },
      },
    });
  } catch (e) {
    throw parseArgsError(e);
  }
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
  const token = v.token ?? process.env.PCAP_AGENT_TOKEN;
  if (listen) requireTokenOffLoopback(listen, token, '--token or PCAP_AGENT_TOKEN');
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
    listen,
    token,
    eventsJson: v.events === 'json',
    ringBytes: ringBytesOf(v.buffer ?? String(DEFAULT_RING_KIB)),
    attachMode,
  };
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

export interface PcaOptions {
  filter: string;
  listen: ListenAddress;
  token?: string;
  include: InterfaceMatcher[];
  exclude: InterfaceMatcher[];
  snaplen: number;
  ringBytes: number;
}

export type InterfaceMatcher = (name: string) => boolean;

/** netobserv's list syntax: comma-separated names, `/regex/` entries as regular expressions. */
export function interfaceMatchers(list: string | undefined, what: string): InterfaceMatcher[] {
  return (list ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((entry) => {
      if (entry.length > 2 && entry.startsWith('/') && entry.endsWith('/')) {
        let re: RegExp;
        try {
          re = new RegExp(entry.slice(1, -1));
        } catch (e) {
          throw usageError(`${what}: invalid regular expression ${entry}: ${(e as Error).message}`);
        }
        return (name: string) => re.test(name);
      }
      return (name: string) => name === entry;
    });
}

/** The seed agent's environment: ENABLE_PCA, PCA_FILTER, PCA_SERVER_PORT, INTERFACES, EXCLUDE_INTERFACES. */
export function parsePcaEnv(env: NodeJS.ProcessEnv): PcaOptions {
  const portText = env.PCA_SERVER_PORT;
  if (!portText) throw usageError('ENABLE_PCA=true needs PCA_SERVER_PORT (the TCP port to serve the pcap stream on)');
  const port = wholeNumber('PCA_SERVER_PORT', portText, 1, 65535);
  const listen = { host: env.PCA_SERVER_HOST || '127.0.0.1', port };
  if (net.isIP(listen.host) === 0 && listen.host !== 'localhost') {
    throw usageError(`PCA_SERVER_HOST must be an IP address, got "${listen.host}"`);
  }
  requireTokenOffLoopback(listen, env.PCA_TOKEN, 'PCA_TOKEN');
  return {
    filter: env.PCA_FILTER ?? '',
    listen,
    token: env.PCA_TOKEN || undefined,
    include: interfaceMatchers(env.INTERFACES, 'INTERFACES'),
    exclude: interfaceMatchers(env.EXCLUDE_INTERFACES ?? 'lo', 'EXCLUDE_INTERFACES'),
    snaplen: env.PCA_SNAPLEN ? snaplenOf(env.PCA_SNAPLEN) : CAP_MAX_SNAPLEN,
    ringBytes: ringBytesOf(env.PCA_BUFFER_KIB ?? String(DEFAULT_RING_KIB)),
  };
}
