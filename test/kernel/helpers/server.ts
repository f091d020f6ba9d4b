// Real servers (postgres, redis-server, mosquitto, a Node gRPC server) inside a namespace, for as
// long as a test needs them. Each runs under GNU timeout, which leads a process group of its own
// and, when the bound passes, asks the group to end, then kills it: so a server ends even when the
// test process dies without cleaning up (SIGKILL). Each of these servers ends cleanly on SIGINT
// (PostgreSQL: fast shutdown, which also removes its System V shared memory segment, where SIGKILL
// would leave it behind); its own children end with it (PostgreSQL's make sessions of their own,
// and exit when the postmaster is gone). stop() and the cleanup registry at exit do the same:
// SIGINT to the group, a bounded wait, SIGKILL.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { within } from './agent.js';
import { registerCleanup } from './cleanup.js';
import type { Netns } from './netns.js';

/** Output kept of a server, for the messages that say why it did not come up. */
const OUTPUT_TAIL = 4096;

/** How long a server may take to end after SIGINT before it is killed. */
const STOP_GRACE_MS = 5000;

/** Sends `signal` to a process group; false when it is gone already. */
function signalGroup(leader: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-leader, signal);
    return true;
  } catch {
    return false;
  }
}

export class BoundedServer {
  private readonly child: ChildProcess;
  private readonly unregister: () => void;
  private tail = '';
  readonly exited: Promise<number | null>;

  /** Starts `argv` in `ns`, killed with its process group after `boundSeconds` at the latest. */
  constructor(
    readonly ns: Netns,
    readonly argv: readonly string[],
    boundSeconds: number,
  ) {
    // `ip netns exec` runs timeout in place, and timeout (without --foreground) leads a new process
    // group: its pid is the group's id.
    const bound = ['timeout', '-s', 'INT', '-k', `${STOP_GRACE_MS / 1000}`, String(boundSeconds)];
    this.child = spawn('ip', ['netns', 'exec', ns.name, ...bound, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    const leader = this.child.pid!;
    this.unregister = registerCleanup(() => stopNow(leader));
    const keep = (chunk: string) => {
      this.tail = (this.tail + chunk).slice(-OUTPUT_TAIL);
    };
    this.child.stdout!.setEncoding('utf8').on('data', keep);
    this.child.stderr!.setEncoding('utf8').on('data', keep);
    this.exited = new Promise((resolve) => {
      this.child.once('error', () => resolve(127));
      this.child.once('close', (code) => resolve(code));
    });
  }

  /** What the server printed last (stdout and stderr). */
  get output(): string {
    return this.tail;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Its name and last words, for an error message. */
  describe(): string {
    return `${this.argv.join(' ')} (${this.running ? 'running' : 'exited'}): ${this.tail.trim() || 'no output'}`;
  }

  /** Waits until `ready()` says so (polled); fails at once when the server exits first, or after
   *  `timeoutMs`, with what it printed. */
  async waitReady(ready: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`exited before it was ready: ${this.describe()}`);
      if (await ready()) return;
      if (Date.now() > deadline) throw new Error(`not ready within ${timeoutMs} ms: ${this.describe()}`);
      await sleep(50);
    }
  }

  /** SIGINT to the group, SIGKILL after STOP_GRACE_MS. */
  async stop(): Promise<void> {
    const leader = this.child.pid!;
    if (this.running) signalGroup(leader, 'SIGINT');
    try {
      await within(this.exited, STOP_GRACE_MS, `${this.argv.join(' ')} to stop`);
    } catch {
      signalGroup(leader, 'SIGKILL');
      await this.exited;
    } finally {
      // The group's members outlive its leader only by moments; none may stay.
      signalGroup(leader, 'SIGKILL');
      this.unregister();
    }
  }
}

/**
 * stop(), synchronously (the cleanup registry runs as the process exits): `tail --pid` waits for
 * the server, timeout's one child (the leader itself cannot be waited for so: this process, its
 * parent, reaps it only from the event loop, so it stays a zombie meanwhile).
 */
function stopNow(leader: number): void {
  let server: string | undefined;
  try {
    server = fs.readFileSync(`/proc/${leader}/task/${leader}/children`, 'utf8').trim().split(' ')[0];
  } catch {
    // gone already
  }
  if (!signalGroup(leader, 'SIGINT')) return;
  if (server) spawnSync('tail', [`--pid=${server}`, '-f', '/dev/null'], { stdio: 'ignore', timeout: STOP_GRACE_MS });
  signalGroup(leader, 'SIGKILL');
}

export interface Output {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program in `ns` (a client, initdb) without blocking the event loop (a capture is being
 * read). It leads a process group of its own, killed whole after `timeoutMs` or when this process
 * exits: nothing it forked goes on writing into a folder the cleanup removes.
 */
export function runIn(
  ns: Netns,
  argv: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Output> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const child = spawn('ip', ['netns', 'exec', ns.name, ...argv], {
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const unregister = registerCleanup(() => signalGroup(child.pid!, 'SIGKILL'));
  const timer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), timeoutMs);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => {
    const done = (code: number | null, why = '') => {
      clearTimeout(timer);
      unregister();
      resolve({ code, stdout, stderr: stderr + why });
    };
    child.once('error', (e) => done(null, `\n${e.message}`));
    child.once('close', (code, signal) => done(code, signal ? `\n(killed by ${signal}, bound ${timeoutMs} ms)` : ''));
  });
}

/** runIn, which must exit 0: its stdout; else an Error with what it said. */
export async function runOk(
  ns: Netns,
  argv: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<string> {
  const r = await runIn(ns, argv, options);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}
