// Runs the agent as a child process the way the extension does: stdin a pipe (its end means
// stop), capture bytes to a file or stdout, and with --events json one JSON event per stderr line.
// The agent is the static executable (dist/agent/linux-x64/pcap-agent), what bin/pcap-agent runs.
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { registerCleanup } from './cleanup.js';

export const REPO = path.resolve(__dirname, '../../..');
export const STATIC_AGENT = path.join(REPO, 'dist', 'agent', 'linux-x64', 'pcap-agent');
/** argv that runs the agent, before its own arguments. */

let agentForNobody: string[] | undefined;

/** A scratch folder everyone can read, removed at exit. */
function folderReadableByAll(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pcap-agent-for-nobody-'));
  registerCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.chmodSync(dir, 0o755);
  return dir;
}

/**
 * The built agent where `nobody` can read it, as argv. A clone inside a private folder (mktemp -d
 * makes 0700 ones) is closed to other users, so an unprivileged run starts a copy of the executable
 * kept in a folder everyone can read, removed at exit.
 */
function agentReadableByAll(): string[] {
  if (agentForNobody) return agentForNobody;
  const dir = folderReadableByAll();
  const copy = path.join(dir, 'pcap-agent');
  fs.copyFileSync(STATIC_AGENT, copy);
  fs.chmodSync(copy, 0o755);
  agentForNobody = [copy];
  return agentForNobody;
}

export interface AgentEvent {
  event: string;
  [key: string]: unknown;
}

export interface AgentExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  /** Run as an unprivileged user (setpriv to nobody). */
  unprivileged?: boolean;
  /** stdin: a pipe (default: the stop channel), or /dev/null. */
  stdin?: 'pipe' | 'ignore';
  env?: NodeJS.ProcessEnv;
  /** What to run instead of the agent under test (e.g. the static agent under `env -i`). */
  command?: readonly string[];
}

/** Rejects after `ms` with `what` in the message. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer!: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export class Agent {
  readonly child: ChildProcess;
  readonly events: AgentEvent[] = [];
  /** stderr lines that were not JSON events. */
  readonly otherStderr: string[] = [];
  stderr = '';
  stdout: Buffer[] = [];
  readonly exited: Promise<AgentExit>;
  private readonly waiters: { event: string; resolve: (e: AgentEvent) => void }[] = [];

  constructor(
    readonly args: readonly string[],
    options: SpawnOptions = {},
  ) {
    const [cmd, argv] = options.unprivileged
      ? [
          'setpriv',
          ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', ...agentReadableByAll(), ...args],
        ]
      : options.command
        ? [options.command[0]!, [...options.command.slice(1), ...args]]
        : [STATIC_AGENT, [...args]];
    this.child = spawn(cmd, argv, {
      stdio: [options.stdin ?? 'pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
    });
    const child = this.child;
    const unregister = registerCleanup(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    child.stdout!.on('data', (d: Buffer) => this.stdout.push(d));
    let partial = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.stderr += d;
      partial += d;
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const line of lines) this.onLine(line);
    });
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        unregister();
        if (partial) this.onLine(partial);
        resolve({ code, signal });
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  private onLine(line: string): void {
    let e: AgentEvent | undefined;
    try {
      const v = JSON.parse(line);
      if (v && typeof v === 'object' && typeof v.event === 'string') e = v;
    } catch {
      // a human line
    }
    if (!e) {
      this.otherStderr.push(line);
      return;
    }
    this.events.push(e);
    for (const w of this.waiters.filter((x) => x.event === e!.event)) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve(e);
    }
  }

  /** The first event of this kind (already seen or still to come); rejects if the agent exits first. */
  waitFor(event: string, ms = 10_000): Promise<AgentEvent> {
    const seen = this.events.find((e) => e.event === event);
    if (seen) return Promise.resolve(seen);
    const arrived = new Promise<AgentEvent>((resolve) => this.waiters.push({ event, resolve }));
    const died = this.exited.then((x) => {
      throw new Error(`agent exited (${x.code ?? x.signal}) before "${event}"; stderr:\n${this.stderr}`);
    });
    return within(Promise.race([arrived, died]), ms, `agent event "${event}" (stderr so far: ${this.stderr.trim()})`);
  }

  /** Waits for the 'started' event: the hooks are attached and traffic may begin. */
  started(ms = 10_000): Promise<AgentEvent> {
    return this.waitFor('started', ms);
  }

  /** The extension's stop: close stdin; resolves with the exit. */
  async stop(ms = 10_000): Promise<AgentExit> {
    this.child.stdin?.end();
    return within(this.exited, ms, 'the agent to exit after stdin closed');
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  event(name: string): AgentEvent | undefined {
    return this.events.find((e) => e.event === name);
  }
}

