// The streams pass's fast path (packet/decode/stream-pass.ts) against the decoders: on every packet
// of tcpdump's corpus, the generated mix and the edge cases, wherever the fast path reads a packet
// it gives the stream context exactly the calls the decoders give it (the IP ends, the ports, every
// TCP header value, fragment and ICMP-quote marks, the DNS messages paired), so the pass is the
// same either way; and it does read most packets of a capture of ordinary traffic.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readCaptureFile } from '../../packet/capture-file.js';
import type { DnsPairing } from '../../packet/decode/dns-transactions.js';
import { summarizePacket } from '../../packet/decode/index.js';
import { fastStreams } from '../../packet/decode/stream-pass.js';
import type { NetworkEnds, StreamContext, TcpFacts, TcpView } from '../../packet/decode/streams.js';
import { readCapture, tcpdumpTestCaptures } from '../fixtures/tcpdump-tests.js';
import { EDGE_LINK_TYPES, edgePackets } from './fixtures/edge.js';
import { MIX_LINK_TYPES, mixPackets } from './fixtures/mix.js';

/** A stream context that writes down every call, with the address bytes the ends point at. */
class CallLog implements StreamContext {
  readonly calls: string[] = [];
  private ends(e: NetworkEnds): string {
    const size = e.netV6 ? 32 : 8;
    const bytes = Buffer.from(e.data.subarray(e.netAt, e.netAt + size)).toString('hex');
    return `${e.netV6 ? 'v6' : 'v4'} ${bytes} error=${e.inError} fragment=${e.fragmented}`;
  }
  tcp(e: NetworkEnds, f: TcpFacts): TcpView | undefined {
    this.calls.push(`tcp ${this.ends(e)} ${JSON.stringify(f)}`);
    return undefined;
  }
  udp(e: NetworkEnds, sport: number, dport: number, payloadAt: number, payloadEnd: number): number | undefined {
    this.calls.push(`udp ${this.ends(e)} ${sport} ${dport} payload ${payloadAt}-${payloadEnd}`);
    return undefined;
  }
  dns(id: number, response: boolean): DnsPairing | undefined {
    this.calls.push(`dns ${id} ${response}`);
    return undefined;
  }
}

interface Sample {
  where: string;
  linkType: number;
  data: Uint8Array;
  originalLength: number;
}

function* samples(): Generator<Sample> {
  for (const path of tcpdumpTestCaptures()) {
    const { reader, packets } = readCaptureFile(readCapture(path));
    for (const [i, p] of packets.entries()) {
      const linkType = reader.interfaces[p.interfaceId]?.linkType;
      if (linkType !== undefined)
        yield { where: `${path.split('/').pop()} #${i + 1}`, linkType, data: p.data, originalLength: p.originalLength };
    }
  }
  for (const [set, linkTypes, packets] of [
    ['mix', MIX_LINK_TYPES, mixPackets()],
    ['edge', EDGE_LINK_TYPES, edgePackets()],
  ] as const)
    for (const [i, p] of packets.entries())
      yield {
        where: `${set} #${i + 1}`,
        linkType: linkTypes[p.iface ?? 0]!,
        data: p.data,
        originalLength: p.originalLength ?? p.data.length,
      };
}

describe('the streams pass: fast path and decoders', () => {
  it('give the stream context the same calls wherever the fast path reads a packet', (t) => {
    const differ: string[] = [];
    let read = 0;
    let all = 0;
    let mixRead = 0;
    let mix = 0;
    for (const s of samples()) {
      all++;
      const fast = new CallLog();
      const handled = fastStreams(s.linkType, s.data, s.originalLength, fast);
      if (s.where.startsWith('mix')) {
        mix++;
        if (handled) mixRead++;
      }
      if (!handled) {
        assert.deepEqual(fast.calls, [], `${s.where}: the fast path called the context, then left the packet`);
        continue;
      }
      read++;
      const decoders = new CallLog();
      summarizePacket(s.linkType, s.data, s.originalLength, decoders);
      if (JSON.stringify(fast.calls) !== JSON.stringify(decoders.calls))
        differ.push(`${s.where}: fast ${JSON.stringify(fast.calls)} decoders ${JSON.stringify(decoders.calls)}`);
    }
    t.diagnostic(`${all} packets; the fast path read ${read} (of the mix: ${mixRead} of ${mix})`);
    assert.deepEqual(differ.slice(0, 5), []);
    // Ethernet (tagged or not), cooked or raw IP to TCP or UDP, the ordinary packet: about half the
    // corpus, three quarters of the mix.
    assert.ok(read > 1400 && mixRead > 75, 'the fast path reads the ordinary packets');
  });
});
