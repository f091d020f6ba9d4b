// A place where packets can be captured. The panel only ever talks to this interface: the local
// machine, SSH hosts, Kubernetes nodes next, each giving interfaces and a capture stream.
import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { captureArgv } from '../../agent/options.js';
import type { InterfaceInfo, TargetInfo } from '../../packet/protocol.js';

export interface CaptureRequest {
  interfaces: string[];
  filter: string;
  snaplen: number;
  /** Traffic never captured, whatever the filter says (the capture's own SSH connection). */
  exclude?: string;
  /** Budgets: stop after this many packets, or this long. */
  count?: number;
  durationMs?: number;
  /** Each packet names its process (the agent's --processes: an EPB comment `PID: N\nCmd: …\nArgs: …`). */
  processes?: boolean;
  /** Name each packet's process where the host can; elsewhere capture without (the agent warns). */
  processesIfAvailable?: boolean;
  /** Only this process and its descendants (the agent's --pid; implies processes). */
  pid?: number;
}

/** The agent as a process anywhere: a child process, an `ssh exec` or `kubectl exec` channel. */
export interface AgentProcess {
  readonly stdin: Writable;
  /** pcapng bytes. */
  readonly stdout: Readable;
  /** JSON event lines (`--events json`). */
  readonly stderr: Readable;
  kill(): void;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** Why it ended, when the exit code cannot say (a dropped connection). */
  exitReason?(): string | undefined;
  /** What the user should know while it captures (shown in the panel). */
  readonly note?: string;
  /** false for a plain pcap stream (PCAP-over-TCP): no JSON events, capturing from the start. */
  readonly reportsEvents?: boolean;
}

export interface CaptureTarget {
  readonly info: TargetInfo;
  listInterfaces(): Promise<InterfaceInfo[]>;
  /** Starts `pcap-agent capture … -w - --events json` there. */
  startCapture(request: CaptureRequest): Promise<AgentProcess>;
}

/** The agent's argv for a capture request (in `netns`, a name under /run/netns): pcapng on stdout, JSON events on stderr. */
export function captureArgs(request: CaptureRequest, netns?: string): string[] {
  return captureArgv({
    interfaces: request.interfaces,
    netns,
    filter: request.filter.trim() === '' ? undefined : request.filter,
    exclude: request.exclude,
    snaplen: request.snaplen,
    count: request.count,
    durationMs: request.durationMs,
    processes: request.processes,
    processesIfAvailable: request.processesIfAvailable,
    pid: request.pid,
    format: 'pcapng',
    write: '-',
    eventsJson: true,
  });
}

/** A spawned agent (or the `kubectl exec` that runs one) as an AgentProcess. `exited` resolves once
 *  the process has ended and its output streams are closed, so its last bytes are read first. */
export function childAgentProcess(child: ChildProcess, note?: string): AgentProcess {
  const exited = new Promise<number | null>((resolve) => {
    child.once('close', (code) => resolve(code));
    child.once('error', () => resolve(127));
  });
  return {
    stdin: child.stdin!,
    stdout: child.stdout!,
    stderr: child.stderr!,
    kill: () => child.kill('SIGTERM'),
    exited,
    note,
  };
}
