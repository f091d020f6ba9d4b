import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import type { Direction } from '../../packet/capture-abi.js';
import { type CapturedPacket, CaptureFileReader } from '../../packet/capture-file.js';
import * as ng from '../../packet/pcapng.js';
import { rng } from './fixtures/rng.js';

// ---------------------------------------------------------------------------------------------
// Helpers

/** Feeds `bytes` in chunks chosen by `size` and collects everything the reader says. */
function readChunked(bytes: Uint8Array, size: (remaining: number) => number) {
  const reader = new CaptureFileReader();
  const packets: CapturedPacket[] = [];
  for (let o = 0; o < bytes.length; ) {
    const n = Math.max(1, Math.min(size(bytes.length - o), bytes.length - o));
    // A copy per chunk, as a socket would deliver it: packets must not depend on adjacent chunks.
    packets.push(...reader.push(bytes.slice(o, o + n)));
    o += n;
  }
  packets.push(...reader.end());
  return { reader, packets };
}

function readWhole(bytes: Uint8Array) {
  return readChunked(bytes, (n) => n);
}

/** Everything observable, in a form deepEqual compares (data as plain arrays). */
function summary(r: { reader: CaptureFileReader; packets: CapturedPacket[] }) {
  return {
    packets: r.packets.map((p) => ({ ...p, data: Array.from(p.data) })),
    interfaces: r.reader.interfaces,
    sections: r.reader.sections,
    errors: r.reader.errors,
    stopped: r.reader.stopped,
  };
}

function assertChunkingInvariant(bytes: Uint8Array, seed = 1) {
  const whole = summary(readWhole(bytes));
  assert.deepEqual(summary(readChunked(bytes, () => 1)), whole, '1-byte chunks');
  const rand = rng(seed);
  assert.deepEqual(summary(readChunked(bytes, () => 1 + Math.floor(rand() * 300))), whole, 'random chunks');
  return whole;
}

