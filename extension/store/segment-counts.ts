// Statistics counted segment by segment (filter-messages.ts, SegmentJob): a full segment's counts
// are kept, its packets no longer change, so a running capture's next count, or another table of
// the same counts, decodes only the packets of the last, unfilled segment.
import type { SegmentCount } from './filter-messages.js';
import { type PacketStore, SEGMENT_PACKETS } from './packet-store.js';

export class SegmentCounts<T> {
  /** What the kept counts hold under (the store's dissection, the Decode As rules). */
  private key = '';
  /** Each full segment's counts, by its first number: one per part that had some of its packets. */
  private readonly bySegment = new Map<number, T[]>();

  /** Every segment's counts, in packet order: those kept, and those `countPackets` makes of the
   *  other segments' packets. */
  async count(
    store: PacketStore,
    key: string,
    countPackets: (numbers: Uint32Array) => Promise<SegmentCount<T>[]>,
  ): Promise<T[]> {
    if (this.key !== key) this.bySegment.clear();
    this.key = key;
    for (const first of this.bySegment.keys()) if (first < store.firstNumber) this.bySegment.delete(first);
    const segments = store.snapshots();
    const uncounted = segments.filter((seg) => !this.bySegment.has(seg.firstNumber));
    const numbers = new Uint32Array(uncounted.reduce((n, seg) => n + seg.count, 0));
    let k = 0;
    for (const seg of uncounted) for (let i = 0; i < seg.count; i++) numbers[k++] = seg.firstNumber + i;
    const counted = new Map<number, T[]>();
    for (const { firstNumber, tallies } of await countPackets(numbers)) {
      const list = counted.get(firstNumber) ?? [];
      list.push(tallies);
      counted.set(firstNumber, list);
    }
    // Only a full segment keeps its counts: packets still arrive in the last one. A count under
    // other rules may have begun meanwhile: then these are not kept.
    for (const seg of uncounted)
      if (seg.count === SEGMENT_PACKETS && this.key === key)
        this.bySegment.set(seg.firstNumber, counted.get(seg.firstNumber) ?? []);
    return segments.flatMap((seg) => this.bySegment.get(seg.firstNumber) ?? counted.get(seg.firstNumber) ?? []);
  }
}
