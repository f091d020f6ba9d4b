import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MarkerTimeline, pausedNumberRanges } from '../../extension/debug/markers.js';
import { PacketStore } from '../../extension/store/packet-store.js';
import { compileDisplayFilter } from '../../packet/display-filter.js';
import { loopbackUdpFrame } from './fixtures/packets.js';
import { useFilterWorker } from './helpers/filter-worker.js';

const worker = useFilterWorker('debug-paused-filter');
const T0 = 1_800_000_000_000_000_000n;
const MS = 1_000_000n;

const udp = loopbackUdpFrame;

test('debug.paused selects the packets captured during pauses, in the real filter worker', async () => {
  const store = new PacketStore({ maxPackets: 1e6, maxBytes: 1e9, whenFull: 'drop-oldest' });
  store.addInterface({ name: 'lo', linkType: 1, snaplen: 65535 });
  for (let i = 0; i < 10; i++)
    store.append({ interfaceId: 0, timestampNs: T0 + BigInt(i) * MS, data: udp(i), originalLength: 60 });
  const timeline = new MarkerTimeline();
  timeline.add({ timestampNs: T0 + 1n * MS, kind: 'paused', reason: 'breakpoint' }); // after packet 2
  timeline.add({ timestampNs: T0 + 1n * MS + 10n, kind: 'paused', reason: 'step' }); // still paused
  timeline.add({ timestampNs: T0 + 3n * MS, kind: 'continued' }); // packet 4 is the last paused
  timeline.add({ timestampNs: T0 + 7n * MS + 1n, kind: 'paused', reason: 'pause' }); // 9, 10 and on
  const packets = { firstNumber: 1, lastNumber: 10, timeOf: (n: number) => store.packet(n)?.timestampNs };
  assert.deepEqual(pausedNumberRanges(timeline, packets), [
    [3, 4],
    [9, Number.MAX_SAFE_INTEGER],
  ]);
  const view = worker.view(store);
  view.pausedNumbers = () => pausedNumberRanges(timeline, packets);
  view.setFilter('debug.paused');
  assert.deepEqual([...(await view.shownNumbers())], [3, 4, 9, 10]);
  view.setFilter('!debug.paused && udp');
  assert.deepEqual([...(await view.shownNumbers())], [1, 2, 5, 6, 7, 8]);
  view.setFilter('debug.paused == 1');
  assert.deepEqual([...(await view.shownNumbers())], [3, 4, 9, 10]);
  // A capture without a debug session: no packet has the field.
  assert.equal(
    compileDisplayFilter('debug.paused').match(
      { summary: { source: '', destination: '', protocol: '', info: '' }, layers: [], problems: [] },
      { number: 1, length: 1 },
    ),
    false,
  );
});
