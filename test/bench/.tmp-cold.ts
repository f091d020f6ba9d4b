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
  const view = new PacketView(store, new WorkerFilterRunner(WORKER, [], Number(process.env.THREADS ?? 2)));
  for (const filter of process.argv.slice(2)) {
    const t0 = performance.now();
    view.setFilter(filter, false);
    const marks: string[] = [];
    let next = 0.1;
    while (view.filtering) {
      await sleep(5);
      const p = view.filterProgress ?? 1;
      if (p >= next) {
        marks.push(`${(p * 100).toFixed(0)}%@${((performance.now() - t0) / 1000).toFixed(2)}`);
        next = p + 0.02;
      }
    }
    console.log(filter, ((performance.now() - t0) / 1000).toFixed(2), view.rows, marks.join(' '));
  }
  view.dispose();
}
void main();
