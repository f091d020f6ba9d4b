// The built agent (the static executable, ../helpers/agent.ts) run inside a test namespace, with its stderr lines, its BPF links as the
// kernel reports them, and a clean stop.
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { STATIC_AGENT } from '../helpers/agent.js';
import { exited, run, type Sandbox } from './sandbox.js';

export const REPO = path.resolve(__dirname, '../../..');
export const AGENT = STATIC_AGENT;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class Agent {
  readonly lines: string[] = [];
  readonly exit: Promise<Exit>;
  private partial = '';
  private waiters: (() => void)[] = [];

  private constructor(readonly child: ChildProcess) {
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (text: string) => {
      const parts = (this.partial + text).split('\n');
      this.partial = parts.pop()!;
      this.lines.push(...parts);
      for (const w of this.waiters.splice(0)) w();
    });
    child.stdout!.resume();
    this.exit = exited(child).then((e) => {
      if (this.partial) this.lines.push(this.partial);
      for (const w of this.waiters.splice(0)) w();
      return e;
    });
  }

  /** `ip netns exec NS [WRAPPER…] env VARS… AGENT ARGS…` */
  static start(
    sb: Sandbox,
    ns: string,
    env: Record<string, string>,
    args: string[] = [],
    wrapper: string[] = [],
  ): Agent {
    const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    return new Agent(sb.spawn(ns, [...wrapper, 'env', ...vars, AGENT, ...args]));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get stderr(): string {
    return this.lines.join('\n');
  }

  /** A cursor into the stderr lines: pass it to waitFor to see only lines written after now. */
  mark(): number {
    return this.lines.length;
  }

  /** The first stderr line at or after `from` matching `re`; fails on timeout or on exit. */
  async waitFor(re: RegExp, from = 0, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.slice(from).find((l) => re.test(l));
      if (hit !== undefined) return hit;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(
          `agent exited (${this.child.exitCode ?? this.child.signalCode}) before printing ${re}; stderr:\n${this.stderr}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${re} on the agent's stderr:\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits until the agent serves (the PCA server or a --listen capture is accepting clients). */
  async ready(): Promise<void> {
    await this.waitFor(/serving pcap on|capturing on|\d+ clients? connected/);
  }

  /** SIGTERM, then the exit (SIGKILL after `timeoutMs`, and the test fails on that). */
  async stop(timeoutMs = 8000): Promise<Exit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const e = await this.exit;
    clearTimeout(timer);
    if (e.signal === 'SIGKILL')
      throw new Error(`agent did not stop within ${timeoutMs} ms of SIGTERM; stderr:\n${this.stderr}`);
    return e;
  }

  /** The agent's resident memory in KiB (VmRSS). */
  rssKiB(): number {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${this.pid}/status`, 'utf8'));
    if (!m) throw new Error(`no VmRSS for pid ${this.pid}`);
    return Number(m[1]);
  }

  /** tcx links the agent holds, from its file descriptors (fdinfo names the interface). */
  tcxLinks(): TcxLink[] {
    return fdinfos(this.pid)
      .filter((f) => f.link_type === 'tcx')
      .map((f) => ({
        linkId: Number(f.link_id),
        progId: Number(f.prog_id),
        ifindex: Number(f.ifindex),
        attach: f.attach_type?.includes('ingress') ? ('ingress' as const) : ('egress' as const),
      }));
  }

  /** `bpftool link show` entries that run one of this agent's programs. */
  bpftoolLinks(): { id: number; prog_id: number }[] {
    const progs = new Set(
      fdinfos(this.pid)
        .filter((f) => f.prog_type !== undefined)
        .map((f) => Number(f.prog_id)),
    );
    return bpftoolLinks().filter((l) => progs.has(l.prog_id));
  }

  /** Waits until the names of the interfaces with a tcx link are exactly `expected`. */
  async attachedNames(names: Map<number, string>, expected: string[], timeoutMs = 5000): Promise<void> {
    const want = [...expected].sort().join(',');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = [...new Set(this.tcxLinks().map((l) => names.get(l.ifindex) ?? `#${l.ifindex}`))].sort().join(',');
      if (seen === want) return;
      if (Date.now() > deadline) throw new Error(`attached to [${seen}], expected [${want}]; stderr:\n${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

export interface TcxLink {
  linkId: number;
  progId: number;
  ifindex: number;
  attach: 'ingress' | 'egress';
}

function fdinfos(pid: number): Record<string, string>[] {
  const dir = `/proc/${pid}/fdinfo`;
  const out: Record<string, string>[] = [];
  let fds: string[];
  try {
    fds = fs.readdirSync(dir);
  } catch {
    return out; // the process is gone
  }
  for (const fd of fds) {
    let text: string;
    try {
      text = fs.readFileSync(`${dir}/${fd}`, 'utf8');
    } catch {
      continue; // closed meanwhile
    }
    if (!text.includes('prog_id')) continue;
    const rec: Record<string, string> = {};
    for (const line of text.split('\n')) {
      const i = line.indexOf(':');
      if (i > 0) rec[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
    out.push(rec);
  }
  return out;
}

/** Every BPF link on the machine (`bpftool -j link show`). */
export function bpftoolLinks(): { id: number; type: number | string; prog_id: number }[] {
  return JSON.parse(run('bpftool', ['-j', 'link', 'show']) || '[]');
}
