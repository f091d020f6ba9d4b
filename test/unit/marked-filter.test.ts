// frame.marked, as Wireshark's: present only on the packets marked in the table, read by the real
// filter worker from the marks the view hands it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PacketStore } from '../../extension/store/packet-store.js';
import { loopbackUdpFrame } from './fixtures/packets.js';
import { useFilterWorker } from './helpers/filter-worker.js';

const worker = useFilterWorker('marked-filter');

test('frame.marked selects the packets marked, in the real filter worker', async () => {
  const store = new PacketStore({ maxPackets: 1e6, maxBytes: 1e9, whenFull: 'drop-oldest' });
  store.addInterface({ name: 'lo', linkType: 1, snaplen: 65535 });
  for (let i = 0; i < 10; i++)
    store.append({ interfaceId: 0, timestampNs: BigInt(i) * 1000n, data: loopbackUdpFrame(i), originalLength: 60 });
  const view = worker.view(store);
  let marked = [2, 7];
  view.markedNumbers = () => marked;
  view.setFilter('frame.marked');
  assert.deepEqual([...(await view.shownNumbers())], [2, 7]);
  view.setFilter('frame.marked == 1 || frame.number == 1');
  assert.deepEqual([...(await view.shownNumbers())], [1, 2, 7]);
  view.setFilter('!frame.marked');
  assert.deepEqual([...(await view.shownNumbers())], [1, 3, 4, 5, 6, 8, 9, 10]);
  // Marks read when the filter is applied (Wireshark's too: marking does not filter again).
  marked = [];
  view.setFilter('frame.marked');
  assert.deepEqual([...(await view.shownNumbers())], []);
});
