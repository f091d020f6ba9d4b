// Statistics → Protocol Hierarchy (extension/store/protocol-hierarchy.ts), counted by the panel's
// workers over the panel's store, judged by `tshark -z io,phs` on the same packets: every row's
// protocol, depth, frames and bytes, in tshark's order. The packets judged are those whose
// protocols, as the top of Wireshark's tree lists them (tshark's PDML) and as frame.protocols lists
// them, are the ones our decoders find: a protocol our decoders do not know (an OSPF, a BGP) would
// be a row of its own in tshark's hierarchy and not in ours. A live capture's hierarchy is counted
// again as packets come: a full segment's paths are kept, so only new packets are decoded, and the
// count equals one from scratch.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { packetDetail } from '../../extension/panel/table-rows.js';
import { PacketStore, SEGMENT_PACKETS } from '../../extension/store/packet-store.js';
import { type FilterRunner, PacketView, WorkerFilterRunner } from '../../extension/store/packet-view.js';
import { protocolPath } from '../../extension/store/protocol-hierarchy.js';
import { StoreIngest } from '../../extension/store/store-ingest.js';
import type { HierarchyRow } from '../../packet/hierarchy-protocol.js';
import { benchCapture } from './fixtures/bench-decode.js';
import { corpusCapture } from './fixtures/corpus-capture.js';
import { MIX_LINK_TYPES, mixPackets } from './fixtures/mix.js';
import { pcapngFile } from './fixtures/packets.js';
import { haveTshark, hierarchyLines, TSHARK_NO_REASSEMBLY, tsharkHierarchy } from './fixtures/tshark.js';
import { useFilterWorker } from './helpers/filter-worker.js';
import { liveStore } from './helpers/live-store.js';

/** Each packet's protocols as the top of Wireshark's tree lists them, joined by ":" (PDML's
 *  top-level elements). */
function tsharkPaths(file: string): string[] {
  const r = spawnSync('tshark', ['-n', ...TSHARK_NO_REASSEMBLY, '-r', file, '-T', 'pdml'], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  assert.equal(r.status, 0, r.stderr);
  const paths: string[] = [];
  let wrapper = false;
  const append = (protocol: string) => {
    const at = paths.length - 1;
    paths[at] = paths[at] === '' ? protocol : `${paths[at]}:${protocol}`;
  };
  for (const line of r.stdout.split('\n')) {
    if (line === '<packet>') paths.push('');
    // PDML writes a protocol with no item of its own ("data") as a field in a wrapper.
    const wrapped = wrapper && /^ {4}<field name="([^"]*)"/.exec(line);
    if (wrapped) append(wrapped[1]!);
    wrapper = line === '  <proto name="fake-field-wrapper">';
    const top = /^ {2}<proto name="([^"]+)"/.exec(line);
    if (top && !['geninfo', 'frame', 'fake-field-wrapper'].includes(top[1]!)) append(top[1]!);
  }
  return paths;
}

/** Each packet's frame.protocols, without "frame" and Wireshark's "ethertype" (a table, not a
 *  protocol of the tree). */
function tsharkProtocols(file: string): string[] {
  const r = spawnSync('tshark', ['-n', ...TSHARK_NO_REASSEMBLY, '-r', file, '-T', 'fields', '-e', 'frame.protocols'], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .split('\n')
    .slice(0, -1)
    .map((line) =>
      line
        .split(':')
        .filter((p) => p !== 'frame' && p !== 'ethertype')
        .join(':'),
    );
}

/** `numbers` as a display filter: `frame.number in {1..5, 9}`. */
function numbersFilter(numbers: readonly number[]): string {
  const ranges: string[] = [];
  for (let i = 0; i < numbers.length; ) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j]! + 1) j++;
    ranges.push(i === j ? `${numbers[i]}` : `${numbers[i]}..${numbers[j]}`);
    i = j + 1;
  }
  return `frame.number in {${ranges.join(', ')}}`;
}

/** Every row holds its end packets and its children's packets, and nothing else. */
function assertConsistent(rows: readonly HierarchyRow[]): void {
  rows.forEach((row, i) => {
    let inside = 0;
    for (let j = i + 1; j < rows.length && rows[j]!.depth > row.depth; j++)
      if (rows[j]!.depth === row.depth + 1) inside += rows[j]!.frames;
    assert.equal(row.endFrames + inside, row.frames, `${row.protocol} at row ${i}`);
  });
}