function epoch(ns: bigint | undefined): string {
  assert.ok(ns !== undefined && ns >= 0n);
  return `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;
}

/** Big- or little-endian block builder for hand-made inputs the writers never produce. */
class Bytes {
  private readonly parts: number[] = [];
  constructor(readonly le: boolean) {}
  u8(v: number) {
    this.parts.push(v & 0xff);
    return this;
  }
  u16(v: number) {
    const b = [v & 0xff, (v >>> 8) & 0xff];
    this.parts.push(...(this.le ? b : b.reverse()));
    return this;
  }
  u32(v: number) {
    const b = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
    this.parts.push(...(this.le ? b : b.reverse()));
    return this;
  }
  u64(v: bigint) {
    const hi = Number(v >> 32n),
      lo = Number(v & 0xffffffffn);
    return this.le ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
  }
  /** pcapng timestamps: high word first in either byte order (not a u64). */
  ts(v: bigint) {
    return this.u32(Number(v >> 32n)).u32(Number(v & 0xffffffffn));
  }
  bytes(b: ArrayLike<number>) {
    this.parts.push(...Array.from(b));
    return this;
  }
  pad() {
    while (this.parts.length % 4) this.parts.push(0);
    return this;
  }
  option(code: number, value: ArrayLike<number>) {
    return this.u16(code).u16(value.length).bytes(value).pad();
  }
  get length() {
    return this.parts.length;
  }
  toArray() {
    return Uint8Array.from(this.parts);
  }
}

function block(le: boolean, type: number, body: (b: Bytes) => void): Uint8Array {
  const inner = new Bytes(le);
  body(inner);
  const total = 12 + inner.length;
  return new Bytes(le).u32(type).u32(total).bytes(inner.toArray()).u32(total).toArray();
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const text = (s: string) => new TextEncoder().encode(s);

// ---------------------------------------------------------------------------------------------
// A capture the agent could write: several interfaces and link types, both directions and none,
// snaplen-truncated packets, odd lengths, drop counts, statistics at the end.

interface SamplePacket {
  interfaceId: number;
  timestampNs: bigint;
  data: Uint8Array;
  originalLength: number;
  direction: Direction | undefined;
  dropCount: number | undefined;
}

const SHB: ng.SectionHeader = { hardware: 'x86_64', os: 'Linux 6.1.0-test', userAppl: 'pcap-agent 0.1.0' };
const IDBS: ng.InterfaceDescription[] = [
  { linkType: 1, snaplen: 128, name: 'eth0', description: 'node-a netns default eth0', filter: 'tcp port 443' },
  { linkType: 101, snaplen: 262144, name: 'lo', filter: 'udp and (port 53 or port 5353)' },
  { linkType: 113, snaplen: 65535, name: 'veth1234@if5' },
];
const STATS = [
  { seen: 1000, matched: 40, captured: 37, dropped: 3 },
  { seen: 12, matched: 12, captured: 12, dropped: 0 },
  { seen: 2n ** 40n + 5n, matched: 2n ** 33n, captured: 7n, dropped: 2n ** 32n + 1n },
];
const T0 = 1_700_000_000_123_456_789n;

function samplePackets(count: number, seed: number): SamplePacket[] {
  const rand = rng(seed);
  const out: SamplePacket[] = [];
  let ts = T0;
  for (let i = 0; i < count; i++) {
    const interfaceId = i % IDBS.length;
    const wire = 1 + Math.floor(rand() * 300);
    const snaplen = IDBS[interfaceId]!.snaplen;
    const caplen = Math.min(wire, snaplen);
    const data = Uint8Array.from({ length: caplen }, () => Math.floor(rand() * 256));
    ts += BigInt(1 + Math.floor(rand() * 2_000_000));
    out.push({
      interfaceId,
      timestampNs: ts,
      data,
      originalLength: wire,
      direction: (['in', 'out', undefined] as const)[i % 3],
      dropCount: i % 5 === 4 ? i : undefined,
    });
  }
  return out;
}

/** Writes the sample the way the agent does: one exactly-sized buffer for the whole batch. */
function writeSample(packets: readonly SamplePacket[]): Uint8Array {
  const isbs = STATS.map((c, i) => ({
    interfaceId: i,
    timestampNs: T0 + 10_000_000_000n,
    startTimeNs: T0,
    endTimeNs: T0 + 10_000_000_000n,
    ...ng.isbCountersFromAgent(c),
  }));
  let size = ng.sectionHeaderSize(SHB);
  for (const d of IDBS) size += ng.interfaceDescriptionSize(d);
  for (const p of packets) size += ng.enhancedPacketSize(p.data.length, p.direction, p.dropCount);
  for (const s of isbs) size += ng.interfaceStatisticsSize(s);
  const out = new Uint8Array(size);
  let o = ng.writeSectionHeader(out, 0, SHB);
  for (const d of IDBS) o = ng.writeInterfaceDescription(out, o, d);
  for (const p of packets) {
    o = ng.writeEnhancedPacket(
      out,
      o,
      p.interfaceId,
      p.timestampNs,
      p.data,
      0,
      p.data.length,
      p.originalLength,
      p.direction,
      p.dropCount,
    );
  }
  for (const s of isbs) o = ng.writeInterfaceStatistics(out, o, s);
  assert.equal(o, size, 'size functions agree with writers');
  return out;
}

function assertSampleRead(r: ReturnType<typeof summary>, packets: readonly SamplePacket[]) {
  assert.deepEqual(r.errors, []);
  assert.equal(r.stopped, true);
  assert.deepEqual(r.sections, [
    {
      offset: 0,
      littleEndian: true,
      majorVersion: 1,
      minorVersion: 0,
      hardware: SHB.hardware,
      os: SHB.os,
      userAppl: SHB.userAppl,
    },
  ]);
  assert.equal(r.interfaces.length, IDBS.length);
  r.interfaces.forEach((iface, i) => {
    const d = IDBS[i]!;
    assert.equal(iface.id, i);
    assert.equal(iface.sectionInterfaceId, i);
    assert.equal(iface.linkType, d.linkType);
    assert.equal(iface.snaplen, d.snaplen);
    assert.equal(iface.name, d.name);
    assert.equal(iface.description, d.description);
    assert.equal(iface.filter, d.filter);
    assert.equal(iface.tsresol, 9);
    const c = STATS[i]!;
    assert.deepEqual(iface.statistics, {
      timestampNs: T0 + 10_000_000_000n,
      startTimeNs: T0,
      endTimeNs: T0 + 10_000_000_000n,
      ifRecv: BigInt(c.seen),
      filterAccept: BigInt(c.matched),
      ifDrop: BigInt(c.dropped),
      usrDeliv: BigInt(c.captured),
    });
  });
  assert.equal(r.packets.length, packets.length);
  r.packets.forEach((got, i) => {
    const want = packets[i]!;
    assert.equal(got.interfaceId, want.interfaceId, `packet ${i} interface`);
    assert.equal(got.linkType, IDBS[want.interfaceId]!.linkType);
    assert.equal(got.timestampNs, want.timestampNs);
    assert.equal(got.capturedLength, want.data.length);
    assert.equal(got.originalLength, want.originalLength);
    assert.deepEqual(got.data, Array.from(want.data));
    assert.equal(got.direction, want.direction);
    assert.equal(got.dropCount, want.dropCount === undefined ? undefined : BigInt(want.dropCount));
  });
}

describe('pcapng writers', () => {
  it('round-trips every field, whole and in 1-byte and random chunks', () => {
    const packets = samplePackets(60, 7);
    assert.ok(
      packets.some((p) => p.originalLength > p.data.length),
      'sample has snaplen-truncated packets',
    );
    assert.ok(
      packets.some((p) => p.data.length % 4 !== 0),
      'sample needs padding',
    );
    const bytes = writeSample(packets);
    const read = assertChunkingInvariant(bytes);
    assertSampleRead(read, packets);

    // Decode at an odd offset inside a larger buffer: views must honour byteOffset.
    const host = new Uint8Array(bytes.length + 8).fill(0xcc);
    host.set(bytes, 3);
    assert.deepEqual(summary(readWhole(host.subarray(3, 3 + bytes.length))), read);

    // Re-encode what was decoded: the same bytes.
    const again = writeSample(
      read.packets.map((p) => ({
        interfaceId: p.interfaceId,
        timestampNs: p.timestampNs!,
        data: Uint8Array.from(p.data),
        originalLength: p.originalLength,
        direction: p.direction,
        dropCount: p.dropCount === undefined ? undefined : Number(p.dropCount),
      })),
    );
    assert.deepEqual(again, bytes);
  });

  it('writes at an offset inside a larger buffer and refuses a buffer too small', () => {
    const data = Uint8Array.of(1, 2, 3, 4, 5);
    const size = ng.enhancedPacketSize(3, 'out', 9n);
    assert.equal(size, 32 + 4 + 8 + 12 + 4);
    const out = new Uint8Array(7 + size + 5).fill(0xee);
    const end = ng.writeEnhancedPacket(out, 7, 2, 5n, data, 1, 3, 5, 'out', 9n);
    assert.equal(end, 7 + size);
    assert.deepEqual(Array.from(out.subarray(0, 7)), new Array(7).fill(0xee), 'bytes before untouched');
    assert.deepEqual(Array.from(out.subarray(end)), new Array(5).fill(0xee), 'bytes after untouched');
    assert.deepEqual(Array.from(out.subarray(7 + 28, 7 + 32)), [2, 3, 4, 0], 'data from srcStart, zero padding');
    assert.throws(
      () => ng.writeEnhancedPacket(new Uint8Array(ng.enhancedPacketSize(3) - 1), 0, 0, 0n, data, 0, 3, 3),
      RangeError,
    );
    assert.throws(() => ng.writeEnhancedPacket(new Uint8Array(64), 0, 0, 0n, data, 4, 3, 3), RangeError);
  });

  it('encodes EPB fields at the offsets the spec gives (§4.3)', () => {
    const out = new Uint8Array(ng.enhancedPacketSize(1, 'in'));
    ng.writeEnhancedPacket(out, 0, 1, 0x0102030405060708n, Uint8Array.of(0xaa), 0, 1, 1500, 'in');
    const dv = new DataView(out.buffer);
    assert.equal(dv.getUint32(0, true), 6);
    assert.equal(dv.getUint32(4, true), out.length);
    assert.equal(dv.getUint32(8, true), 1);
    assert.equal(dv.getUint32(12, true), 0x01020304, 'timestamp high word first');
    assert.equal(dv.getUint32(16, true), 0x05060708);
    assert.equal(dv.getUint32(20, true), 1);
    assert.equal(dv.getUint32(24, true), 1500);
    assert.deepEqual(Array.from(out.subarray(28, 32)), [0xaa, 0, 0, 0]);
    assert.deepEqual(
      [dv.getUint16(32, true), dv.getUint16(34, true), dv.getUint32(36, true)],
      [2, 4, 1],
      'epb_flags inbound',
    );
    assert.equal(dv.getUint32(40, true), 0, 'opt_endofopt');
    assert.equal(dv.getUint32(out.length - 4, true), out.length);
    // No options at all when neither direction nor drop count is known.
    assert.equal(ng.enhancedPacketSize(1), 32 + 4);
  });

  it('encodes a generic option list with padding and opt_endofopt (§3.5)', () => {
    const opts = [
      ng.stringOption(1, 'abcde'),
      ng.u8Option(9, 9),
      ng.u64Option(4, 2n ** 63n + 1n),
      { code: 42, value: new Uint8Array(0) },
    ];
    assert.equal(ng.optionsSize(opts), 12 + 8 + 12 + 4 + 4);
    assert.equal(ng.optionsSize([]), 0);
    const out = new Uint8Array(ng.optionsSize(opts) + 2).fill(0xee);
    const end = ng.writeOptions(out, 1, opts);
    assert.equal(end, 1 + ng.optionsSize(opts));
    assert.deepEqual(
      Array.from(out.subarray(1, end)),
      [
        1, 0, 5, 0, 97, 98, 99, 100, 101, 0, 0, 0, 9, 0, 1, 0, 9, 0, 0, 0, 4, 0, 8, 0, 1, 0, 0, 0, 0, 0, 0, 0x80, 42, 0,
        0, 0, 0, 0, 0, 0,
      ],
    );
    assert.equal(out[end], 0xee);
    assert.throws(
      () => ng.writeOptions(new Uint8Array(100000), 0, [{ code: 1, value: new Uint8Array(70000) }]),
      RangeError,
    );
  });

  it('writes if_filter in string form: a 0 byte, then the expression', () => {
    const d = { linkType: 1, snaplen: 0, filter: 'port 53' };
    const b = ng.encodeBlock(ng.interfaceDescriptionSize, ng.writeInterfaceDescription, d);
    const dv = new DataView(b.buffer);
    let o = 16;
    const seen = new Map<number, number[]>();
    while (dv.getUint16(o, true) !== 0) {
      const len = dv.getUint16(o + 2, true);
      seen.set(dv.getUint16(o, true), Array.from(b.subarray(o + 4, o + 4 + len)));
      o += 4 + ((len + 3) & ~3);
    }
    assert.deepEqual(seen.get(ng.OPT.idb.filter), [0, ...text('port 53')]);
    assert.deepEqual(seen.get(ng.OPT.idb.tsresol), [9]);
  });
});

describe('pcapng reader on hand-made input', () => {
  const SHB_T = ng.BLOCK.shb.type;
  const shb = (le: boolean, opts?: (b: Bytes) => void) =>
    block(le, SHB_T, (b) => {
      b.u32(0x1a2b3c4d).u16(1).u16(0).u64(0xffffffffffffffffn);
      opts?.(b);
    });
  const idb = (le: boolean, linkType: number, snaplen: number, opts?: (b: Bytes) => void) =>
    block(le, 1, (b) => {
      b.u16(linkType).u16(0).u32(snaplen);
      opts?.(b);
    });
  const epb = (
    le: boolean,
    iface: number,
    ticks: bigint,
    data: number[],
    orig = data.length,
    opts?: (b: Bytes) => void,
  ) =>
    block(le, 6, (b) => {
      b.u32(iface).ts(ticks).u32(data.length).u32(orig).bytes(data).pad();
      opts?.(b);
    });

  // Two sections: big-endian with if_tsresol 2^-20 and 10^-3 + if_tsoffset, SPB, obsolete PB,
  // custom/NRB/unknown blocks, ISB; then a little-endian one.
  function exotic(): Uint8Array {
    const BE = false,
      LE = true;
    return concat([
      shb(BE, (b) => b.option(4, text('hand-made')).u32(0)),
      idb(BE, 1, 0, (b) =>
        b
          .option(2, text('be0'))
          .option(9, [0x80 | 20])
          .u32(0),
      ),
      idb(BE, 101, 4, (b) =>
        b.option(2, text('be1')).option(9, [3]).option(14, new Bytes(BE).u64(1000n).toArray()).u32(0),
      ),
      // 2^-20 s ticks: 1_700_000_000 s and 0.5 s
      epb(BE, 0, (1_700_000_000n << 20n) + (1n << 19n), [1, 2, 3], 60, (b) =>
        b.option(2, new Bytes(BE).u32(2).toArray()).u32(0),
      ),
      block(BE, 0x00000bad, (b) => b.u32(32473).bytes([1, 2, 3, 4])), // custom block: skipped
      block(BE, 4, (b) => b.u16(0).u16(0)), // NRB with only nrb_record_end: skipped
      block(BE, 0x7777, (b) => b.bytes([9, 9, 9, 9])), // unknown: skipped
      // Packet Block: interface 1, 5 drops, ms ticks, inbound; 6 bytes of 9 on the wire
      block(BE, 2, (b) => {
        b.u16(1).u16(5).ts(1_700_000_000_250n).u32(6).u32(9).bytes([6, 5, 4, 3, 2, 1]).pad();
        b.option(2, new Bytes(BE).u32(1).toArray()).u32(0);
      }),
      // Simple Packet Block: interface 0 (snaplen 0: everything captured)
      block(BE, 3, (b) => b.u32(5).bytes([0xa, 0xb, 0xc, 0xd, 0xe]).pad()),
      block(BE, 5, (b) =>
        b
          .u32(1)
          .ts(1_700_000_001_000n)
          .option(4, new Bytes(BE).u64(77n).toArray())
          .option(7, new Bytes(BE).u64(3n).toArray())
          .u32(0),
      ),
      shb(LE),
      idb(LE, 1, 0, (b) => b.option(2, text('le0')).option(9, [9]).u32(0)),
      epb(LE, 0, 1_700_000_002_000_000_001n, [7, 7, 7, 7, 7], 5, (b) =>
        b.option(2, new Bytes(LE).u32(1).toArray()).u32(0),
      ),
    ]);
  }

  it('reads both byte orders, several sections, tsresol/tsoffset, SPB, PB, ISB; skips other blocks', () => {
    const r = assertChunkingInvariant(exotic());
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.sections.map((s) => [s.littleEndian, s.userAppl]),
      [
        [false, 'hand-made'],
        [true, undefined],
      ],
    );
    assert.deepEqual(
      r.interfaces.map((i) => [i.id, i.section, i.sectionInterfaceId, i.name, i.linkType, i.tsresol, i.tsoffset]),
      [
        [0, 0, 0, 'be0', 1, 0x80 | 20, undefined],
        [1, 0, 1, 'be1', 101, 3, 1000],
        [2, 1, 0, 'le0', 1, 9, undefined],
      ],
    );
    assert.deepEqual(r.interfaces[1]!.statistics, { timestampNs: 1_700_001_001_000_000_000n, ifRecv: 77n, osDrop: 3n });
    assert.deepEqual(
      r.packets.map((p) => [
        p.interfaceId,
        p.timestampNs,
        p.capturedLength,
        p.originalLength,
        p.direction,
        p.dropCount,
        p.data,
      ]),
      [
        [0, 1_700_000_000_500_000_000n, 3, 60, 'out', undefined, [1, 2, 3]],
        [1, 1_700_001_000_250_000_000n, 6, 9, 'in', 5n, [6, 5, 4, 3, 2, 1]],
        [0, undefined, 5, 5, undefined, undefined, [0xa, 0xb, 0xc, 0xd, 0xe]],
        [2, 1_700_000_002_000_000_001n, 5, 5, 'in', undefined, [7, 7, 7, 7, 7]],
      ],
    );
  });

  it('caps a Simple Packet Block at the interface snaplen', () => {
    const bytes = concat([shb(true), idb(true, 1, 2), block(true, 3, (b) => b.u32(100).bytes([1, 2]).pad())]);
    const r = assertChunkingInvariant(bytes);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.packets.map((p) => [p.capturedLength, p.originalLength, p.data]),
      [[2, 100, [1, 2]]],
    );
  });

  it("reads an EPB's comments in order (the agent's --processes names the process in one)", () => {
    const process = 'PID: 42\nCmd: /usr/bin/node\nArgs: node server.js';
    const bytes = concat([
      shb(true),
      idb(true, 1, 0),
      epb(true, 0, 1n, [1, 2, 3], 3, (b) => b.option(1, text(process)).option(1, text('second')).u32(0)),
      epb(true, 0, 2n, [4], 1),
    ]);
    const r = assertChunkingInvariant(bytes);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.packets.map((p) => p.comments),
      [[process, 'second'], undefined],
    );
  });

  it('converts resolutions finer than a nanosecond by truncation', () => {
    const bytes = concat([
      shb(true),
      idb(true, 1, 0, (b) => b.option(9, [12]).u32(0)),
      epb(true, 0, 1_700_000_123_456_789_999n, [1]),
    ]);
    assert.equal(assertChunkingInvariant(bytes).packets[0]!.timestampNs, 1_700_000_123_456_789n);
  });

  it('skips a well-framed block with bad contents and goes on', () => {
    const bytes = concat([
      shb(true),
      idb(true, 1, 0),
      epb(true, 3, 1n, [1]), // no interface 3
      block(true, 6, (b) => b.u32(0).u32(0).u32(0).u32(400).u32(400).bytes([1, 2, 3, 4])), // caplen beyond block
      epb(true, 0, 2n, [2], 1, (b) => b.u16(2).u16(40).u32(1)), // option overruns: packet kept
      epb(true, 0, 3n, [3]),
    ]);
    const r = assertChunkingInvariant(bytes);
    assert.deepEqual(
      r.packets.map((p) => p.data),
      [[2], [3]],
    );
    assert.equal(r.errors.length, 3);
    assert.match(r.errors[0]!, /^offset 48: .*interface 3/);
    assert.match(r.errors[1]!, /claims 400 captured bytes/);
    assert.match(r.errors[2]!, /option 2 of 40 bytes runs past/);
  });

  it('stops cleanly on impossible lengths and never waits for (or allocates) a huge block', () => {
    const head = concat([shb(true), idb(true, 1, 0), epb(true, 0, 1n, [1])]);
    const cases: [string, Uint8Array, RegExp][] = [
      ['not a multiple of 4', new Bytes(true).u32(6).u32(33).toArray(), /not a multiple of 4/],
      ['below the minimum', new Bytes(true).u32(6).u32(28).toArray(), /shorter than the 32-byte minimum/],
      ['below 12', new Bytes(true).u32(0x1234).u32(8).toArray(), /shorter than the 12-byte minimum/],
      ['beyond the cap', new Bytes(true).u32(6).u32(0xfffffffc).toArray(), /larger than the 67108864-byte cap/],
      [
        'trailer mismatch',
        block(true, 6, (b) => b.u32(0).u32(0).u32(0).u32(0).u32(0)).map((v, i, a) => (i === a.length - 4 ? 99 : v)),
        /trailing length/,
      ],
      [
        'bad byte-order magic',
        new Bytes(true).u32(ng.BLOCK.shb.type).u32(28).u32(0x11223344).toArray(),
        /byte-order magic/,
      ],
    ];
    for (const [name, tail, re] of cases) {
      const bytes = concat([head, tail, epb(true, 0, 2n, [2])]);
      const r = assertChunkingInvariant(bytes);
      assert.equal(r.packets.length, 1, name);
      assert.equal(r.errors.length, 1, `${name}: ${r.errors.join('; ')}`);
      assert.match(r.errors[0]!, re, name);
      assert.match(r.errors[0]!, new RegExp(`^offset ${head.length}:`), name);
      // The reader stops on the header alone: it must not sit waiting for 4 GiB.
      const reader = new CaptureFileReader();
      reader.push(concat([head, tail.subarray(0, 12)]));
      assert.equal(reader.stopped, name !== 'trailer mismatch', name);
    }
  });

  it('rejects non-capture input and notes a cut-short end', () => {
    let r = summary(readWhole(text('GET / HTTP/1.1\r\n')));
    assert.deepEqual(r.errors, ['offset 0: not a pcap or pcapng stream (starts 47 45 54 20)']);
    r = summary(readWhole(new Uint8Array(0)));
    assert.deepEqual(r.errors, ['offset 0: empty stream']);
    r = assertChunkingInvariant(Uint8Array.of(0x0a, 0x0d));
    assert.deepEqual(r.errors, ['offset 0: stream ends inside the format magic: have 2 of 4 bytes']);
    const good = concat([shb(true), idb(true, 1, 0), epb(true, 0, 1n, [1, 2, 3])]);
    r = assertChunkingInvariant(good.subarray(0, good.length - 5));
    assert.equal(r.packets.length, 0);
    assert.match(r.errors[0]!, /stream ends inside a pcapng block: have 31 of 36 bytes/);
    r = assertChunkingInvariant(concat([shb(true), idb(true, 1, 0)]).subarray(0, 30));
    assert.match(r.errors[0]!, /have 2 of 8 bytes/);
  });

  it('skips a section with an unknown major version', () => {
    const v2 = block(true, ng.BLOCK.shb.type, (b) => b.u32(0x1a2b3c4d).u16(2).u16(0).u64(0n));
    const bytes = concat([
      v2,
      idb(true, 1, 0),
      epb(true, 0, 1n, [1]),
      shb(true),
      idb(true, 1, 0),
      epb(true, 0, 2n, [2]),
    ]);
    const r = assertChunkingInvariant(bytes);
    assert.deepEqual(
      r.packets.map((p) => [p.interfaceId, p.data]),
      [[0, [2]]],
    );
    assert.match(r.errors[0]!, /version 2\.0 not understood/);
  });

  it('survives mutated and random input: no throw, same result however chunked, bounded notes', () => {
    const base = writeSample(samplePackets(20, 3));
    const rand = rng(99);
    for (let round = 0; round < 300; round++) {
      const bytes = base.slice();
      const flips = 1 + Math.floor(rand() * 8);
      for (let i = 0; i < flips; i++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
      const cut = rand() < 0.3 ? bytes.subarray(0, Math.floor(rand() * bytes.length)) : bytes;
      const whole = summary(readWhole(cut));
      assert.deepEqual(summary(readChunked(cut, () => 1 + Math.floor(rand() * 64))), whole, `round ${round}`);
      assert.ok(whole.errors.length <= 201);
    }
    for (let round = 0; round < 50; round++) {
      const junk = Uint8Array.from({ length: 4096 }, () => Math.floor(rand() * 256));
      junk.set([0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a]);
      readWhole(junk);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Judged by Wireshark's own tools.

const haveTools = spawnSync('tshark', ['-v']).status === 0 && spawnSync('capinfos', ['-v']).status === 0;

/** tshark prints this when run as root; it is not about the file. */
function toolStderr(s: string): string {
  return s
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^Running as user "root"/.test(l))
    .join('\n');
}

function tool(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(toolStderr(r.stderr), '', `${cmd} ${args.join(' ')} wrote to stderr`);
  assert.equal(r.status, 0, `${cmd} exit status`);
  return r.stdout;
}

function fields(file: string, names: string[], extra: string[] = []): string[][] {
  const args = ['-r', file, ...extra, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=|'];
  for (const n of names) args.push('-e', n);
  return tool('tshark', args)
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

describe('pcapng as tshark and capinfos read it', { skip: !haveTools && 'tshark/capinfos not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcapng-test-'));
  after(() => {
    if (!process.env.KEEP_TEST_FILES) rmSync(dir, { recursive: true, force: true });
  });

  it('agrees on every packet: lengths, ns timestamps, interfaces, directions, drop counts', () => {
    const packets = samplePackets(60, 11);
    const file = join(dir, 'agent.pcapng');
    writeFileSync(file, writeSample(packets));
    assert.equal(tool('capinfos', ['-c', '-M', file]).match(/Number of packets:\s+(\d+)/)?.[1], String(packets.length));
    const rows = fields(file, [
      'frame.len',
      'frame.cap_len',
      'frame.time_epoch',
      'frame.interface_id',
      'frame.interface_name',
      'frame.interface_description',
      'frame.packet_flags_direction',
      'frame.drop_count',
    ]);
    assert.deepEqual(
      rows,
      packets.map((p) => [
        String(p.originalLength),
        String(p.data.length),
        epoch(p.timestampNs),
        String(p.interfaceId),
        IDBS[p.interfaceId]!.name!,
        IDBS[p.interfaceId]!.description ?? '',
        p.direction === 'in' ? '0x00000001' : p.direction === 'out' ? '0x00000002' : '',
        p.dropCount === undefined ? '' : String(p.dropCount),
      ]),
    );
  });

  it('agrees on the section, interfaces, filters and statistics', () => {
    const file = join(dir, 'agent-meta.pcapng');
    writeFileSync(file, writeSample(samplePackets(6, 5)));
    const info = tool('capinfos', [file]);
    assert.match(info, /Capture hardware:\s+x86_64\n/);
    assert.match(info, /Capture oper-sys:\s+Linux 6\.1\.0-test\n/);
    assert.match(info, /Capture application:\s+pcap-agent 0\.1\.0\n/);
    assert.match(info, /Number of interfaces in file: 3\n/);
    const ifaces = info.split(/Interface #\d+ info:\n/).slice(1);
    assert.equal(ifaces.length, 3);
    ifaces.forEach((block, i) => {
      const d = IDBS[i]!;
      assert.match(block, new RegExp(`Name = ${d.name!.replace(/[.@]/g, '\\$&')}\\n`));
      assert.match(block, new RegExp(`Capture length = ${d.snaplen}\\n`));
      assert.match(block, /Time precision = nanoseconds \(9\)\n/);
      if (d.filter) assert.match(block, new RegExp(`Filter string = ${d.filter.replace(/[()]/g, '\\$&')}\\n`));
      else assert.doesNotMatch(block, /Filter string/);
      assert.match(block, /Number of stat entries = 1\n/);
    });
    // The file-format dissector shows the options themselves.
    const mime = ['-X', 'read_format:MIME Files Format'];
    // The whole file is one "frame" here; repeated fields come joined by the aggregator.
    const filters = fields(file, ['pcapng.options.option.data.interface.filter.string'], mime)
      .flat()
      .join('|')
      .split('|')
      .filter((s) => s !== '');
    assert.deepEqual(
      filters,
      IDBS.flatMap((d) => (d.filter ? [d.filter] : [])),
    );
    const counters = fields(
      file,
      [
        'pcapng.options.option.data.interface.received',
        'pcapng.options.option.data.interface.accepted_by_filter',
        'pcapng.options.option.data.interface.dropped',
        'pcapng.options.option.data.interface.delivered_to_user',
        'pcapng.options.option.data.interface.dropped_by_os',
      ],
      mime,
    );
    assert.deepEqual(counters, [
      [
        STATS.map((c) => c.seen).join('|'),
        STATS.map((c) => c.matched).join('|'),
        STATS.map((c) => c.dropped).join('|'),
        STATS.map((c) => c.captured).join('|'),
        '',
      ],
    ]);
  });

  it('agrees on hand-made big-endian, multi-section input with SPB, PB and other resolutions', () => {
    const BE = false;
    const b = (type: number, body: (b: Bytes) => void) => block(BE, type, body);
    const bytes = concat([
      b(ng.BLOCK.shb.type, (x) => x.u32(0x1a2b3c4d).u16(1).u16(0).u64(0xffffffffffffffffn)),
      b(1, (x) =>
        x
          .u16(1)
          .u16(0)
          .u32(0)
          .option(2, text('be0'))
          .option(9, [0x80 | 20])
          .u32(0),
      ),
      b(1, (x) =>
        x
          .u16(1)
          .u16(0)
          .u32(0)
          .option(2, text('be1'))
          .option(9, [3])
          .option(14, new Bytes(BE).u64(1000n).toArray())
          .u32(0),
      ),
      b(6, (x) =>
        x
          .u32(0)
          .ts((1_700_000_000n << 20n) + (3n << 18n))
          .u32(3)
          .u32(60)
          .bytes([1, 2, 3])
          .pad(),
      ),
      b(2, (x) =>
        x
          .u16(1)
          .u16(5)
          .ts(1_700_000_000_250n)
          .u32(6)
          .u32(9)
          .bytes([6, 5, 4, 3, 2, 1])
          .pad()
          .option(2, new Bytes(BE).u32(1).toArray())
          .u32(0),
      ),
      b(3, (x) => x.u32(5).bytes([0xa, 0xb, 0xc, 0xd, 0xe]).pad()),
      block(true, ng.BLOCK.shb.type, (x) => x.u32(0x1a2b3c4d).u16(1).u16(0).u64(0xffffffffffffffffn)),
      block(true, 1, (x) => x.u16(1).u16(0).u32(0).option(2, text('le0')).option(9, [9]).u32(0)),
      block(true, 6, (x) => x.u32(0).ts(1_700_000_002_000_000_001n).u32(1).u32(1).bytes([7]).pad()),
    ]);
    const file = join(dir, 'exotic.pcapng');
    writeFileSync(file, bytes);
    const { packets, reader } = readWhole(bytes);
    assert.deepEqual(reader.errors, []);
    const rows = fields(file, [
      'frame.len',
      'frame.cap_len',
      'frame.time_epoch',
      'frame.interface_id',
      'frame.interface_name',
      'frame.packet_flags_direction',
    ]);
    assert.deepEqual(rows.length, packets.length);
    packets.forEach((p, i) => {
      const [len, cap, time, id, name, dir] = rows[i]!;
      assert.equal(Number(len), p.originalLength);
      assert.equal(Number(cap), p.capturedLength);
      // A Simple Packet Block has no timestamp; tshark leaves the field empty.
      assert.equal(time, p.timestampNs === undefined ? '' : epoch(p.timestampNs), `packet ${i} time`);
      // Interface IDs are relative to their section (spec §4.2), so the reader numbers
      // interfaces across sections. Wireshark 4.0's wiretap passes the section-relative ID
      // through unchanged (pcapng_read_packet_block), so tshark attributes packets of a later
      // section to the first section's interfaces: the one documented disagreement.
      const local = reader.interfaces[p.interfaceId]!.sectionInterfaceId;
      assert.equal(Number(id), local, `packet ${i} interface id`);
      assert.equal(name, reader.interfaces[local]!.name);
      assert.equal(dir, p.direction === 'in' ? '0x00000001' : p.direction === 'out' ? '0x00000002' : '');
    });
  });
});

describe('pcapng writer throughput', () => {
  it('encodes 100k packets into one batch buffer', () => {
    const data = new Uint8Array(1500).fill(0x42);
    const n = 100_000;
    const out = new Uint8Array(n * ng.enhancedPacketSize(200, 'in'));
    const t0 = performance.now();
    let o = 0;
    for (let i = 0; i < n; i++) o = ng.writeEnhancedPacket(out, o, i & 3, T0 + BigInt(i), data, i & 7, 200, 1400, 'in');
    const ms = performance.now() - t0;
    assert.equal(o, out.length);
    // Generous bound: catches an accidental per-packet allocation storm, not a benchmark.
    assert.ok(ms < 2000, `${ms.toFixed(0)} ms`);
    const read = readWhole(
      concat([
        ng.encodeBlock(ng.sectionHeaderSize, ng.writeSectionHeader, {}),
        ...[0, 1, 2, 3].map(() =>
          ng.encodeBlock(ng.interfaceDescriptionSize, ng.writeInterfaceDescription, { linkType: 1, snaplen: 0 }),
        ),
        out,
      ]),
    );
    assert.equal(read.packets.length, n);
    assert.deepEqual(read.reader.errors, []);
  });
});
