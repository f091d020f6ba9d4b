import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PacketStore, SEGMENT_PACKETS } from '../../extension/store/packet-store.js';

function fill(store: PacketStore, n: number, size = 100, t0 = 1_000_000_000_000n): void {
  for (let i = 0; i < n; i++) {
    const data = new Uint8Array(size).fill(i & 0xff);
    store.append({
      interfaceId: 0,
      timestampNs: t0 + BigInt(i) * 1000n,
      data,
      originalLength: size + 10,
      direction: i % 2 ? 'out' : 'in',
    });
  }
}

test('packets come back by number with their bytes, lengths, direction and relative time', () => {
  const store = new PacketStore({ maxPackets: 1e9, maxBytes: 1e12, whenFull: 'drop-oldest' });
  store.addInterface({ name: 'eth0', linkType: 1, snaplen: 262144 });
  fill(store, SEGMENT_PACKETS + 10);
  assert.equal(store.held, SEGMENT_PACKETS + 10);
  const p = store.packet(SEGMENT_PACKETS + 2)!; // in the second segment
  assert.equal(p.number, SEGMENT_PACKETS + 2);
  assert.equal(p.data.length, 100);
  assert.equal(p.data[0], (SEGMENT_PACKETS + 1) & 0xff);
  assert.equal(p.originalLength, 110);
  assert.equal(p.direction, 'out');
  assert.equal(p.time, ((SEGMENT_PACKETS + 1) * 1000) / 1e9);
  assert.equal(p.timestampNs, 1_000_000_000_000n + BigInt(SEGMENT_PACKETS + 1) * 1000n);
  assert.equal(p.linkType, 1);
  assert.equal(store.packet(0), undefined);
  assert.equal(store.packet(SEGMENT_PACKETS + 11), undefined);
});

test('over the packet limit, whole oldest segments are dropped and counted', () => {
  const store = new PacketStore({ maxPackets: SEGMENT_PACKETS + 5, maxBytes: 1e12, whenFull: 'drop-oldest' });
  fill(store, SEGMENT_PACKETS + 6, 10);
  assert.equal(store.evicted, SEGMENT_PACKETS);
  assert.equal(store.firstNumber, SEGMENT_PACKETS + 1);
  assert.equal(store.held, 6);
  assert.equal(store.received, SEGMENT_PACKETS + 6);
  assert.equal(store.packet(SEGMENT_PACKETS), undefined);
  assert.equal(store.packet(SEGMENT_PACKETS + 1)!.data[0], SEGMENT_PACKETS & 0xff);
  assert.equal(store.bytes, 60);
});

test('the byte limit counts packet bytes; "stop" refuses instead of evicting', () => {
  const store = new PacketStore({ maxPackets: 1e9, maxBytes: 1000, whenFull: 'stop' });
  fill(store, 10, 100);
  assert.equal(store.fullStop, false);
  assert.equal(store.append({ interfaceId: 0, timestampNs: 0n, data: new Uint8Array(1), originalLength: 1 }), false);
  assert.equal(store.fullStop, true);
  assert.equal(store.held, 10);
  assert.equal(store.evicted, 0);
});

test('segment arenas grow for large packets and keep earlier bytes intact', () => {
  const store = new PacketStore({ maxPackets: 1e9, maxBytes: 1e12, whenFull: 'drop-oldest' });
  fill(store, 40, 65000);
  for (const n of [1, 17, 40]) assert.ok(store.packet(n)!.data.every((b) => b === ((n - 1) & 0xff)));
  const seg = store.snapshots()[0]!;
  assert.equal(seg.count, 40);
  assert.ok(seg.bytes.buffer instanceof SharedArrayBuffer);
});
