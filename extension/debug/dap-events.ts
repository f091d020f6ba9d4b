// What a debug session says about its debuggee, read from the Debug Adapter Protocol messages that
// pass between VS Code and the adapter (a DebugAdapterTracker sees both directions). No VS Code
// here: the unit tests feed it recorded message sequences.
//
// - `process` event: the debuggee's process id (`systemProcessId`), when the adapter sends one.
// - `stopped` event: a pause (breakpoint, exception, step, pause…) of one thread or of all.
// - `continued` event, or a request that resumes (continue, next, stepIn, …): running again.
//   Adapters need not send `continued` after a request that resumes, so the request counts too.
// - `exited` / `terminated` event: the debuggee is gone.

/** Requests after which the debuggee runs until it stops again (DAP: "implicit continue"). */
const RESUMING_REQUESTS = new Set(['continue', 'next', 'stepIn', 'stepOut', 'stepBack', 'reverseContinue', 'goto']);

export type DebuggeeEvent =
  | { kind: 'process'; pid: number; name?: string }
  | { kind: 'paused'; reason: string; threadId?: number; description?: string }
  | { kind: 'continued' }
  | { kind: 'ended' };

interface DapMessage {
  type?: unknown;
  event?: unknown;
  command?: unknown;
  body?: unknown;
  arguments?: unknown;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function positiveInteger(value: unknown): number | undefined {
  return Number.isSafeInteger(value) && (value as number) > 0 ? (value as number) : undefined;
}

/** A DAP thread id: any integer ≥ 0 (js-debug's one thread per session is thread 0). */
function threadIdOf(value: unknown): number | undefined {
  return Number.isSafeInteger(value) && (value as number) >= 0 ? (value as number) : undefined;
}

/** The debuggee's state, fed every message a tracker sees; `emit` hears what changed. */
export class DebuggeeState {
  /** Threads stopped now; `all` when a stop (or a stop of every thread) holds every thread. */
  private stoppedThreads = new Set<number>();
  private allStopped = false;
  private ended = false;
  pid?: number;

  constructor(private readonly emit: (event: DebuggeeEvent) => void) {}

  get paused(): boolean {
    return this.allStopped || this.stoppedThreads.size > 0;
  }

  /** A message from the adapter to VS Code (events, responses). */
  fromAdapter(raw: unknown): void {
    const m = record(raw) as DapMessage;
    if (m.type !== 'event' || this.ended) return;
    const body = record(m.body);
    switch (m.event) {
      case 'process': {
        const pid = positiveInteger(body.systemProcessId);
        if (pid === undefined || pid === this.pid) return;
        this.pid = pid;
        this.emit({ kind: 'process', pid, name: typeof body.name === 'string' ? body.name : undefined });
        return;
      }
      case 'stopped':
        this.stopped(body);
        return;
      case 'continued':
        this.resumed(body.allThreadsContinued === false ? threadIdOf(body.threadId) : undefined);
        return;
      case 'exited':
      case 'terminated':
        this.ended = true;
        this.emit({ kind: 'ended' });
        return;
    }
  }

  /** A message from VS Code to the adapter (requests). */
  toAdapter(raw: unknown): void {
    const m = record(raw) as DapMessage;
    if (m.type !== 'request' || this.ended || typeof m.command !== 'string' || !RESUMING_REQUESTS.has(m.command))
      return;
    const args = record(m.arguments);
    // singleThread: only that thread resumes; otherwise every thread does (DAP's default).
    this.resumed(args.singleThread === true ? threadIdOf(args.threadId) : undefined);
  }

  private stopped(body: Record<string, unknown>): void {
    const threadId = threadIdOf(body.threadId);
    if (body.allThreadsStopped === true || threadId === undefined) this.allStopped = true;
    else this.stoppedThreads.add(threadId);
    this.emit({
      kind: 'paused',
      reason: typeof body.reason === 'string' ? body.reason : 'pause',
      threadId,
      description: typeof body.description === 'string' ? body.description : undefined,
    });
  }

  /** `threadId`: that thread only; undefined: every thread. */
  private resumed(threadId: number | undefined): void {
    if (!this.paused) return;
    if (threadId === undefined || this.allStopped) {
      this.allStopped = false;
      this.stoppedThreads.clear();
    } else {
      this.stoppedThreads.delete(threadId);
    }
    if (!this.paused) this.emit({ kind: 'continued' });
  }
}
