// Statistics → Conversations and Endpoints for Ethernet, IPv4 and IPv6, as Wireshark counts them
// (`tshark -z conv,eth|ip|ipv6`): every header of the protocol in a packet counts once (a tunnel's
// inner header too: Wireshark's tap fires for each), the frame's length each time; the header an
// ICMP error quotes does not (Wireshark's conversation tables skip error packets' taps); a
// conversation is a pair of addresses, its end A the source of its first header. The filter workers decode the packets (each a share of them) and tally what they read;
// the parts are then joined here in packet order.
import type { FilterReads } from '../../packet/decode/index.js';
import type { DecodedPacket, Field } from '../../packet/decode/types.js';
import type { ConversationRow } from '../../packet/statistics-protocol.js';
import { type ConversationCounts, countColumns, countPacket, emptyCounts } from './conversations.js';

export type AddressProtocol = 'eth' | 'ip' | 'ipv6';

/** One conversation as a share of the packets tallied it. */
export interface AddressTally extends ConversationCounts {
  a: string;
  b: string;
  /** The packet number of its first header. */
  first: number;
}

/** What decoding a packet must read to see the protocol's addresses: its layers, and the fields of
 *  the protocol's own (not the columns, nor the headers an ICMP error quotes, which count in none). */
export function addressReads(protocol: AddressProtocol): FilterReads {
  return { needsTree: true, fieldLayers: new Set([protocol]), readsColumns: false };
}

/** Each of the protocol's headers' source and destination, in the order the packet holds them
 *  (its layers: a header an ICMP error quotes is a field of the ICMP layer, not a layer). */
export function addressPairs(decoded: DecodedPacket, protocol: AddressProtocol): [string, string][] {
  const pairs: [string, string][] = [];
  for (const layer of decoded.layers) {
    if (layer.protocol !== protocol) continue;
    const src = firstValue(layer.fields, `${protocol}.src`);
    const dst = firstValue(layer.fields, `${protocol}.dst`);
    if (src !== undefined && dst !== undefined) pairs.push([src, dst]);
  }
  return pairs;
}

function firstValue(fields: readonly Field[], name: string): string | undefined {
  for (const f of fields) {
    if (f.name === name) return String(f.value);
    const inner = f.children && firstValue(f.children, name);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

/** The same key for both directions of a pair of addresses. */
function pairKey(x: string, y: string): string {
  return x < y ? `${x} ${y}` : `${y} ${x}`;
}

/** Tallies conversations as packets come, in packet order. */
export class AddressTallies {
  private readonly byPair = new Map<string, AddressTally>();

  add(number: number, src: string, dst: string, wireLength: number, timeNs: number): void {
    const key = pairKey(src, dst);
    let t = this.byPair.get(key);
    if (!t) {
      t = { a: src, b: dst, first: number, ...emptyCounts(timeNs) };
      this.byPair.set(key, t);
    }
    countPacket(t, src === t.a, wireLength, timeNs);
  }

  get tallies(): AddressTally[] {
    return [...this.byPair.values()];
  }
}

/** The parts' tallies (each of a share of the packets, in packet order) as one table, in the order
 *  the conversations started: A is the source of a conversation's first header in any part. */
export function joinTallies(parts: AddressTally[][]): ConversationRow[] {
  const byPair = new Map<string, AddressTally>();
  for (const part of parts)
    for (const t of part) {
      const key = pairKey(t.a, t.b);
      const seen = byPair.get(key);
      if (!seen) {
        byPair.set(key, { ...t });
        continue;
      }
      const same = seen.a === t.a;
      seen.framesAToB += same ? t.framesAToB : t.framesBToA;
      seen.bytesAToB += same ? t.bytesAToB : t.bytesBToA;
      seen.framesBToA += same ? t.framesBToA : t.framesAToB;
      seen.bytesBToA += same ? t.bytesBToA : t.bytesAToB;
      seen.firstNs = Math.min(seen.firstNs, t.firstNs);
      seen.lastNs = Math.max(seen.lastNs, t.lastNs);
    }
  return [...byPair.values()]
    .sort((x, y) => x.first - y.first)
    .map((t, i) => ({
      stream: i,
      a: { address: t.a },
      b: { address: t.b },
      ...countColumns(t),
    }));
}
