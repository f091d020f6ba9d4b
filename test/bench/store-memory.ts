// Benchmark helper (run by ui.bench.ts in a process of its own, so nothing else is on its heap):
// a capture file read into the extension's store as a file is opened; prints as JSON the RSS the
// store added per packet held, and the captured bytes per packet for comparison.
import * as fs from 'node:fs';
import { PacketStore } from '../../extension/store/packet-store.js';
import { StoreIngest } from '../../extension/store/store-ingest.js';

const file = process.argv[2]!;
const chunk = new Uint8Array(4 << 20);
const rss0 = process.memoryUsage().rss;
const store = new PacketStore({ maxPackets: 4_000_000, maxBytes: 2 ** 32, whenFull: 'stop' });
const ingest = new StoreIngest(store);
const fd = fs.openSync(file, 'r');
for (let n = fs.readSync(fd, chunk); n > 0; n = fs.readSync(fd, chunk)) ingest.push(chunk.subarray(0, n));
fs.closeSync(fd);
ingest.end();
const rss = process.memoryUsage().rss - rss0;
console.log(
  JSON.stringify({ packets: store.held, rssPerPacket: rss / store.held, bytesPerPacket: store.bytes / store.held }),
);
