// Private networks for kernel tests and the benchmark: network namespaces joined by veth pairs,
// and every process started in them, all removed again at the end (also when a test fails, and
// from a process 'exit' hook when the runner is torn down before `after` runs).
//
// Traffic rule: only loopback and these namespaces carry test traffic; addresses come from
// 198.18.0.0/24 and 2001:db8:200::/64 (another suite uses 198.51.100.0/24).
import { type ChildProcess, type SpawnOptions, spawn, spawnSync } from 'node:child_process';

let nextId = 0;
const live = new Set<Sandbox>();

process.on('exit', () => {
  for (const sb of live) sb.cleanupSync();
});
// A signal (the test runner's timeout, `timeout`, Ctrl-C) skips 'exit' hooks: clean up first,
// then end as the signal would have, unless someone else handles it too.
for (const [sig, n] of [
  ['SIGINT', 2],
  ['SIGTERM', 15],
  ['SIGHUP', 1],
] as const) {
  process.on(sig, () => {
    for (const sb of live) sb.cleanupSync();
    if (process.listenerCount(sig) === 1) process.exit(128 + n);
  });
}

export interface Veth {
  a: string;
  b: string;
}

export class Sandbox {
  readonly namespaces: string[] = [];
  readonly processes = new Set<ChildProcess>();
  private readonly id = nextId++;
  private nsCount = 0;

  constructor() {
    live.add(this);
  }

  /** A new namespace with its loopback up; the name is unique to this process and sandbox. */
  netns(tag: string): string {
    const name = `pcapp-${process.pid}-${this.id}${this.nsCount++}-${tag}`;
    run('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
    run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /**
   * A veth pair from `nsA` to `nsB` (or inside one namespace when they are equal), up, with the
   * given CIDR addresses (none when omitted).
   */
  veth(nsA: string, nameA: string, nsB: string, nameB: string, addrA: string[] = [], addrB: string[] = []): Veth {
    if (nsA === nsB) run('ip', ['-n', nsA, 'link', 'add', nameA, 'type', 'veth', 'peer', 'name', nameB]);
    else run('ip', ['link', 'add', nameA, 'netns', nsA, 'type', 'veth', 'peer', 'name', nameB, 'netns', nsB]);
    for (const [ns, dev, addrs] of [
      [nsA, nameA, addrA],
      [nsB, nameB, addrB],
    ] as const) {
      // IPv6 addresses must not wait for duplicate address detection before traffic flows.
      for (const a of addrs) run('ip', ['-n', ns, 'addr', 'add', a, 'dev', dev, ...(a.includes(':') ? ['nodad'] : [])]);
      run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    }
    return { a: nameA, b: nameB };
  }

  /** Runs a command inside `ns` to completion (bounded by `timeoutMs`); throws on failure. */
  exec(ns: string, argv: string[], timeoutMs = 20_000): string {
    return run('ip', ['netns', 'exec', ns, ...argv], timeoutMs);
  }

  /**
   * Starts a command inside `ns`. `ip netns exec` execs the command, so the child's pid is the
   * command's own (signals reach it directly). The process is killed at cleanup if still alive.
   */
  spawn(ns: string, argv: string[], options: SpawnOptions = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    this.processes.add(child);
    child.once('exit', () => this.processes.delete(child));
    return child;
  }

  async cleanup(): Promise<void> {
    const alive = [...this.processes].filter((p) => p.exitCode === null && p.signalCode === null);
    for (const p of alive) p.kill('SIGTERM');
    await Promise.all(
      alive.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            const t = setTimeout(() => {
              p.kill('SIGKILL');
              resolve();
            }, 3000);
            p.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
          }),
      ),
    );
    this.cleanupSync();
  }

  cleanupSync(): void {
    for (const p of this.processes) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    for (const ns of this.namespaces.splice(0)) {
      // Whatever still runs inside (a grandchild we never saw) dies with its namespace's end.
      const pids =
        spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout?.split(/\s+/).filter(Boolean) ?? [];
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          /* gone already */
        }
      }
      spawnSync('ip', ['netns', 'del', ns]);
    }
    live.delete(this);
  }
}

/** Runs a command to completion; throws with its stderr when it fails. */
export function run(cmd: string, args: string[], timeoutMs = 20_000): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** ifindex → name for the interfaces of `ns`. */
export function interfaceNames(ns: string): Map<number, string> {
  const list = JSON.parse(run('ip', ['-n', ns, '-j', 'link', 'show'])) as { ifindex: number; ifname: string }[];
  return new Map(list.map((l) => [l.ifindex, l.ifname]));
}

/** Resolves when the child has exited and its stdout and stderr are read to the end: its code, or
 *  its signal. ('exit' alone can come before the last of its output has been read.) */
export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const ended = child.exitCode !== null || child.signalCode !== null;
  if (ended && [child.stdout, child.stderr].every((s) => !s || s.closed)) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 5000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