const worker = useFilterWorker('protocol-hierarchy');

describe('Protocol Hierarchy against tshark -z io,phs', { skip: !haveTshark && 'tshark not installed' }, () => {
  for (const [name, capture] of [
    ['tcpdump corpus as one capture', () => corpusCapture()],
    ['every kind of packet our decoders read', () => pcapngFile(MIX_LINK_TYPES, [0, 1, 2].flatMap(mixPackets))],
  ] as const)
    it(`${name}: the packets whose protocols our decoders find as Wireshark does`, async () => {
      const file = join(worker.scratch, 'capture.pcapng');
      const bytes = capture();
      writeFileSync(file, bytes);
      const store = new PacketStore({ maxPackets: 1_000_000, maxBytes: 1 << 30, whenFull: 'stop' });
      new StoreIngest(store).push(bytes);
      const theirPaths = tsharkPaths(file);
      const theirProtocols = tsharkProtocols(file);
      assert.equal(theirPaths.length, store.held);
      // Both: the tree's top lists no protocol Wireshark writes as a field ("data"), and
      // frame.protocols no protocol inside another's item (an ICMP error's quoted headers).
      const judged: number[] = [];
      for (let n = 1; n <= store.lastNumber; n++) {
        const ours = protocolPath(packetDetail(store, n)!.decoded);
        if (ours === theirPaths[n - 1] && ours === theirProtocols[n - 1]) judged.push(n);
      }
      assert.ok(judged.length >= store.held / 5, `${judged.length} of ${store.held} packets judged`);
      const ours = await worker.view(store).protocolHierarchy(Uint32Array.from(judged));
      assert.deepEqual(hierarchyLines(ours), tsharkHierarchy(file, numbersFilter(judged)));
      assertConsistent(ours);
      assert.ok(ours.length >= 10, `${ours.length} rows`);
    });

  it('a growing capture: a full segment is decoded once, and each count equals one from scratch (the Ethernet and IP conversations too)', async () => {
    const bytes = benchCapture(SEGMENT_PACKETS + 3000);
    const { store, add, count } = liveStore(bytes);
    const inner = new WorkerFilterRunner(join(worker.scratch, 'filter-worker.js'));
    const decoded: number[] = [];
    const decodedForAddresses: number[] = [];
    const runner: FilterRunner = {
      run: (job, onReply) => inner.run(job, onReply),
      columnTexts: (job) => inner.columnTexts(job),
      addressTallies: (job) => {
        decodedForAddresses.push(job.numbers.length);
        return inner.addressTallies(job);
      },
      protocolPaths: (job) => {
        decoded.push(job.numbers.length);
        return inner.protocolPaths(job);
      },
      dispose: () => inner.dispose(),
    };
    const view = new PacketView(store, runner);
    try {
      add(0, SEGMENT_PACKETS + 1000);
      await view.protocolHierarchy();
      await view.addressConversations('eth');
      add(SEGMENT_PACKETS + 1000, count);
      const grown = await view.protocolHierarchy();
      assert.deepEqual(decoded, [SEGMENT_PACKETS + 1000, count - SEGMENT_PACKETS], 'the full segment decoded once');
      const all = Uint32Array.from({ length: count }, (_, i) => i + 1);
      assert.deepEqual(grown, await view.protocolHierarchy(all));
      // Ethernet's conversations were counted before: only the last segment is decoded again; IPv4's
      // and IPv6's from scratch.
      for (const protocol of ['eth', 'ip', 'ipv6'] as const) {
        const counted = await view.addressConversations(protocol);
        assert.ok(counted.length > 1, `${protocol}: ${counted.length} conversations`);
        assert.deepEqual(counted, await view.addressConversations(protocol, all), protocol);
      }
      const last = count - SEGMENT_PACKETS;
      assert.deepEqual(decodedForAddresses, [SEGMENT_PACKETS + 1000, last, count, count, count, count, count]);
      assert.equal(
        grown.filter((r) => r.depth === 0).reduce((n, r) => n + r.frames, 0),
        count,
      );
      assertConsistent(grown);
    } finally {
      view.dispose();
    }
  });
});
