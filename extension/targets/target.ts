// A place where packets can be captured. The panel only ever talks to this interface: the local
// machine, SSH hosts, Kubernetes nodes next, each giving interfaces and a capture stream.
import type { Readable, Writable } from 'node:stream';
import type { InterfaceInfo, TargetInfo } from '../../packet/protocol.js';

export interface CaptureRequest {
  interfaces: string[];
  filter: string;
  snaplen: number;
  /** Traffic never captured, whatever the filter says (the capture's own SSH connection). */
  exclude?: string;
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

/** The agent's argv for a capture request; stdout carries pcapng, stderr JSON events. */
export function captureArgs(request: CaptureRequest): string[] {
  const args = ['capture', '--events', 'json', '--format', 'pcapng', '-w', '-', '-s', String(request.snaplen)];
  for (const name of request.interfaces) args.push('-i', name);
  if (request.filter.trim() !== '') args.push('-f', request.filter);
  if (request.exclude) args.push('--exclude', request.exclude);
  return args;
}
