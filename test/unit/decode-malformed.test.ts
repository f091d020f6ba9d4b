// Malformed and truncated input: every fixture packet cut at every length, mutated at random,
// and random bytes on every link type. Nothing may throw (decode() in the helpers also checks
// summary == full decode, offset independence and field ranges), and a packet cut short must
// say so in `problems`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { decodePacket, summarizePacket } from '../../packet/decode/index.js';
import { decode, LT } from './fixtures/decode-helpers.js';
import { EDGE_LINK_TYPES, edgePackets } from './fixtures/edge.js';
import { MIX_LINK_TYPES, mixPackets } from './fixtures/mix.js';
import { rng } from './fixtures/rng.js';

const mix = mixPackets(0).map((p) => ({
  linkType: MIX_LINK_TYPES[p.iface ?? 0]!,
  data: p.data,
  originalLength: p.originalLength ?? p.data.length,
}));
const edge = edgePackets().map((p) => ({
  linkType: EDGE_LINK_TYPES[p.iface ?? 0]!,
  data: p.data,
  originalLength: p.originalLength ?? p.data.length,
}));

describe('truncation at every length', () => {
  it('every mix packet cut at 0..N bytes: no throw, and a problem noted whenever it is cut', () => {
    let checked = 0;
    for (const [k, p] of mix.entries()) {
      const n = p.data.length;
      const full = decodePacket(p.linkType, p.data, p.originalLength);
      // Packets already cut by the capture, or carrying Ethernet padding, are complete earlier.
      const complete = full.problems.length > 0 ? n : Math.min(n, meaningfulLength(p.linkType, p.data));
      for (let len = 0; len <= n; len++) {
        const cut = p.data.slice(0, len);
        // As bytes that are all there is (malformed), and as a capture cut by a snapshot length.
        for (const orig of [len, p.originalLength]) {
          const d = decode(p.linkType, cut, orig);
          checked++;
          if (len < complete)
            assert.ok(
              d.problems.length > 0,
              `mix #${k + 1} (${full.summary.info}) cut at ${len}/${n} (orig ${orig}) has no problem note`,
            );
        }
      }
    }
    assert.ok(checked > 10000, `${checked} decodes`);
  });

  it('every edge-case packet cut at 0..N bytes: no throw', () => {
    for (const p of edge) {
      for (let len = 0; len <= p.data.length; len++) {
        decode(p.linkType, p.data.slice(0, len));
        decode(p.linkType, p.data.slice(0, len), p.originalLength);
      }
    }
  });
});

/** Where the packet's own lengths say it ends (Ethernet/IPv4 with padding), else its length. */
function meaningfulLength(linkType: number, b: Uint8Array): number {
  if (linkType === LT.ethernet && b.length >= 34 && b[12] === 0x08 && b[13] === 0x00)
    return 14 + ((b[16]! << 8) | b[17]!);
  return b.length;
}

describe('mutation', () => {
  it('random byte flips, insertions and deletions of every fixture packet decode without throwing', () => {
    const rand = rng(42);
    const all = [...mix, ...edge];
    let n = 0;
    for (let round = 0; round < 30; round++) {
      for (const p of all) {
        const b = Array.from(p.data);
        const edits = 1 + Math.floor(rand() * 4);
        for (let e = 0; e < edits; e++) {
          const at = Math.floor(rand() * (b.length + 1));
          const what = rand();
          if (what < 0.6 && at < b.length) b[at] = Math.floor(rand() * 256);
          else if (what < 0.8) b.splice(at, 0, Math.floor(rand() * 256));
          else b.splice(at, 1);
        }
        decode(p.linkType, Uint8Array.from(b));
        n++;
      }
    }
    assert.ok(n > 4000);
  });

  it('random bytes on every link type', () => {
    const rand = rng(7);
    for (const lt of [0, 1, 9, 12, 14, 50, 101, 104, 108, 113, 228, 229, 276, 999]) {
      for (let i = 0; i < 300; i++) {
        const b = new Uint8Array(Math.floor(rand() * 200));
        for (let k = 0; k < b.length; k++) b[k] = Math.floor(rand() * 256);
        // Steer half of them into IP so the deeper layers see garbage too.
        if (i % 2 && b.length > 20) {
          if (lt === 1) {
            b[12] = 0x08;
            b[13] = 0x00;
            b[14] = 0x45;
          }
          if (lt === 101 || lt === 228) b[0] = 0x45;
        }
        decode(lt, b);
      }
    }
  });

  it('a hostile packet does bounded work: 64 KiB of DNS compression pointers and labels', () => {
    // Every name is a chain of pointers that walk backwards one label at a time.
    const msg: number[] = [0, 1, 0x81, 0x80, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0];
    msg.push(1, 0x61, 0);
    while (msg.length < 65000) {
      const here = msg.length;
      msg.push(1, 0x61, 0xc0 | ((here - 3) >> 8), (here - 3) & 0xff);
    }
    const udpLen = 8 + msg.length;
    const ip = [0x45, 0, (20 + udpLen) >> 8, (20 + udpLen) & 0xff, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
    const pkt = Uint8Array.from([...ip, 0, 53, 0, 53, udpLen >> 8, udpLen & 0xff, 0, 0, ...msg]);
    const t0 = performance.now();
    const d = decodePacket(LT.raw, pkt);
    summarizePacket(LT.raw, pkt);
    const ms = performance.now() - t0;
    assert.equal(d.summary.protocol, 'DNS');
    assert.ok(d.problems.length > 0);
    assert.ok(ms < 2000, `${ms.toFixed(0)} ms`);
  });
});
