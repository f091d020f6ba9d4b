// "Count is now N" from the host to the panel, as packets arrive: at most one counters message in
// flight. The webview acknowledges each from the animation frame that drew it (countersShown), and
// changes meanwhile are folded into the next message, so a busy webview is sent one message per
// frame it draws and an idle one nothing. No timer runs for an idle capture: a follow-up check is
// scheduled only while a figure moves without packets (the rate falling to 0, a display filter
// being applied in its worker).
import type { CounterUpdate } from '../../packet/protocol.js';

/** How soon a moving figure (rate, filtering) is looked at again when nothing else changes. */
export const FOLLOW_UP_MS = 250;

export interface CounterFlowHooks {
  /** The counters as they are now. */
  compute(): CounterUpdate;
  /** Posts them to the webview; false when no webview is ready to draw (then no answer is awaited). */
  send(counters: CounterUpdate): boolean;
  /** They differ from the last ones (the status bar), webview or not. */
  changed(counters: CounterUpdate): void;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class CounterFlow {
  private inFlight = false;
  private pending = false;
  private last = '';
  private followUp: unknown;

  constructor(
    private readonly hooks: CounterFlowHooks,
    private readonly timers: Timers = realTimers,
  ) {}

  /** Something counted may have changed: sent now, or folded into the message after the one in flight. */
  update(): void {
    if (this.inFlight) {
      this.pending = true;
      return;
    }
    const counters = this.hooks.compute();
    this.scheduleFollowUp(counters);
    const key = JSON.stringify(counters);
    if (key === this.last) return;
    this.last = key;
    this.hooks.changed(counters);
    this.inFlight = this.hooks.send(counters);
  }

  /** The webview drew the last counters: what changed since goes now. */
  shown(): void {
    if (!this.inFlight) return; // an answer to a message of an earlier webview
    this.inFlight = false;
    if (!this.pending) return;
    this.pending = false;
    this.update();
  }

  /** A new webview (or none): nothing is in flight, and the next update is sent whole. */
  reset(): void {
    this.inFlight = false;
    this.pending = false;
    this.last = '';
  }

  dispose(): void {
    if (this.followUp !== undefined) this.timers.clearTimeout(this.followUp);
    this.followUp = undefined;
  }

  private scheduleFollowUp(counters: CounterUpdate): void {
    if (this.followUp !== undefined || (!counters.filtering && counters.packetsPerSecond === 0)) return;
    this.followUp = this.timers.setTimeout(() => {
      this.followUp = undefined;
      this.update();
    }, FOLLOW_UP_MS);
  }
}
