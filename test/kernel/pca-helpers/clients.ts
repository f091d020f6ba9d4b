// Clients of the agent's TCP server and traffic for it, all run inside a test namespace:
// tshark (the seed's real client), a raw Node socket (raw-client.mjs) and a UDP sender.
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { exited, run, type Sandbox } from './sandbox.js';

const RAW_CLIENT = path.join(__dirname, 'raw-client.mjs');
const UDP_SEND = path.join(__dirname, 'udp-send.mjs');

export interface RawStats {
  event: 'stats' | 'closed';
  bytes: number;
  header: string;
  packets: number;
  matching: number;
  seqs: number[];
  errors: string[];
}

/** A raw TCP client; see raw-client.mjs. */
export class RawClient {
  private readonly reports: RawStats[] = [];
  private connected = false;
  private waiters: (() => void)[] = [];
  readonly closed: Promise<RawStats>;

  constructor(
    sb: Sandbox,
    ns: string,
    port: number,
    options: { host?: string; line?: string; noRead?: boolean; portOfInterest?: number; realtime?: boolean } = {},
  ) {
    const args = [options.host ?? '127.0.0.1', String(port)];
    if (options.line !== undefined) args.push('--line', options.line);
    if (options.noRead) args.push('--no-read');
    if (options.portOfInterest !== undefined) args.push('--port-of-interest', String(options.portOfInterest));
    // realtime: SCHED_FIFO, so the client runs whenever it has data, whatever else the machine does
    const prio = options.realtime ? ['chrt', '-f', '10'] : [];
    this.child = sb.spawn(ns, [...prio, 'node', RAW_CLIENT, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let partial = '';
    this.child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      const parts = (partial + text).split('\n');
      partial = parts.pop()!;
      for (const p of parts) {
        const msg = JSON.parse(p) as RawStats | { event: 'connected' };
        if (msg.event === 'connected') this.connected = true;
        else this.reports.push(msg);
      }
      for (const w of this.waiters.splice(0)) w();
    });
    this.child.stderr!.resume();
    // 'close', not 'exit': the last report may still be in the stdout pipe when the process exits.
    let gone = false;
    this.closed = new Promise((resolve, reject) => {
      const check = () => {
        const c = this.reports.find((r) => r.event === 'closed');
        if (c) resolve(c);
        else if (gone)
          reject(new Error(`raw client exited ${this.child.exitCode ?? this.child.signalCode} without a report`));
        else this.waiters.push(check);
      };
      this.child.once('close', () => {
        gone = true;
        check();
      });
      check();
    });
    this.closed.catch(() => {}); // observed by whoever awaits it
  }

  readonly child: ChildProcess;

  async whenConnected(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.connected) {
      if (this.child.exitCode !== null) await this.closed.catch(() => {}); // its output, read to the end
      if (this.connected) break;
      if (this.child.exitCode !== null || Date.now() > deadline) throw new Error('raw client did not connect');
      await new Promise<void>((resolve) => {
        setTimeout(resolve, 50);
        this.waiters.push(resolve);
      });
    }
  }

  /** What the client has received so far. */
  async stats(): Promise<RawStats> {
    const n = this.reports.length;
    this.child.stdin!.write('stats\n');
    while (this.reports.length === n) {
      if (this.child.exitCode !== null) return this.closed;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return this.reports[this.reports.length - 1]!; // the loop above waited for one more
  }

  /** Closes the connection; resolves with the final counts. */
  async end(): Promise<RawStats> {
    if (this.child.exitCode === null) this.child.stdin!.write('end\n');
    return this.closed;
  }

  /** Polls until the client has seen `n` matching packets (or fails with what it has). */
  async waitForMatching(n: number, timeoutMs = 5000): Promise<RawStats> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.stats();
      if (s.matching >= n || s.event === 'closed' || Date.now() > deadline) return s;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * `tshark -i TCP@HOST:PORT -c COUNT -a duration:SECONDS -w FILE` inside `ns`: it stops after COUNT
 * packets (or SECONDS), and closes its connection when it does.
 */
export function tsharkClient(
  sb: Sandbox,
  ns: string,
  port: number,
  file: string,
  count: number,
  seconds = 20,
): ChildProcess {
  return sb.spawn(ns, [
    'timeout',
    String(seconds + 10),
    'tshark',
    '-q',
    '-i',
    `TCP@127.0.0.1:${port}`,
    '-c',
    String(count),
    '-a',
    `duration:${seconds}`,
    '-w',
    file,
  ]);
}

export async function tsharkDone(child: ChildProcess): Promise<void> {
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (t: string) => (err += t));
  const e = await exited(child);
  if (e.code !== 0) throw new Error(`tshark exited ${e.code ?? e.signal}: ${err.trim()}`);
}

export interface FilePacket {
  dport: number;
  seq?: number;
}

/** The packets of a capture file as tshark reads them: UDP destination port and our sequence number. */
export function readWithTshark(file: string): FilePacket[] {
  const out = run('tshark', [
    '-r',
    file,
    '-T',
    'fields',
    '-E',
    'separator=/t',
    '-e',
    'udp.dstport',
    '-e',
    'udp.payload',
  ]);
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [dport, payload] = l.split('\t');
      const bytes = Buffer.from((payload ?? '').replace(/:/g, ''), 'hex');
      const seq =
        bytes.length >= 9 && bytes.subarray(0, 5).toString('latin1') === 'pcapp' ? bytes.readUInt32BE(5) : undefined;
      return { dport: Number(dport), seq };
    });
}

/** Sends `count` numbered datagrams from `ns` to host:port (see udp-send.mjs); resolves when sent. */
export async function sendUdp(
  sb: Sandbox,
  ns: string,
  host: string,
  port: number,
  count: number,
  first = 0,
  otherPort?: number,
): Promise<void> {
  const args = ['timeout', '20', 'node', UDP_SEND, host, String(port), String(count), String(first)];
  if (otherPort !== undefined) args.push('--other', String(otherPort));
  const child = sb.spawn(ns, args);
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (t: string) => (err += t));
  const e = await exited(child);
  if (e.code !== 0) throw new Error(`udp-send exited ${e.code ?? e.signal}: ${err.trim()}`);
}

export const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
