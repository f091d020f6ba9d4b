// Several capture streams merged into one (packet/pcapng-merge.ts): time order across sources,
// one interface block per source interface named "namespace/pod:iface", a quiet source holding the others
// back no longer than the hold time, each source's statistics passed on, a packet budget, and
// malformed input noted, never thrown.
// tshark reads the result.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { readCaptureFile } from '../../packet/capture-file.js';
import {
  encodeBlock,
  enhancedPacketSize,
  interfaceDescriptionSize,
  interfaceStatisticsSize,
  sectionHeaderSize,
  writeEnhancedPacket,
  writeInterfaceDescription,
  writeInterfaceStatistics,
  writeSectionHeader,
} from '../../packet/pcapng.js';
import { PcapngMerger } from '../../packet/pcapng-merge.js';

const LINKTYPE_ETHERNET = 1;
const SECOND = 1_000_000_000n;
const T0 = 1_700_000_000n * SECOND;

/** A 60-byte frame whose last byte says which packet it is. */
function frame(tag: number): Uint8Array {
  const f = new Uint8Array(60);
  f[59] = tag;
  return f;
}

/** An agent-like pcapng stream: SHB, one IDB (`iface`), then a packet at each time (ns after T0). */
function stream(iface: string, times: readonly bigint[], firstTag: number): Uint8Array {
  const blocks = [
    encodeBlock(sectionHeaderSize, writeSectionHeader, { userAppl: 'pcap-agent' }),
    encodeBlock(interfaceDescriptionSize, writeInterfaceDescription, {
      linkType: LINKTYPE_ETHERNET,
      snaplen: 262144,
      name: iface,
    }),
    ...times.map((t, i) => {
      const out = new Uint8Array(enhancedPacketSize(60, 'out'));
      writeEnhancedPacket(out, 0, 0, T0 + t, frame(firstTag + i), 0, 60, 60, 'out');
      return out;
    }),
  ];
  return Buffer.concat(blocks);
}

class Output {
  readonly chunks: Uint8Array[] = [];
  readonly write = (b: Uint8Array) => void this.chunks.push(b);
  get bytes(): Uint8Array {
    return Buffer.concat(this.chunks);
  }
  /** [interface name, tag] of each packet written. */
  packets(): [string, number][] {
    const { reader, packets } = readCaptureFile(this.bytes);
    return packets.map((p) => [reader.interfaces[p.interfaceId]!.name!, p.data[59]!]);
  }
}

/** Pushes a stream in small uneven pieces, as a pipe would deliver it. */
function pushInPieces(m: PcapngMerger, source: number, bytes: Uint8Array): void {
  for (let off = 0, step = 7; off < bytes.length; off += step, step = (step * 3) % 97 || 5)
    m.push(source, bytes.subarray(off, Math.min(bytes.length, off + step)));
}

