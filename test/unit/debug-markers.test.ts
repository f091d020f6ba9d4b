import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MarkerLayout, markedTableRows, timedView } from '../../extension/debug/marker-rows.js';
import { type DebugMarker, MarkerTimeline, markerComments, markerText } from '../../extension/debug/markers.js';
import { PacketStore } from '../../extension/store/packet-store.js';
import { PacketView, WorkerFilterRunner } from '../../extension/store/packet-view.js';

const T0 = 1_800_000_000_000_000_000n;
const MS = 1_000_000n;

/** A capture's store and view (no display filter) with `count` UDP packets, one a millisecond from T0. */
function capture(count: number): { store: PacketStore; view: PacketView } {
  const store = new PacketStore({ maxPackets: 1e6, maxBytes: 1e9, whenFull: 'drop-oldest' });
  store.addInterface({ name: 'lo', linkType: 1, snaplen: 65535 });
  for (let i = 0; i < count; i++) {
    store.append({ interfaceId: 0, timestampNs: T0 + BigInt(i) * MS, data: udpFrame(i), originalLength: 60 });
  }
  const view = new PacketView(store, new WorkerFilterRunner());
  view.refresh();
  return { store, view };
}

/** Ethernet + IPv4 + UDP from 127.0.0.1:(1000+i) to 127.0.0.1:53, 18 bytes of payload. */
function udpFrame(i: number): Uint8Array {
  const b = new Uint8Array(60);
  b.set([0x08, 0x00], 12);
  b.set([0x45, 0, 0, 46, 0, 0, 0, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1], 14);
  const port = 1000 + i;
  b.set([port >> 8, port & 0xff, 0, 53, 0, 26, 0, 0], 34);
  return b;
}

const paused = (ms: bigint, line = 42): DebugMarker => ({
  timestampNs: T0 + ms * MS,
  kind: 'paused',
  reason: 'breakpoint',
  source: { path: '/srv/app/handler.ts', line },
});
const continued = (ms: bigint): DebugMarker => ({ timestampNs: T0 + ms * MS, kind: 'continued' });

test('markers are rows in time order among the packets; packet numbers stay those of the capture', () => {
  const { store, view } = capture(10);
  const timeline = new MarkerTimeline();
  timeline.add(continued(6n)); // added out of order: placed by time
  timeline.add(paused(2n));
  const layout = new MarkerLayout(timeline);
  const rows = markedTableRows(layout, store, view, 0, 100);
  assert.equal(layout.rows(timedView(store, view)), 12);
  assert.deepEqual(
    rows.map((r) => (r.marker ? r.info : r.number)),
    [1, 2, 3, '⏸ paused at handler.ts:42 (breakpoint)', 4, 5, 6, 7, '▶ continued', 8, 9, 10],
  );
  assert.deepEqual(
    rows.map((r) => r.index),
    [...Array(12).keys()],
  );
  // Packets 4–7 (2 ms < t ≤ 6 ms: after the pause, up to the continue) are marked paused.
  assert.deepEqual(
    rows.filter((r) => r.paused).map((r) => r.number),
    [4, 5, 6, 7],
  );
  assert.equal(rows[3]!.marker?.source?.line, 42);
  assert.equal(rows[3]!.time, 0.002);
  // A window in the middle, and the packet's detail at a row after a marker.
  assert.deepEqual(
    markedTableRows(layout, store, view, 3, 3).map((r) => r.number),
    [0, 4, 5],
  );
  assert.deepEqual(layout.slot(4), { packetIndex: 3 });
  assert.equal(view.numberAt(3), 4);
  assert.equal(layout.tableIndex(7), 9); // packet 8: after both markers
  assert.equal(layout.tableIndex(2), 2); // packet 3: before them
});

test('a marker placed before rows already shown changes the generation; one at the end does not', () => {
  const { store, view } = capture(5);
  const timeline = new MarkerTimeline();
  const layout = new MarkerLayout(timeline);
  const rows = () => layout.rows(timedView(store, view));
  assert.equal(rows(), 5);
  timeline.add(continued(10n)); // after every packet: appended
  assert.equal(rows(), 6);
  assert.equal(layout.shifts, 0);
  timeline.add(paused(1n)); // among packets already shown: their rows moved
  assert.equal(rows(), 7);
  assert.equal(layout.shifts, 1);
  // A packet older than the last marker arrives after it: the marker moves down a row.
  store.append({ interfaceId: 0, timestampNs: T0 + 9n * MS, data: udpFrame(9), originalLength: 60 });
  view.refresh();
  assert.equal(rows(), 8);
  assert.equal(layout.shifts, 2);
  assert.deepEqual(
    markedTableRows(layout, store, view, 0, 10).map((r) => r.number),
    [1, 2, 0, 3, 4, 5, 6, 0],
  );
});

test('a marker comment goes on the packet nearest in time; markers after the last packet on the last', () => {
  const timeline = new MarkerTimeline();
  timeline.add(paused(2n)); // packet 3 is at 2 ms
  timeline.add({ ...continued(0n), timestampNs: T0 + 3n * MS + 600_000n }); // 3.6 ms: nearer packet 5 (4 ms)
  timeline.add(paused(50n)); // after every packet
  const comments = markerComments(timeline, {
    firstNumber: 1,
    lastNumber: 5,
    timeOf: (n) => T0 + BigInt(n - 1) * MS,
  });
  assert.deepEqual([...comments.keys()], [3, 5]);
  assert.match(comments.get(3)!, /^Debugger: ⏸ paused at handler\.ts:42 \(breakpoint\) at 20\d\d-/);
  assert.equal(comments.get(5)!.split('\n').length, 2);
  assert.equal(markerText(continued(0n)), '▶ continued');
});
