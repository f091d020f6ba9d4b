// CaptureSession with an injected binding: the record → file path, budgets and counters, without
// root. The kernel path itself is covered by test/kernel/.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CaptureSession, type SessionOptions } from '../../agent/capture-session.js';
import { type AgentEvent, EventLog } from '../../agent/events.js';
import type { Sink } from '../../agent/sinks.js';
import type { RawBinding, RawCapture, RawInterface, RawStats } from '../../native/capture.js';
import { type Direction, LAYOUT } from '../../packet/capture-abi.js';
import { readCaptureFile } from '../../packet/capture-file.js';

const BOOT_TO_WALL = 1_700_000_000_000_000_000n;

interface FakeRecord {
  ifindex: number;
  direction: Direction;
  tsBootNs: bigint;
  origLen: number;
  data: Uint8Array;
}

/** Builds a batch exactly as the addon hands it over: cap_record headers + bytes, back to back. */
function batchOf(records: FakeRecord[]): Buffer {
  const L = LAYOUT.record;
  const parts = records.map((r) => {
    const b = Buffer.alloc(L.size + r.data.length);
    b.writeUInt8(1, L.version);
    b.writeUInt8(r.direction === 'in' ? 0 : 1, L.direction);
    b.writeUInt16LE(L.size, L.hdr_len);
    b.writeUInt32LE(r.ifindex, L.ifindex);
    b.writeBigUInt64LE(r.tsBootNs, L.ts_boot_ns);
    b.writeUInt32LE(r.origLen, L.orig_len);
    b.writeUInt32LE(r.data.length, L.cap_len);
    b.set(r.data, L.size);
    return b;
  });
  return Buffer.concat(parts);
}

class FakeCapture implements RawCapture {
  onBatch?: (b: Buffer) => void;
  onEnd?: () => void;
  attached = new Set<number>(); // one entry per interface, whatever the hooks
  configured: Parameters<RawCapture['configure']>[0][] = [];
  stats(): RawStats[] {
    return [...this.attached].map((ifindex) => ({
      ifindex,
      seen: 10,
      matched: 5,
      captured: 4,
      dropped: 1,
      capturedBytes: 400,
    }));
  }
  configure(o: Parameters<RawCapture['configure']>[0]): void {
    this.configured.push(o);
  }
  attach(o: { name: string }) {
    const ifindex = o.name === 'eth0' ? 2 : 3;
    this.attached.add(ifindex);
    return { ifindex, mode: 'tcx' as const };
  }
  detach(): void {}
  start(onBatch: (b: Buffer) => void, onEnd: () => void): void {
    this.onBatch = onBatch;
    this.onEnd = onEnd;
  }
  stop(): void {
    setImmediate(() => this.onEnd!());
  }
  close(): void {}
}

function fakeBinding(capture: FakeCapture): RawBinding {
  return {
    // A function, not an arrow: the session calls it with `new`, and returning an object from a
    // constructor hands that object back.
    Capture: function Capture() {
      return capture;
    } as unknown as RawBinding['Capture'],
    listInterfaces: () => [],
    clocks: () => ({ realtimeNs: BOOT_TO_WALL + 5n, boottimeNs: 5n }),
    libbpfVersion: () => 'fake',
    compileFilter: (expression) => ({ ok: true, expression }),
    recordVersion: 1,
  };
}

