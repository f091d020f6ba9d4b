import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { type CapturedPacket, CaptureFileReader } from '../../packet/capture-file.js';
import * as pcap from '../../packet/pcap.js';
import { rng } from './fixtures/rng.js';

function readChunked(bytes: Uint8Array, size: () => number) {
  const reader = new CaptureFileReader();
  const packets: CapturedPacket[] = [];
  for (let o = 0; o < bytes.length; ) {
    const n = Math.max(1, Math.min(size(), bytes.length - o));
    packets.push(...reader.push(bytes.slice(o, o + n)));
    o += n;
  }
  packets.push(...reader.end());
  return {
    packets: packets.map((p) => ({ ...p, data: Array.from(p.data) })),
    interfaces: reader.interfaces,
    sections: reader.sections,
    errors: reader.errors,
    format: reader.format,
  };
}

/** Reads whole, in 1-byte and in random chunks; all three must agree. */
function read(bytes: Uint8Array, seed = 1) {
  const whole = readChunked(bytes, () => bytes.length);
  assert.deepEqual(
    readChunked(bytes, () => 1),
    whole,
    '1-byte chunks',
  );
  const rand = rng(seed);
  assert.deepEqual(
    readChunked(bytes, () => 1 + Math.floor(rand() * 200)),
    whole,
    'random chunks',
  );
  return whole;
}

