// One running capture: the agent's pcapng stream parsed into the store, its JSON events turned
// into status and counters. Stopping closes the agent's stdin; the agent detaches and exits.
import { controlLine } from '../../agent/control.js';
import { parseAgentEvent } from '../../agent/events.js';
import type { CaptureStatus } from '../../packet/protocol.js';
import type { PacketStore } from '../store/packet-store.js';
import { StoreIngest } from '../store/store-ingest.js';
import type { AgentProcess, CaptureRequest, CaptureTarget } from '../targets/target.js';

const STOP_GRACE_MS = 5000;

export interface LiveCaptureEvents {
  onStatus(status: CaptureStatus, message?: string): void;
  /** Packets were appended to the store. */
  onPackets(): void;
  /** The kernel's drop count changed. */
  onDrops?(): void;
}

export class LiveCapture {
  private agent?: AgentProcess;
  private readonly ingest: StoreIngest;
  private stderrTail = '';
  private errorMessage?: string;
  /** What the agent warned of before it started (no process attribution, AF_PACKET instead of eBPF). */
  private readonly warnings: string[] = [];
  private stopRequested = false;
  private stopMessage?: string;
  /** Resolves start() once the agent reports its hooks attached. */
  private onStarted: () => void = () => {};
  /** The pending set-filter request: the agent answers with a 'filter' or an 'error' event. */
  private filterReply?: { resolve: () => void; reject: (e: Error) => void };
  status: CaptureStatus = 'idle';
  kernelDrops = 0;
  bytesReceived = 0;

  constructor(
    private readonly target: CaptureTarget,
    private readonly request: CaptureRequest,
    private readonly store: PacketStore,
    private readonly events: LiveCaptureEvents,
  ) {
    this.ingest = new StoreIngest(store);
  }

  async start(): Promise<void> {
    this.setStatus('starting');
    try {
      this.agent = await this.target.startCapture(this.request);
    } catch (e) {
      this.setStatus('error', (e as Error).message);
      throw e;
    }
    const agent = this.agent;
    agent.stdin.on('error', () => {}); // the agent may exit first; its exit is reported below
    agent.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    agent.stderr.on('data', (chunk: Buffer) => this.onStderr(chunk));
    const started = new Promise<void>((resolve, reject) => {
      this.onStarted = resolve;
      void agent.exited.then((code) => reject(new Error(this.exitMessage(code))));
    });
    void agent.exited.then((code) => this.onExit(code));
    if (agent.reportsEvents === false) {
      this.setStatus('capturing', agent.note);
      this.onStarted();
    }
    await started;
  }

  private onData(chunk: Buffer): void {
    this.bytesReceived += chunk.length;
    const appended = this.ingest.push(chunk);
    if (this.store.fullStop) void this.stop('The capture reached its limit (packets or bytes held) and was stopped.');
    if (appended > 0) this.events.onPackets();
  }

  private onStderr(chunk: Buffer): void {
    this.stderrTail += chunk.toString('utf8');
    for (let end = this.stderrTail.indexOf('\n'); end >= 0; end = this.stderrTail.indexOf('\n')) {
      const line = this.stderrTail.slice(0, end).trim();
      this.stderrTail = this.stderrTail.slice(end + 1);
      if (line) this.onEventLine(line);
    }
    if (this.stderrTail.length > 65536) this.stderrTail = this.stderrTail.slice(-65536);
  }

  private onEventLine(line: string): void {
    const e = parseAgentEvent(line);
    if (!e) {
      // sudo and the runtime speak plain text; a JSON line of a kind this side does not know is let be
      if (!line.startsWith('{')) this.errorMessage = line;
      return;
    }
    if (e.event === 'started') {
      this.setStatus('capturing', this.startedNote());
      this.onStarted();
    } else if (e.event === 'stats' || e.event === 'stopped') {
      if (e.kernelDropped === this.kernelDrops) return;
      this.kernelDrops = e.kernelDropped;
      this.events.onDrops?.();
    } else if (e.event === 'warning' && this.status === 'starting') {
      this.warnings.push(e.message);
    } else if (e.event === 'filter') {
      this.filterReply?.resolve();
    } else if (e.event === 'error') {
      if (this.filterReply && e.code === 'E_FILTER') this.filterReply.reject(new Error(e.message));
      else this.errorMessage = e.message;
    }
  }

  /** The target's note and the agent's warnings, shown while it captures. */
  private startedNote(): string | undefined {
    const parts = [this.agent?.note, ...this.warnings.map((w) => `${w.charAt(0).toUpperCase()}${w.slice(1)}.`)];
    const note = parts.filter((p) => p !== undefined && p !== '').join(' ');
    return note === '' ? undefined : note;
  }

  private exitMessage(code: number | null): string {
    return (
      this.errorMessage ??
      this.agent?.exitReason?.() ??
      `the capture agent exited (${code === null ? 'killed' : `status ${code}`})`
    );
  }

  private onExit(code: number | null): void {
    this.ingest.end();
    if (code === 0 || this.stopRequested) this.setStatus('stopped', this.stopMessage);
    else this.setStatus('error', this.exitMessage(code));
  }

  /** Swaps the kernel filter of the running capture (the agent's stdin control channel). */
  async setFilter(filter: string): Promise<void> {
    if (!this.agent || this.status !== 'capturing') throw new Error('No capture is running.');
    const agent = this.agent;
    const reply = new Promise<void>((resolve, reject) => {
      this.filterReply = { resolve, reject };
      setTimeout(() => reject(new Error('the agent did not answer the filter change')), 5000);
      void agent.exited.then(() => reject(new Error(this.exitMessage(null))));
    });
    agent.stdin.write(controlLine({ command: 'set-filter', filter }));
    try {
      await reply;
    } finally {
      this.filterReply = undefined;
    }
  }

  /** Closes the agent's stdin (its stop signal) and waits for it to exit, then kills it. */
  async stop(message?: string): Promise<void> {
    if (!this.agent || this.stopRequested) return;
    this.stopRequested = true;
    this.stopMessage = message;
    this.setStatus('stopping', message);
    this.agent.stdin.end();
    const timer = setTimeout(() => this.agent?.kill(), STOP_GRACE_MS);
    await this.agent.exited;
    clearTimeout(timer);
  }

  private setStatus(status: CaptureStatus, message?: string): void {
    this.status = status;
    this.events.onStatus(status, message);
  }
}
