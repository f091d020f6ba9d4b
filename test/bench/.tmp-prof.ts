import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PacketStore } from '../../extension/store/packet-store.js';
import { PacketView, WorkerFilterRunner } from '../../extension/store/packet-view.js';
import { StoreIngest } from '../../extension/store/store-ingest.js';

const WORKER = path.join(__dirname, '../../dist/extension/filter-worker.js');
async function main() {
  const bytes = new Uint8Array(fs.readFileSync('/tmp/pcap-ui-bench-1000000.pcapng'));
  const store = new PacketStore({ maxPackets: 2_000_000, maxBytes: 2 ** 31, whenFull: 'drop-oldest' });
  new StoreIngest(store).push(bytes);
  const view = new PacketView(store, new WorkerFilterRunner(WORKER, ['--cpu-prof', '--cpu-prof-dir=/tmp/prof/w'], 1));
  for (const filter of (process.env.FILTERS ?? 'dns,dns').split(',')) {
    const t0 = performance.now();
    view.setFilter(filter, false);
    while (view.filtering) await sleep(20);
    console.log(filter, ((performance.now() - t0) / 1000).toFixed(2), view.rows);
  }
  view.dispose();
  await sleep(1000);
}
void main();
