// A display-filter job shared between worker threads: its packet numbers cut into slices that the
// workers take in turn, and their replies put back in packet order, so the view still receives
// matches in ascending order and `upTo` still means "every packet up to here was tested".
import type { FilterJob, FilterReply } from './filter-messages.js';

/** Packets per slice: large enough that a slice's message and the filter's compilation are
 *  noise beside it, small enough that no worker idles long while another finishes. */
export const SLICE_PACKETS = 65_536;

/** The job cut into consecutive slices of at most `size` packets, each carrying only the
 *  segments it reads. One slice when the job is smaller than two. */
export function sliceJob(job: FilterJob, size = SLICE_PACKETS): FilterJob[] {
  if (job.to - job.from + 1 < 2 * size) return [job];
  const slices: FilterJob[] = [];
  for (let from = job.from; from <= job.to; from += size) {
    const to = Math.min(job.to, from + size - 1);
    const segments = job.segments.filter((s) => s.firstNumber <= to && s.firstNumber + s.count > from);
    slices.push({ ...job, from, to, segments });
  }
  return slices;
}

/**
 * Replies of a sliced job, handed on in slice order: a slice's replies wait until every slice
 * before it is done. Only the last slice's final reply says `done`.
 */
export class OrderedReplies {
  /** The slice whose replies go straight on. */
  private current = 0;
  private readonly held: FilterReply[][];
  private readonly finished: boolean[];

  constructor(
    readonly slices: number,
    private readonly onReply: (reply: FilterReply) => void,
  ) {
    this.held = Array.from({ length: slices }, () => []);
    this.finished = new Array<boolean>(slices).fill(false);
  }

  accept(slice: number, reply: FilterReply): void {
    if (slice !== this.current) {
      this.held[slice]!.push(reply);
      if (reply.done) this.finished[slice] = true;
      return;
    }
    this.forward(slice, reply);
    if (!reply.done) return;
    // Slices that finished while waiting for this one go on now, as far as the first unfinished.
    for (this.current++; this.current < this.slices; this.current++) {
      for (const held of this.held[this.current]!) this.forward(this.current, held);
      this.held[this.current] = [];
      if (!this.finished[this.current]) return;
    }
  }

  private forward(slice: number, reply: FilterReply): void {
    this.onReply({ ...reply, done: reply.done && slice === this.slices - 1 });
  }
}