describe('merging capture streams', () => {
  test('packets of two sources in time order, each under its own "namespace/pod:iface" block; tshark agrees', () => {
    const out = new Output();
    const clock = T0; // the streams' times are all later than the clock: only ordering releases them
    const m = new PcapngMerger(out.write, { userAppl: 'kubectl-pcap' }, { nowNs: () => clock });
    const a = m.addSource({ namespace: 'shop', pod: 'cart-1' });
    const b = m.addSource({ namespace: 'shop', pod: 'cart-2' });
    pushInPieces(m, a, stream('eth0', [10n, 30n, 50n], 1));
    assert.deepEqual(out.packets(), [], 'nothing is written before the other source is heard from');
    pushInPieces(m, b, stream('eth0', [20n, 40n], 11));
    m.end(a);
    m.end(b);
    assert.deepEqual(out.packets(), [
      ['shop/cart-1:eth0', 1],
      ['shop/cart-2:eth0', 11],
      ['shop/cart-1:eth0', 2],
      ['shop/cart-2:eth0', 12],
      ['shop/cart-1:eth0', 3],
    ]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'merge-'));
    const file = path.join(dir, 'merged.pcapng');
    fs.writeFileSync(file, out.bytes);
    const tshark = spawnSync(
      'tshark',
      ['-r', file, '-T', 'fields', '-e', 'frame.interface_name', '-e', 'frame.time_epoch'],
      {
        encoding: 'utf8',
      },
    );
    fs.rmSync(dir, { recursive: true });
    assert.equal(tshark.status, 0, tshark.stderr);
    const rows = tshark.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    assert.deepEqual(
      rows.map((r) => r[0]),
      ['shop/cart-1:eth0', 'shop/cart-2:eth0', 'shop/cart-1:eth0', 'shop/cart-2:eth0', 'shop/cart-1:eth0'],
    );
    const times = rows.map((r) => Number(r[1]));
    assert.deepEqual(
      times,
      [...times].sort((x, y) => x - y),
    );
  });

  test("each source's interface statistics (its drops) pass on under its merged interface; capinfos reads the file", () => {
    const out = new Output();
    const m = new PcapngMerger(out.write, { userAppl: 'kubectl-pcap' }, { nowNs: () => T0 });
    const a = m.addSource({ namespace: 'shop', pod: 'cart-1' });
    const b = m.addSource({ namespace: 'shop', pod: 'cart-2' });
    const isb = (ifDrop: number) =>
      encodeBlock(interfaceStatisticsSize, writeInterfaceStatistics, {
        interfaceId: 0,
        timestampNs: T0 + 100n,
        ifRecv: 10,
        ifDrop,
        usrDeliv: 10 - ifDrop,
      });
    m.push(a, stream('eth0', [10n], 1));
    m.push(b, stream('eth0', [20n], 11));
    m.push(b, isb(2)); // periodic, then the final one: both pass on, the latest counts
    m.push(b, isb(3));
    m.push(a, isb(0));
    m.end(a);
    m.end(b);
    const { reader } = readCaptureFile(out.bytes);
    const drops = Object.fromEntries(reader.interfaces.map((i) => [i.name, i.statistics?.ifDrop]));
    assert.deepEqual(drops, { 'shop/cart-1:eth0': 0n, 'shop/cart-2:eth0': 3n });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'merge-'));
    const file = path.join(dir, 'merged.pcapng');
    fs.writeFileSync(file, out.bytes);
    const capinfos = spawnSync('capinfos', ['-c', file], { encoding: 'utf8' });
    fs.rmSync(dir, { recursive: true });
    assert.equal(capinfos.status, 0, capinfos.stderr);
    assert.match(capinfos.stdout, /Number of packets:\s+2\b/);
  });

  test('a quiet source holds the others back only until their packets are older than the hold time', () => {
    const out = new Output();
    let clock = T0;
    const m = new PcapngMerger(out.write, {}, { nowNs: () => clock, holdNs: SECOND });
    const busy = m.addSource({ namespace: 'a', pod: 'busy' });
    m.addSource({ namespace: 'a', pod: 'quiet' });
    m.push(busy, stream('eth0', [0n, SECOND], 1));
    assert.equal(out.packets().length, 0);
    clock = T0 + SECOND; // the first packet is now 1 s old, the second 0 s
    m.tick();
    assert.deepEqual(out.packets(), [['a/busy:eth0', 1]]);
    clock = T0 + 2n * SECOND;
    m.tick();
    assert.deepEqual(out.packets(), [
      ['a/busy:eth0', 1],
      ['a/busy:eth0', 2],
    ]);
  });

  test('maxPackets: no more than that many written over all sources', () => {
    const out = new Output();
    const m = new PcapngMerger(out.write, {}, { maxPackets: 3, nowNs: () => T0 });
    const a = m.addSource({ namespace: 'n', pod: 'a' });
    const b = m.addSource({ namespace: 'n', pod: 'b' });
    m.push(a, stream('eth0', [1n, 3n, 5n], 1));
    m.push(b, stream('eth0', [2n, 4n], 11));
    m.end(a);
    m.end(b);
    assert.equal(m.full, true);
    assert.deepEqual(
      out.packets().map(([, tag]) => tag),
      [1, 11, 2],
    );
  });

  test('a malformed stream is noted in its summary; the other source is still written whole', () => {
    const out = new Output();
    const m = new PcapngMerger(out.write, {});
    const good = m.addSource({ namespace: 'n', pod: 'good' });
    const bad = m.addSource({ namespace: 'n', pod: 'bad' });
    const broken = stream('eth0', [1n], 1);
    broken.fill(0xff, 40, 48); // the IDB's length field: a framing error
    assert.doesNotThrow(() => m.push(bad, broken));
    m.end(bad);
    m.push(good, stream('eth0', [2n, 3n], 11));
    m.end(good);
    assert.deepEqual(
      out.packets().map(([, tag]) => tag),
      [11, 12],
    );
    const summary = m.summary();
    assert.equal(summary[0]!.packets, 2);
    assert.ok(summary[1]!.errors.length > 0, 'the damage is noted');
  });
});
