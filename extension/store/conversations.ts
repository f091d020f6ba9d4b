// Statistics → Conversations and Endpoints for TCP and UDP, as Wireshark counts them
// (`tshark -z conv,tcp`, `-z endpoints,udp`): a conversation is a stream of the streams pass
// (Wireshark keys its table by the stream index too), its end A the source of its first packet;
// frames and bytes (on the wire) each way, when it started and how long it lasted. Packets an
// ICMP error quotes, and TCP headers the capture cut short, are counted in none (as Wireshark's).
// Read from the pass's records: only each conversation's first packet is decoded, for its ends.
import type { FollowProtocol } from '../../packet/decode/follow.js';
import { ipv4, ipv6 } from '../../packet/decode/format.js';
import { passStreams } from '../../packet/decode/index.js';
import { recordedProtocol, recordedSender } from '../../packet/decode/stream-records.js';
import type { NetworkEnds, StreamContext, TcpFacts, TcpView } from '../../packet/decode/streams.js';
import type { ConversationRow, EndpointRow, EndpointView } from '../../packet/statistics-protocol.js';
import type { PacketStore } from './packet-store.js';

/** A conversation of the table, with the protocol it is of. */
export interface Conversation extends ConversationRow {
  protocol: FollowProtocol;
}

/** One conversation's counts: frames and bytes on the wire each way, its earliest and latest time. */
export interface ConversationCounts {
  framesAToB: number;
  bytesAToB: number;
  framesBToA: number;
  bytesBToA: number;
  firstNs: number;
  lastNs: number;
}

export function emptyCounts(timeNs: number): ConversationCounts {
  return { framesAToB: 0, bytesAToB: 0, framesBToA: 0, bytesBToA: 0, firstNs: timeNs, lastNs: timeNs };
}

/** Counts a packet (or a header) of the conversation, sent by A or by B. */
export function countPacket(c: ConversationCounts, byA: boolean, wireLength: number, timeNs: number): void {
  if (byA) {
    c.framesAToB++;
    c.bytesAToB += wireLength;
  } else {
    c.framesBToA++;
    c.bytesBToA += wireLength;
  }
  // Wireshark's start and end are the earliest and the latest time (captures are not always in order).
  if (timeNs < c.firstNs) c.firstNs = timeNs;
  if (timeNs > c.lastNs) c.lastNs = timeNs;
}

/** The table's columns of the counts: each way, the start and how long it lasted. */
export function countColumns(c: ConversationCounts) {
  return {
    framesAToB: c.framesAToB,
    bytesAToB: c.bytesAToB,
    framesBToA: c.framesBToA,
    bytesBToA: c.bytesBToA,
    startNs: c.firstNs,
    durationNs: c.lastNs - c.firstNs,
  };
}

interface Tally extends ConversationCounts {
  first: number;
  /** The end (0 lower, 1 higher) that sent the first packet: A. */
  aSide: 0 | 1;
}

/** The conversations of `protocol` among the packets held, in the order they started. */
export function conversations(store: PacketStore, protocol: FollowProtocol): Conversation[] {
  const tallies = new Map<number, Tally>();
  store.eachRecord((columns, index, number, wireLength, timeNs) => {
    if (recordedProtocol(columns, index) !== protocol) return;
    const from = recordedSender(columns, index);
    if (from < 0) return;
    const stream = columns.stream[index]!;
    let t = tallies.get(stream);
    if (!t) {
      t = { first: number, aSide: from as 0 | 1, ...emptyCounts(timeNs) };
      tallies.set(stream, t);
    }
    countPacket(t, from === t.aSide, wireLength, timeNs);
  });
  const out: Conversation[] = [];
  for (const [stream, t] of tallies) {
    const ends = endsOf(store, t.first);
    if (!ends) continue;
    out.push({
      protocol,
      stream,
      a: ends[0],
      b: ends[1],
      ...countColumns(t),
    });
  }
  return out;
}

/** Each address and port's totals over the conversations: what it sent and received. */
export function endpoints(list: ConversationRow[]): EndpointRow[] {
  const byEnd = new Map<string, EndpointRow>();
  const add = (end: EndpointView, txPackets: number, txBytes: number, rxPackets: number, rxBytes: number) => {
    const key = `${end.address} ${end.port}`;
    let e = byEnd.get(key);
    if (!e) {
      e = { ...end, packets: 0, bytes: 0, txPackets: 0, txBytes: 0, rxPackets: 0, rxBytes: 0 };
      byEnd.set(key, e);
    }
    e.txPackets += txPackets;
    e.txBytes += txBytes;
    e.rxPackets += rxPackets;
    e.rxBytes += rxBytes;
    e.packets += txPackets + rxPackets;
    e.bytes += txBytes + rxBytes;
  };
  for (const c of list) {
    add(c.a, c.framesAToB, c.bytesAToB, c.framesBToA, c.bytesBToA);
    add(c.b, c.framesBToA, c.bytesBToA, c.framesAToB, c.bytesAToB);
  }
  return [...byEnd.values()];
}

/** Packet `number`'s source and destination (address and port), read as the pass reads them. */
function endsOf(store: PacketStore, number: number): [EndpointView, EndpointView] | undefined {
  const p = store.packet(number);
  const replay = store.streamsOf(number);
  if (!p || !replay) return undefined;
  const collector = new EndsCollector(replay);
  passStreams(p.linkType, p.data, p.originalLength, collector);
  return collector.ends;
}

/** Writes down the ends of the first transport header the pass reports that has a record. */
class EndsCollector implements StreamContext {
  ends: [EndpointView, EndpointView] | undefined;

  constructor(private readonly inner: StreamContext) {}

  tcp(ends: NetworkEnds, facts: TcpFacts): TcpView | undefined {
    const view = this.inner.tcp(ends, facts);
    if (view) this.note(ends, facts.sport, facts.dport);
    return view;
  }

  udp(ends: NetworkEnds, sport: number, dport: number, payloadAt: number, payloadEnd: number): number | undefined {
    const stream = this.inner.udp(ends, sport, dport, payloadAt, payloadEnd);
    if (stream !== undefined) this.note(ends, sport, dport);
    return stream;
  }

  private note(ends: NetworkEnds, sport: number, dport: number): void {
    if (this.ends) return;
    const text = ends.netV6 ? ipv6 : ipv4;
    const size = ends.netV6 ? 16 : 4;
    this.ends = [
      { address: text(ends.data, ends.netAt), port: sport },
      { address: text(ends.data, ends.netAt + size), port: dport },
    ];
  }
}