class MemorySink implements Sink {
  chunks: Uint8Array[] = [];
  dropped = 0;
  closed = false;
  write(bytes: Uint8Array): void {
    this.chunks.push(bytes.slice());
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  bytes(): Uint8Array {
    return Buffer.concat(this.chunks);
  }
}

const eth0: RawInterface = {
  name: 'eth0',
  index: 2,
  up: true,
  running: true,
  loopback: false,
  hatype: 1,
  mac: '',
  rxPackets: 0,
  txPackets: 0,
  addresses: [],
};
const tun0: RawInterface = { ...eth0, name: 'tun0', index: 3, hatype: 0xfffe };

function session(options: Partial<SessionOptions>, capture = new FakeCapture()) {
  const events: AgentEvent[] = [];
  const log = new EventLog(true, {
    write: (line: string) => events.push(JSON.parse(line)),
  } as unknown as NodeJS.WritableStream);
  const s = new CaptureSession(
    fakeBinding(capture),
    {
      format: 'pcapng',
      nanosecondPcap: false,
      rules: [],
      filterText: 'udp',
      snaplen: 1000,
      directions: ['in', 'out'],
      ringBytes: 1 << 20,
      forceClsact: false,
      statsIntervalMs: 0,
      isbIntervalMs: 0,
      ...options,
    },
    log,
  );
  const sink = new MemorySink();
  s.addSink(sink);
  return { s, sink, capture, events };
}

function packet(i: number, ifindex = 2, direction: Direction = 'in'): FakeRecord {
  const data = new Uint8Array(60).fill(i & 0xff);
  return { ifindex, direction, tsBootNs: 1000n * BigInt(i), origLen: 1500, data };
}

test('records become pcapng packets with wall-clock ns, true length, direction and interface', async () => {
  const { s, sink, capture, events } = session({});
  sink.write(s.encoder.header());
  s.start();
  s.attach(eth0);
  s.attach(tun0);
  capture.onBatch!(batchOf([packet(1), packet(2, 3, 'out'), packet(3, 99) /* unknown ifindex: skipped */]));
  await s.stop('signal');

  const file = readCaptureFile(sink.bytes());
  assert.deepEqual(file.reader.errors, []);
  assert.deepEqual(
    file.reader.interfaces.map((i) => [i.name, i.linkType, i.filter, i.snaplen]),
    [
      ['eth0', 1, 'udp', 1000],
      ['tun0', 101, 'udp', 1000],
    ],
  );
  assert.deepEqual(
    file.packets.map((p) => [p.interfaceId, p.direction, p.timestampNs, p.originalLength, p.capturedLength, p.data[0]]),
    [
      [0, 'in', BOOT_TO_WALL + 1000n, 1500, 60, 1],
      [1, 'out', BOOT_TO_WALL + 2000n, 1500, 60, 2],
    ],
  );
  assert.equal(file.reader.interfaces[0]?.statistics?.ifDrop, 1n);
  assert.equal(file.reader.interfaces[0]?.statistics?.filterAccept, 5n);
  assert.ok(sink.closed);
  const stopped = events.find((e) => e.event === 'stopped');
  assert.deepEqual(stopped && [stopped.reason, stopped.packets, stopped.kernelDropped], ['signal', 2, 2]);
  assert.deepEqual(capture.configured[0]?.directions, 3);
});

test('-c stops inside a batch at exactly COUNT packets and asks to stop once', async () => {
  const { s, sink, capture } = session({ count: 3 });
  const reasons: string[] = [];
  s.onStop = (r) => reasons.push(r);
  sink.write(s.encoder.header());
  s.start();
  s.attach(eth0);
  capture.onBatch!(batchOf([1, 2, 3, 4, 5].map((i) => packet(i))));
  assert.deepEqual(reasons, ['count']);
  await s.stop('count');
  assert.equal(readCaptureFile(sink.bytes()).packets.length, 3);
});

test('--max-bytes never lets the packet blocks pass the limit', async () => {
  const { s, sink, capture } = session({ maxBytes: 1000 });
  const header = s.encoder.header();
  const reasons: string[] = [];
  s.onStop = (r) => reasons.push(r);
  s.start();
  s.attach(eth0);
  capture.onBatch!(batchOf(Array.from({ length: 20 }, (_, i) => packet(i))));
  assert.deepEqual(reasons, ['max-bytes']);
  const written = sink.chunks.reduce((n, c) => n + c.length, 0) - header.length;
  assert.ok(written <= 1000, `wrote ${written} bytes of packets`);
  await s.stop('max-bytes');
});

test('classic pcap frames raw-IP packets in a zero-MAC Ethernet header', async () => {
  const { s, sink, capture } = session({ format: 'pcap', nanosecondPcap: true });
  sink.write(s.encoder.header());
  s.start();
  s.attach(tun0);
  const ipv6 = new Uint8Array(48);
  ipv6[0] = 0x60;
  capture.onBatch!(batchOf([{ ifindex: 3, direction: 'out', tsBootNs: 7n, origLen: 48, data: ipv6 }]));
  await s.stop('signal');
  const file = readCaptureFile(sink.bytes());
  assert.deepEqual(file.reader.errors, []);
  assert.equal(file.reader.interfaces[0]?.linkType, 1);
  const p = file.packets[0]!;
  assert.equal(p.timestampNs, BOOT_TO_WALL + 7n);
  assert.equal(p.originalLength, 48 + 14);
  assert.deepEqual([...p.data.subarray(0, 14)], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x86, 0xdd]);
  assert.equal(p.data[14], 0x60);
});
