// Runs the bounded generators (traffic.cjs, raw.py) inside namespaces and waits for them.
import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { registerCleanup } from './cleanup.js';
import type { Netns } from './netns.js';

const TRAFFIC = path.join(__dirname, 'traffic.cjs');
const RAW = path.join(__dirname, 'raw.py');
const PROCESS_TRAFFIC = path.join(__dirname, 'process-traffic.py');

/**
 * How long a generator waits for its peer. Generous: on a loaded 2-core machine starting the next
 * sender can take seconds, and a receiver must outlive all of them. Normal runs take milliseconds.
 */
export const GENERATOR_TIMEOUT_MS = 15_000;

export interface GeneratorResult {
  ok: boolean;
  result: Record<string, number>;
  stderr: string;
}

/** A generator process in a namespace. `ready` resolves when a server printed "ready". */
export class Generator {
  readonly done: Promise<GeneratorResult>;
  readonly ready: Promise<void>;
  /** The first JSON line it printed (a generator that stays until told to go prints it before). */
  readonly reported: Promise<Record<string, unknown>>;
  private readonly child: ChildProcess;

  constructor(ns: Netns, cmd: string, args: readonly string[]) {
    this.child = spawn('ip', ['netns', 'exec', ns.name, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const child = this.child;
    const unregister = registerCleanup(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let out = '';
    let err = '';
    let markReady!: () => void;
    let notReady!: (e: Error) => void;
    this.ready = new Promise((resolve, reject) => {
      markReady = resolve;
      notReady = reject;
    });
    this.ready.catch(() => {}); // clients never print ready; only awaited for servers
    let report!: (r: Record<string, unknown>) => void;
    let noReport!: (e: Error) => void;
    this.reported = new Promise((resolve, reject) => {
      report = resolve;
      noReport = reject;
    });
    this.reported.catch(() => {}); // only awaited for generators that report before they exit
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.startsWith('ready\n')) markReady();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) report(JSON.parse(line));
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    this.done = new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => {
        unregister();
        notReady(new Error(`${cmd} ${args.join(' ')} exited (${code}) before it was ready: ${err.trim()}`));
        noReport(new Error(`${cmd} ${args.join(' ')} exited (${code}) before it reported: ${err.trim()}`));
        const last =
          out
            .replace(/^ready\n/, '')
            .trim()
            .split('\n')
            .at(-1) ?? '';
        let result: Record<string, number> = {};
        try {
          result = JSON.parse(last);
        } catch {
          // reported below through ok = false
        }
        resolve({ ok: code === 0, result, stderr: err });
      });
    });
  }

  /** The generator's process id (ip netns exec runs it in place). */
  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves with the result; rejects when the generator fell short (with its words). */
  async expectOk(): Promise<Record<string, number>> {
    const r = await this.done;
    if (!r.ok) throw new Error(`traffic generator failed: ${JSON.stringify(r.result)} ${r.stderr.trim()}`);
    return r.result;
  }
}

export function node(ns: Netns, ...args: (string | number)[]): Generator {
  return new Generator(ns, process.execPath, [TRAFFIC, ...args.map(String)]);
}

/**
 * process-traffic.py in `ns` (see its header): `client` starts its UDP pings and TCP exchange with
 * host when sent SIGUSR1, then, with `childPort`, a forked child's pings; `server` accepts one TCP
 * connection. Each reports, then stays until a second SIGUSR1.
 */
export function processTraffic(ns: Netns, role: 'client' | 'server', ...args: (string | number)[]): Generator {
  return new Generator(ns, 'python3', [PROCESS_TRAFFIC, role, ...args.map(String)]);
}

export function python(ns: Netns, ...args: (string | number)[]): Generator {
  return new Generator(ns, 'python3', [RAW, ...args.map(String)]);
}

/** COUNT datagrams of SIZE bytes from ns to host:port, received by a sink in `to` (so all arrived). */
export async function udpOneWay(
  from: Netns,
  to: Netns,
  host: string,
  port: number,
  count: number,
  size: number,
  sport?: number,
): Promise<void> {
  const sink = node(to, 'udp-sink', host, port, count, GENERATOR_TIMEOUT_MS);
  await sink.ready;
  await node(from, 'udp-send', host, port, count, size, ...(sport ? [sport] : [])).expectOk();
  await sink.expectOk();
}

/** COUNT request/response pairs: `from` sends, a udp-echo server in `to` answers each. */
export async function udpEcho(
  from: Netns,
  to: Netns,
  host: string,
  port: number,
  count: number,
  size: number,
  sport?: number,
): Promise<void> {
  const server = node(to, 'udp-echo', host, port, count, GENERATOR_TIMEOUT_MS);
  await server.ready;
  await node(from, 'udp-ping', host, port, count, size, GENERATOR_TIMEOUT_MS, ...(sport ? [sport] : [])).expectOk();
  await server.expectOk();
}

/** One TCP connection: the client in `from` sends `bytes`, the server in `to` replies with `reply` bytes. */
export async function tcpExchange(
  from: Netns,
  to: Netns,
  host: string,
  port: number,
  bytes: number,
  reply: number,
  sport?: number,
): Promise<void> {
  const server = node(to, 'tcp-server', host, port, reply, GENERATOR_TIMEOUT_MS);
  await server.ready;
  await node(from, 'tcp-client', host, port, bytes, GENERATOR_TIMEOUT_MS, ...(sport ? [sport] : [])).expectOk();
  await server.expectOk();
}

/**
 * An independent reference capture: tcpdump (AF_PACKET) on the same device, started before the
 * traffic and stopped after it. Used where the traffic itself is not deterministic (TCP segments).
 * --immediate-mode: without it, packets of the last ring block (up to 1 s) are lost on SIGINT.
 */
export class Tcpdump {
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  readonly listening: Promise<void>;
  private stderr = '';

  constructor(
    ns: Netns,
    dev: string,
    readonly file: string,
    extra: readonly string[] = [],
  ) {
    this.child = spawn(
      'ip',
      ['netns', 'exec', ns.name, 'tcpdump', '-n', '-U', '--immediate-mode', '-i', dev, '-w', file, ...extra],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    const child = this.child;
    const unregister = registerCleanup(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    this.exited = new Promise((resolve) =>
      child.on('close', (code) => {
        unregister();
        resolve(code);
      }),
    );
    this.listening = new Promise((resolve, reject) => {
      child.stderr!.setEncoding('utf8').on('data', (d: string) => {
        this.stderr += d;
        if (this.stderr.includes('listening on')) resolve();
      });
      this.exited.then(() => reject(new Error(`tcpdump exited early: ${this.stderr}`)));
    });
    this.listening.catch(() => {});
  }

  /** Stops tcpdump (SIGINT: it writes what it has) and waits for it. */
  async stop(): Promise<void> {
    this.child.kill('SIGINT');
    await this.exited;
  }
}