export function spawnAgent(args: readonly string[], options: SpawnOptions = {}): Agent {
  return new Agent(args, options);
}

/** A scratch directory removed at exit. */
export function scratchDir(tag: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pcapk-${tag}-`));
  registerCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Time for the peer side of a veth to finish what the sender started: veth delivers to the peer's
 * ingress from a softirq, after the sending call returned. Generators wait for replies where they
 * can; this covers the last one-way packet (e.g. TCP's final ACK).
 */
export const SETTLE_MS = 50;

export interface CaptureRun {
  agent: Agent;
  file: string;
  started: AgentEvent;
  stopped: AgentEvent;
  exit: AgentExit;
}

/**
 * Starts a capture (-w FILE --events json, plus `args`; name "-" writes to stdout), waits for 'started', runs `traffic`,
 * lets it settle, stops by closing stdin, and checks the agent exited 0 with a 'stopped' event.
 */
export async function capture(
  args: readonly string[],
  traffic: () => Promise<void>,
  options: { dir: string; name: string },
): Promise<CaptureRun> {
  // name "-": the capture goes to stdout (collected in agent.stdout).
  const file = options.name === '-' ? '-' : path.join(options.dir, options.name);
  const agent = spawnAgent(['capture', ...args, '-w', file, '--events', 'json']);
  try {
    const started = await agent.started();
    await traffic();
    await sleep(SETTLE_MS);
    const exit = await agent.stop();
    if (exit.code !== 0) throw new Error(`agent exited ${exit.code ?? exit.signal}; stderr:\n${agent.stderr}`);
    const stopped = agent.event('stopped');
    if (!stopped) throw new Error(`no "stopped" event; stderr:\n${agent.stderr}`);
    return { agent, file, started, stopped, exit };
  } finally {
    if (agent.child.exitCode === null && agent.child.signalCode === null) {
      agent.kill('SIGKILL');
      await agent.exited;
    }
  }
}

/** Starts several captures at once (one per args list), all attached before `traffic` runs. */
export async function captureMany(
  runs: readonly { name: string; args: readonly string[] }[],
  traffic: () => Promise<void>,
  dir: string,
): Promise<Map<string, CaptureRun>> {
  const agents = runs.map((r) => ({
    ...r,
    file: path.join(dir, r.name),
    agent: spawnAgent(['capture', ...r.args, '-w', path.join(dir, r.name), '--events', 'json']),
  }));
  try {
    const started = await Promise.all(agents.map((a) => a.agent.started(20_000)));
    await traffic();
    await sleep(SETTLE_MS);
    const exits = await Promise.all(agents.map((a) => a.agent.stop()));
    const out = new Map<string, CaptureRun>();
    agents.forEach((a, i) => {
      const exit = exits[i]!;
      if (exit.code !== 0)
        throw new Error(`agent ${a.name} exited ${exit.code ?? exit.signal}; stderr:\n${a.agent.stderr}`);
      const stopped = a.agent.event('stopped');
      if (!stopped) throw new Error(`agent ${a.name}: no "stopped" event; stderr:\n${a.agent.stderr}`);
      out.set(a.name, { agent: a.agent, file: a.file, started: started[i]!, stopped, exit });
    });
    return out;
  } finally {
    for (const { agent } of agents) {
      if (agent.child.exitCode === null && agent.child.signalCode === null) {
        agent.kill('SIGKILL');
        await agent.exited;
      }
    }
  }
}
