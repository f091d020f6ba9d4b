// Statistics → Conversations and Endpoints for Ethernet, IPv4 and IPv6, as Wireshark counts them
// (`tshark -z conv,eth|ip|ipv6`): every header of the protocol in a packet counts once (a tunnel's
// inner header too: Wireshark's tap fires for each), the frame's length each time; the header an
// ICMP error quotes does not (Wireshark's conversation tables skip error packets' taps); a
// conversation is a pair of addresses, its end A the source of its first header. The filter
// workers decode the packets (each a share of them) and tally what they read, by segment; the parts
// are then joined here in packet order.
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

/** Each address protocol's source and destination fields. */
const ADDRESS_FIELDS: Record<AddressProtocol, readonly [string, string]> = {
  eth: ['eth.src', 'eth.dst'],
  ip: ['ip.src', 'ip.dst'],
  ipv6: ['ipv6.src', 'ipv6.dst'],
};

function firstValue(fields: readonly Field[], name: string): string | undefined {
  for (const f of fields) {
    if (f.name === name) return String(f.value);
    const inner = f.children && firstValue(f.children, name);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

/** Tallies one protocol's conversations as packets come, in packet order: each of the protocol's
 *  headers in a packet, in the order the packet holds them (its layers: a header an ICMP error
 *  quotes is a field of the ICMP layer, not a layer). */
export class AddressTallies {
  /** By the pair's lower address, then its higher: the same conversation both ways, found without
   *  building a key for each header. */
  private readonly byPair = new Map<string, Map<string, AddressTally>>();
  private readonly inOrder: AddressTally[] = [];

  constructor(private readonly protocol: AddressProtocol) {}

  /** Counts the packet's headers of the protocol, decoded with addressReads(protocol). */
  add(number: number, decoded: DecodedPacket, wireLength: number, timeNs: number): void {
    const [srcName, dstName] = ADDRESS_FIELDS[this.protocol];
    for (const layer of decoded.layers) {
      if (layer.protocol !== this.protocol) continue;
      const src = firstValue(layer.fields, srcName);
      const dst = firstValue(layer.fields, dstName);
      if (src !== undefined && dst !== undefined) this.count(number, src, dst, wireLength, timeNs);
    }
  }

  get tallies(): AddressTally[] {
    return this.inOrder;
  }

  private count(number: number, src: string, dst: string, wireLength: number, timeNs: number): void {
    const low = src < dst ? src : dst;
    const high = src < dst ? dst : src;
    let byHigh = this.byPair.get(low);
    if (!byHigh) {
      byHigh = new Map();
      this.byPair.set(low, byHigh);
    }
    let t = byHigh.get(high);
    if (!t) {
      t = { a: src, b: dst, first: number, ...emptyCounts(timeNs) };
      byHigh.set(high, t);
      this.inOrder.push(t);
    }
    countPacket(t, src === t.a, wireLength, timeNs);
  }
}

/** The same key for both directions of a pair of addresses. */
function pairKey(x: string, y: string): string {
  return x < y ? `${x} ${y}` : `${y} ${x}`;
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
