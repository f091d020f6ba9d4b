// "Count is now N" from the host to the panel, as packets arrive: at most one counters message in
// flight. The webview acknowledges each from the animation frame that drew it (countersShown), and
// changes meanwhile are folded into the next message, so a busy webview is sent one message per
// frame it draws and an idle one nothing. No timer runs for an idle capture: a follow-up check is
// scheduled only while a figure moves without packets (the rate falling to 0, a display filter
// being applied in its worker).
//
// While the webview's table follows the tail (followTail), each message also carries the rows the
// table shows, the view's newest: the table draws them in the frame that takes the count, instead
// of asking for them and drawing them a round trip later.
import type { CountersEvent, CounterUpdate, Row } from '../../packet/protocol.js';

/** How soon a moving figure (rate, filtering) is looked at again when nothing else changes. */
export const FOLLOW_UP_MS = 250;

export interface CounterFlowHooks {
  /** The counters as they are now. */
  compute(): CounterUpdate;
  /** The view's last `count` rows, as they are when compute() just ran. */
  newestRows(count: number): Row[];
  /** Posts them to the webview; false when no webview is ready to draw (then no answer is awaited). */
  send(counters: CountersEvent): boolean;
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
  /** The rows the webview's table shows while it follows the tail; 0 while it does not. */
  private tailRows = 0;

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
    this.inFlight = this.hooks.send(
      this.tailRows > 0 ? { ...counters, tail: this.hooks.newestRows(this.tailRows) } : counters,
    );
  }

  /** The webview's table follows the tail showing `rows` rows (0: it stopped following). */
  followTail(rows: number): void {
    this.tailRows = rows;
  }

  /** The webview drew the last counters: what changed since goes now. */
  shown(): void {
    if (!this.inFlight) return; // an answer to a message of an earlier webview
    this.inFlight = false;
    if (!this.pending) return;
    this.pending = false;
    this.update();
  }

  /** A new webview (or none): nothing is in flight, the next update is sent whole, and rows go
   *  with it only once this webview says it follows the tail. */
  reset(): void {
    this.inFlight = false;
    this.pending = false;
    this.last = '';
    this.tailRows = 0;
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