function epoch(ns: bigint): string {
  return `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;
}

/** Hand-made records in either byte order, for inputs the writer never produces. */
function handMade(
  le: boolean,
  magic: number,
  opts: { major?: number; minor?: number; snaplen?: number; linkType?: number; recordExtra?: number },
  records: { sec: number; frac: number; incl: number; orig: number; data: number[] }[],
): Uint8Array {
  const extra = opts.recordExtra ?? 0;
  const size = 24 + records.reduce((n, r) => n + 16 + extra + r.data.length, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, magic, le);
  dv.setUint16(4, opts.major ?? 2, le);
  dv.setUint16(6, opts.minor ?? 4, le);
  dv.setUint32(16, opts.snaplen ?? 65535, le);
  dv.setUint32(20, opts.linkType ?? 1, le);
  let o = 24;
  for (const r of records) {
    dv.setUint32(o, r.sec, le);
    dv.setUint32(o + 4, r.frac, le);
    dv.setUint32(o + 8, r.incl, le);
    dv.setUint32(o + 12, r.orig, le);
    // modified-pcap extra fields: ifindex 2, protocol 0x0800, pkt_type 0 (host)
    if (extra) {
      dv.setUint32(o + 16, 2, le);
      dv.setUint16(o + 20, 0x0800, le);
    }
    out.set(r.data, o + 16 + extra);
    o += 16 + extra + r.data.length;
  }
  return out;
}

interface Sample {
  ts: bigint;
  data: Uint8Array;
  orig: number;
}

function samples(n: number, snaplen: number, seed: number): Sample[] {
  const rand = rng(seed);
  let ts = 1_700_000_000_987_654_321n;
  return Array.from({ length: n }, () => {
    const orig = 1 + Math.floor(rand() * 400);
    ts += BigInt(Math.floor(rand() * 3_000_000_000));
    return { ts, orig, data: Uint8Array.from({ length: Math.min(orig, snaplen) }, () => Math.floor(rand() * 256)) };
  });
}

function write(s: readonly Sample[], h: pcap.PcapHeader): Uint8Array {
  const size = pcap.PCAP_HEADER_SIZE + s.reduce((n, p) => n + pcap.recordSize(p.data.length), 0);
  const out = new Uint8Array(size);
  let o = pcap.writeFileHeader(out, 0, h);
  for (const p of s) o = pcap.writeRecord(out, o, p.ts, p.data, 0, p.data.length, p.orig, h.nanosecond);
  assert.equal(o, size);
  return out;
}

const usec = (ns: bigint) => (ns / 1000n) * 1000n;

describe('pcap writer and reader', () => {
  for (const nanosecond of [true, false]) {
    it(`round-trips every field (${nanosecond ? 'ns' : 'µs, truncating'})`, () => {
      const s = samples(50, 200, nanosecond ? 1 : 2);
      assert.ok(s.some((p) => p.orig > p.data.length) && s.some((p) => p.data.length % 4 !== 0));
      const r = read(write(s, { snaplen: 200, linkType: 113, nanosecond }));
      assert.deepEqual(r.errors, []);
      assert.equal(r.format, 'pcap');
      assert.deepEqual(r.interfaces, [
        {
          id: 0,
          section: 0,
          sectionInterfaceId: 0,
          linkType: 113,
          snaplen: 200,
          tsresol: nanosecond ? 9 : 6,
          statistics: undefined,
        },
      ]);
      assert.deepEqual(
        r.packets.map((p) => [
          p.interfaceId,
          p.linkType,
          p.timestampNs,
          p.capturedLength,
          p.originalLength,
          p.data,
          p.direction,
        ]),
        s.map((p) => [0, 113, nanosecond ? p.ts : usec(p.ts), p.data.length, p.orig, Array.from(p.data), undefined]),
      );
      // Re-encoding what was decoded gives the same bytes; decoding at an odd offset the same packets.
      const bytes = write(s, { snaplen: 200, linkType: 113, nanosecond });
      assert.deepEqual(
        write(
          r.packets.map((p) => ({ ts: p.timestampNs!, data: Uint8Array.from(p.data), orig: p.originalLength })),
          { snaplen: 200, linkType: 113, nanosecond },
        ),
        bytes,
      );
      const host = new Uint8Array(bytes.length + 5);
      host.set(bytes, 1);
      assert.deepEqual(
        readChunked(host.subarray(1, 1 + bytes.length), () => 1 << 30),
        r,
      );
    });
  }

  it('writes the file header of the spec (§4) at an offset, and refuses a short buffer', () => {
    const out = new Uint8Array(30).fill(0xee);
    assert.equal(pcap.writeFileHeader(out, 3, { snaplen: 262144, linkType: 1, nanosecond: false }), 27);
    assert.deepEqual(
      Array.from(out.subarray(3, 27)),
      [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0],
    );
    assert.deepEqual([out[2], out[27]], [0xee, 0xee]);
    assert.deepEqual(
      Array.from(pcap.encodeFileHeader({ snaplen: 1, linkType: 1, nanosecond: true }).subarray(0, 4)),
      [0x4d, 0x3c, 0xb2, 0xa1],
    );
    assert.throws(() => pcap.writeRecord(new Uint8Array(19), 0, 0n, new Uint8Array(4), 0, 4, 4, false), RangeError);
  });

  it('reads big-endian files, µs and ns', () => {
    const recs = [
      { sec: 1_700_000_000, frac: 999_999, incl: 3, orig: 70, data: [1, 2, 3] },
      { sec: 1_700_000_001, frac: 5, incl: 1, orig: 1, data: [9] },
    ];
    let r = read(handMade(false, pcap.PCAP_MAGIC_USEC, { snaplen: 3 }, recs));
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.sections[0]!.littleEndian, false);
    assert.deepEqual(
      r.packets.map((p) => [p.timestampNs, p.capturedLength, p.originalLength, p.data]),
      [
        [1_700_000_000_999_999_000n, 3, 70, [1, 2, 3]],
        [1_700_000_001_000_005_000n, 1, 1, [9]],
      ],
    );
    r = read(handMade(false, pcap.PCAP_MAGIC_NSEC, {}, recs));
    assert.deepEqual(
      r.packets.map((p) => p.timestampNs),
      [1_700_000_000_000_999_999n, 1_700_000_001_000_000_005n],
    );
  });

  it('reads the modified (Kuznetzov) format with 24-byte record headers, both byte orders', () => {
    for (const le of [true, false]) {
      const r = read(
        handMade(le, pcap.PCAP_MAGIC_MODIFIED, { recordExtra: 8 }, [
          { sec: 10, frac: 1, incl: 2, orig: 2, data: [5, 6] },
          { sec: 11, frac: 2, incl: 1, orig: 9, data: [7] },
        ]),
      );
      assert.deepEqual(r.errors, []);
      assert.deepEqual(
        r.packets.map((p) => [p.timestampNs, p.originalLength, p.data]),
        [
          [10_000_001_000n, 2, [5, 6]],
          [11_000_002_000n, 9, [7]],
        ],
      );
    }
  });

  it('swaps the length fields of version 2.2 files, and of 2.3 files when they look swapped', () => {
    const recs = [
      { sec: 1, frac: 0, incl: 60, orig: 2, data: [1, 2] },
      { sec: 2, frac: 0, incl: 1, orig: 50, data: [3] },
    ];
    // Fields given as (incl, orig) but stored in the pre-2.3 order (orig first).
    assert.deepEqual(
      read(
        handMade(
          true,
          pcap.PCAP_MAGIC_USEC,
          { minor: 2 },
          recs
            .map((r) => ({ ...r, incl: r.orig, orig: r.incl }))
            .map((r, i) => ({ ...r, incl: [60, 50][i]!, orig: [2, 1][i]! })),
        ),
      ).packets.map((p) => [p.capturedLength, p.originalLength]),
      [
        [2, 60],
        [1, 50],
      ],
    );
    assert.deepEqual(
      read(handMade(true, pcap.PCAP_MAGIC_USEC, { minor: 3 }, recs)).packets.map((p) => [
        p.capturedLength,
        p.originalLength,
      ]),
      [
        [2, 60],
        [1, 50],
      ],
    );
  });

  it('keeps a record longer than the snaplen (as Wireshark does) with one note', () => {
    const recs = [
      { sec: 1, frac: 0, incl: 4, orig: 4, data: [1, 2, 3, 4] },
      { sec: 1, frac: 0, incl: 5, orig: 5, data: [1, 2, 3, 4, 5] },
    ];
    const r = read(handMade(true, pcap.PCAP_MAGIC_USEC, { snaplen: 2 }, recs));
    assert.equal(r.packets.length, 2);
    assert.deepEqual(r.errors, [
      "offset 24: pcap: record has 4 captured bytes, more than the file's snaplen 2; kept as recorded (noted once)",
    ]);
  });

  it('stops at a record longer than Wireshark allows for the link type, without waiting for it', () => {
    const big = (incl: number, linkType: number) =>
      handMade(true, pcap.PCAP_MAGIC_USEC, { linkType }, [
        { sec: 1, frac: 0, incl: 1, orig: 1, data: [1] },
        { sec: 2, frac: 0, incl, orig: incl, data: [] },
        { sec: 3, frac: 0, incl: 1, orig: 1, data: [3] },
      ]);
    let r = read(big(262145, 1));
    assert.equal(r.packets.length, 1);
    assert.deepEqual(r.errors, [
      'offset 41: pcap: record claims 262145 captured bytes, more than the 262144 allowed for link type 1; stopping',
    ]);
    const reader = new CaptureFileReader();
    reader.push(big(0xffffffff, 1));
    assert.equal(reader.stopped, true, 'a huge caplen stops at once');
    // D-Bus and USB records may be up to 128 MiB, EBHSCR 8 MiB (as capinfos 4.0 allows), so
    // these are only records cut short.
    for (const linkType of [231, 189, 249, 279]) {
      r = read(big(262145, linkType));
      assert.equal(r.packets.length, 1);
      assert.match(r.errors[0]!, /stream ends inside a pcap header or record: have 33 of 262161 bytes/);
    }
    assert.match(read(big(8 * 1024 * 1024 + 1, 279)).errors[0]!, /more than the 8388608 allowed for link type 279/);
    assert.match(read(big(128 * 1024 * 1024 + 1, 249)).errors[0]!, /more than the 134217728 allowed for link type 249/);
  });

  it('notes a record cut short, a bad version and a fraction of a second or more', () => {
    const ok = write(samples(2, 100, 4), { snaplen: 100, linkType: 1, nanosecond: false });
    let r = read(ok.subarray(0, ok.length - 1));
    assert.equal(r.packets.length, 1);
    assert.match(r.errors[0]!, /^offset \d+: stream ends inside a pcap header or record/);
    r = read(ok.subarray(0, 10));
    assert.deepEqual(r.errors, ['offset 0: stream ends inside a pcap header or record: have 10 of 24 bytes']);
    r = read(handMade(true, pcap.PCAP_MAGIC_USEC, { major: 1 }, []));
    assert.deepEqual(r.errors, ['offset 0: pcap: version 1.4 unsupported; stopping']);
    r = read(handMade(true, pcap.PCAP_MAGIC_NSEC, {}, [{ sec: 5, frac: 1_500_000_000, incl: 0, orig: 0, data: [] }]));
    assert.equal(r.packets[0]!.timestampNs, 6_500_000_000n);
    assert.match(r.errors[0]!, /fraction 1500000000 is a second or more/);
  });

  it('survives mutated input: no throw, same result however chunked', () => {
    const base = write(samples(20, 300, 5), { snaplen: 300, linkType: 1, nanosecond: true });
    const rand = rng(17);
    for (let round = 0; round < 300; round++) {
      const bytes = base.slice();
      for (let i = 0; i < 1 + rand() * 6; i++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
      read(rand() < 0.3 ? bytes.subarray(0, Math.floor(rand() * bytes.length)) : bytes, round);
    }
  });
});

const haveTools = spawnSync('tshark', ['-v']).status === 0 && spawnSync('capinfos', ['-v']).status === 0;

function tool(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  // tshark warns on stderr when run as root; that line is about the user, not the file.
  const stderr = r.stderr.split('\n').filter((l) => l.trim() !== '' && !/^Running as user "root"/.test(l));
  assert.deepEqual(stderr, [], `${cmd} stderr`);
  assert.equal(r.status, 0);
  return r.stdout;
}

describe('pcap as tshark and capinfos read it', { skip: !haveTools && 'tshark/capinfos not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'pcap-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const nanosecond of [true, false]) {
    it(`agrees on lengths and timestamps (${nanosecond ? 'ns' : 'µs'})`, () => {
      const s = samples(40, 96, 8);
      const file = join(dir, `w-${nanosecond}.pcap`);
      writeFileSync(file, write(s, { snaplen: 96, linkType: 1, nanosecond }));
      const info = tool('capinfos', ['-M', file]);
      assert.match(info, /Number of packets:\s+40\n/);
      assert.match(info, /Packet size limit:\s+file hdr: 96 bytes\n/);
      assert.match(
        info,
        nanosecond ? /File timestamp precision:\s+nanoseconds \(9\)/ : /File timestamp precision:\s+microseconds \(6\)/,
      );
      const rows = tool('tshark', [
        '-r',
        file,
        '-T',
        'fields',
        '-e',
        'frame.len',
        '-e',
        'frame.cap_len',
        '-e',
        'frame.time_epoch',
      ])
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t'));
      assert.deepEqual(
        rows,
        s.map((p) => [String(p.orig), String(p.data.length), epoch(nanosecond ? p.ts : usec(p.ts))]),
      );
    });
  }

  it('agrees on hand-made big-endian and modified-format files', () => {
    const recs = [
      { sec: 1_700_000_000, frac: 250_000, incl: 14, orig: 64, data: new Array(14).fill(0x11) },
      { sec: 1_700_000_002, frac: 3, incl: 2, orig: 2, data: [1, 2] },
    ];
    for (const [name, bytes] of [
      ['be.pcap', handMade(false, pcap.PCAP_MAGIC_USEC, {}, recs)],
      ['modified-le.pcap', handMade(true, pcap.PCAP_MAGIC_MODIFIED, { recordExtra: 8 }, recs)],
      ['modified-be.pcap', handMade(false, pcap.PCAP_MAGIC_MODIFIED, { recordExtra: 8 }, recs)],
    ] as const) {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      const r = read(bytes);
      assert.deepEqual(r.errors, [], name);
      const rows = tool('tshark', [
        '-r',
        file,
        '-T',
        'fields',
        '-e',
        'frame.len',
        '-e',
        'frame.cap_len',
        '-e',
        'frame.time_epoch',
      ])
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t'));
      assert.deepEqual(
        rows,
        r.packets.map((p) => [String(p.originalLength), String(p.capturedLength), epoch(p.timestampNs!)]),
        name,
      );
    }
  });
});
