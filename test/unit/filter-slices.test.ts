// A large display-filter job shared between worker threads: cut into slices, the slices' replies
// put back in packet order, and the view's rows exactly those one thread finds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { packetDetail } from '../../extension/panel/table-rows.js';
import type { FilterJob, FilterReply } from '../../extension/store/filter-messages.js';
import { OrderedReplies, SLICE_PACKETS, sliceJob } from '../../extension/store/filter-slices.js';
import { PacketStore } from '../../extension/store/packet-store.js';
import { StoreIngest } from '../../extension/store/store-ingest.js';
import { compileDisplayFilter } from '../../packet/display-filter.js';
import { benchCapture } from './fixtures/bench-decode.js';
import { useFilterWorker } from './helpers/filter-worker.js';
import { liveStore } from './helpers/live-store.js';

/** Resolves once `condition` holds, checked at each turn of the event loop. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

/** The packets of the capture `text` matches, judged here on each packet's whole tree, decoded
 *  as part of its capture (its stream's analysis decides which protocol a segment's payload goes to). */
function oneThreadMatches(bytes: Uint8Array, text: string): number[] {
  const filter = compileDisplayFilter(text);
  const store = new PacketStore({ maxPackets: 1e6, maxBytes: 1e9, whenFull: 'stop' });
  new StoreIngest(store).push(bytes);
  const matches: number[] = [];
  for (let n = store.firstNumber; n <= store.lastNumber; n++) {
    const detail = packetDetail(store, n)!;
    if (filter.match(detail.decoded, { number: n, length: detail.length })) matches.push(n);
  }
  return matches;
}

function reply(numbers: number[], upTo: number, done: boolean): FilterReply {
  return { id: 1, numbers: Uint32Array.from(numbers), upTo, done };
}

describe('a display-filter job in slices', () => {
  it('is cut into consecutive slices covering its range, each with only the segments it reads', () => {
    const segment = (firstNumber: number, count: number) => ({ firstNumber, count }) as FilterJob['segments'][number];
    const job = {
      id: 1,
      from: 10,
      to: 10 + 2 * SLICE_PACKETS + 5,
      segments: [segment(1, 100), segment(101, SLICE_PACKETS), segment(101 + SLICE_PACKETS, 3 * SLICE_PACKETS)],
    } as FilterJob;
    const slices = sliceJob(job);
    assert.deepEqual(
      slices.map((s) => [s.from, s.to]),
      [
        [10, 9 + SLICE_PACKETS],
        [10 + SLICE_PACKETS, 9 + 2 * SLICE_PACKETS],
        [10 + 2 * SLICE_PACKETS, 10 + 2 * SLICE_PACKETS + 5],
      ],
    );
    assert.deepEqual(
      slices.map((s) => s.segments.map((g) => g.firstNumber)),
      [[1, 101], [101, 101 + SLICE_PACKETS], [101 + SLICE_PACKETS]],
    );
    assert.deepEqual(sliceJob({ ...job, to: job.from + SLICE_PACKETS }), [{ ...job, to: job.from + SLICE_PACKETS }]);
  });

  it('hands replies on in slice order, whatever order the workers answer in, and is done once', () => {
    const out: FilterReply[] = [];
    const replies = new OrderedReplies(3, (r) => out.push(r));
    replies.accept(1, reply([15], 15, false)); // slice 1 answers first: held
    replies.accept(2, reply([25, 29], 30, true)); // slice 2 finished: held
    replies.accept(0, reply([1], 5, false));
    assert.deepEqual(
      out.map((r) => [...r.numbers]),
      [[1]],
    );
    replies.accept(0, reply([7], 10, true)); // slice 0 done: slice 1's held reply follows
    replies.accept(1, reply([18], 20, true)); // slice 1 done: slice 2, finished, follows too
    assert.deepEqual(
      out.map((r) => [[...r.numbers], r.upTo, r.done]),
      [
        [[1], 5, false],
        [[7], 10, false],
        [[15], 15, false],
        [[18], 20, false],
        [[25, 29], 30, true],
      ],
    );
  });
});

describe('jobs filtered by two workers', () => {
  const { view } = useFilterWorker('filter-slices');

  it('a live capture: the packets that came while a job ran are filtered by the next job', {
    timeout: 30_000,
  }, async () => {
    const bytes = benchCapture(3000);
    const { store, add } = liveStore(bytes);
    add(0, 1000);
    const v = view(store);
    v.setFilter('dns');
    // While the worker filters the first packets: the next job starts as its last reply comes.
    add(1000, 3000);
    v.refresh();
    const expected = oneThreadMatches(bytes, 'dns');
    assert.ok(expected.some((n) => n > 1000));
    assert.deepEqual([...(await v.shownNumbers())], expected);
  });

  it('shows exactly the rows one thread finds, in order', async () => {
    const bytes = benchCapture(3 * SLICE_PACKETS + 1234);
    const store = new PacketStore({ maxPackets: 1e6, maxBytes: 1e9, whenFull: 'stop' });
    const ingest = new StoreIngest(store);
    ingest.push(bytes);
    ingest.end();
    for (const text of ['tcp.port == 443 || udp.port == 53', 'dns']) {
      const expected = oneThreadMatches(bytes, text);
      const v = view(store);
      v.setFilter(text);
      assert.equal(v.filterProgress, 0, 'nothing judged yet');
      const numbers = v.shownNumbers();
      // The share judged, seen at each turn of the event loop while the workers reply: growing,
      // and some of it between none and all.
      const seen: number[] = [];
      await until(() => {
        if (v.filterProgress !== undefined) seen.push(v.filterProgress);
        return !v.filtering;
      });
      assert.ok(
        seen.some((p) => p > 0 && p < 1),
        `${text}: progress seen ${seen.slice(0, 5)}`,
      );
      assert.deepEqual(
        seen,
        [...seen].sort((a, b) => a - b),
        'it never goes back',
      );
      assert.deepEqual([...(await numbers)], expected, text);
      assert.equal(v.filterProgress, undefined, 'done: no progress to show');
      assert.ok(expected.length > 1000 && expected.length < store.held, `${text}: ${expected.length}`);
    }
  });
});
