// What the streams pass (streams.ts) found for each packet, kept beside the packets so any later
// decode (a row, a tree, a display filter in a worker) shows the same stream and analysis:
// StreamRecorder writes a packet's record while the pass decodes it, StreamReplay reads it back
// through the same StreamContext the decoders ask.
import { DNS_ROLES, type DnsPairing, type DnsRole, DnsTransactions } from './dns-transactions.js';
import {
  emptyView,
  headerCaptured,
  lastSender,
  type NetworkEnds,
  type StreamAnalyzer,
  type StreamContext,
  type TcpFacts,
  type TcpView,
} from './streams.js';

/** The record is a TCP segment's / a UDP datagram's (in StreamColumns.bits). */
const TCP_RECORD = 0x40000;
const UDP_RECORD = 0x80000;
/** The packet came from the higher of its conversation's two ends (address bytes, then port). */
const FROM_HIGHER = 0x100000;
/** The header is one an ICMP error quotes: part of another packet, counted in no conversation. */
const QUOTED = 0x200000;
/** The TCP header runs past the bytes captured (headerCaptured() is false). */
const HEADER_CUT = 0x400000;
/** A DNS message's role in its transaction (1 + its index in DNS_ROLES; 0: none), 3 bits. */
const DNS_ROLE_SHIFT = 23;
const DNS_ROLE_BITS = 0x3800000;
const RECORD_BITS = TCP_RECORD | UDP_RECORD | FROM_HIGHER | QUOTED | HEADER_CUT | DNS_ROLE_BITS;

/** Per-packet records for `length` packets; every array over a SharedArrayBuffer (workers read them). */
export interface StreamColumns {
  /** tcp.stream or udp.stream; -1: the packet has neither. */
  stream: Int32Array;
  seq: Uint32Array;
  ack: Uint32Array;
  /** TcpView.bits, with TCP_RECORD or UDP_RECORD, FROM_HIGHER, QUOTED, HEADER_CUT and the DNS role. */
  bits: Uint32Array;
  scale: Int8Array;
  dupAckNum: Uint32Array;
  dupAckFrame: Uint32Array;
  ackedFrame: Uint32Array;
  ackRttNs: Float64Array;
  initialRttNs: Float64Array;
  deltaNs: Float64Array;
  relativeNs: Float64Array;
  /** A DNS message's other packet (DnsPairing.frame) and a response's time since its query. */
  dnsFrame: Uint32Array;
  dnsTimeNs: Float64Array;
}

function shared<T>(Kind: { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number }, length: number): T {
  return new Kind(new SharedArrayBuffer(length * Kind.BYTES_PER_ELEMENT));
}

export function streamColumns(length: number): StreamColumns {
  const stream = shared(Int32Array, length);
  stream.fill(-1);
  return {
    stream,
    seq: shared(Uint32Array, length),
    ack: shared(Uint32Array, length),
    bits: shared(Uint32Array, length),
    scale: shared(Int8Array, length),
    dupAckNum: shared(Uint32Array, length),
    dupAckFrame: shared(Uint32Array, length),
    ackedFrame: shared(Uint32Array, length),
    ackRttNs: shared(Float64Array, length),
    initialRttNs: shared(Float64Array, length),
    deltaNs: shared(Float64Array, length),
    relativeNs: shared(Float64Array, length),
    dnsFrame: shared(Uint32Array, length),
    dnsTimeNs: shared(Float64Array, length),
  };
}

/** Which end of its TCP or UDP conversation sent the packet (0 the lower, 1 the higher), or -1
 *  when Wireshark counts it in no conversation (an ICMP error's quote, a TCP header cut short by
 *  the capture). Allocation-free: the statistics call it for every packet. */
export function recordedSender(columns: StreamColumns, index: number): -1 | 0 | 1 {
  const bits = columns.bits[index]!;
  if (bits & (QUOTED | HEADER_CUT)) return -1;
  return bits & FROM_HIGHER ? 1 : 0;
}

/** The protocol of packet `index`'s stream record, if it has one (allocation-free). */
export function recordedProtocol(columns: StreamColumns, index: number): 'tcp' | 'udp' | undefined {
  const bits = columns.bits[index]!;
  return bits & TCP_RECORD ? 'tcp' : bits & UDP_RECORD ? 'udp' : undefined;
}

/** The bits saying which end sent the packet and whether it is quoted (recordedSender). */
function senderBits(ends: NetworkEnds): number {
  return (lastSender() ? FROM_HIGHER : 0) | (ends.inError ? QUOTED : 0);
}

/** The stream packet `index` of `columns` belongs to (tcp.stream or udp.stream), if any. */
export function recordedStream(
  columns: StreamColumns,
  index: number,
): { protocol: 'tcp' | 'udp'; stream: number } | undefined {
  const protocol = recordedProtocol(columns, index);
  return protocol && { protocol, stream: columns.stream[index]! };
}

/** Runs the pass and writes each packet's record: at() before each packet's decode. */
export class StreamRecorder implements StreamContext {
  private columns: StreamColumns | undefined;
  private index = 0;
  private frame = 0;
  private timeNs = 0;
  private written = false;
  private readonly dnsTransactions = new DnsTransactions();

  constructor(private readonly analyzer: StreamAnalyzer) {}

  at(columns: StreamColumns, index: number, frame: number, timeNs: number): void {
    this.columns = columns;
    this.index = index;
    this.frame = frame;
    this.timeNs = timeNs;
    this.written = false;
    this.analyzer.begin(frame, timeNs);
  }

  /** A DNS message carried by the packet's UDP datagram: paired, and recorded (a query's record
   *  is written again when its response comes). */
  dns(id: number, response: boolean): DnsPairing | undefined {
    const c = this.columns;
    const i = this.index;
    if (!c || !(c.bits[i]! & UDP_RECORD) || c.bits[i]! & DNS_ROLE_BITS) return undefined;
    const pairing: DnsPairing =
      c.bits[i]! & QUOTED
        ? { role: response ? 'unsolicited' : 'query', frame: 0, timeNs: 0 }
        : this.dnsTransactions.message(c.stream[i]!, id, response, this.frame, this.timeNs, (answer) => {
            c.dnsFrame[i] = answer;
          });
    c.bits[i] = c.bits[i]! | ((DNS_ROLES.indexOf(pairing.role) + 1) << DNS_ROLE_SHIFT);
    c.dnsFrame[i] = pairing.frame;
    c.dnsTimeNs[i] = pairing.timeNs;
    return pairing;
  }

  tcp(ends: NetworkEnds, facts: TcpFacts): TcpView | undefined {
    const v = this.analyzer.tcp(ends, facts);
    if (v && !this.written && this.columns) {
      this.written = true;
      const c = this.columns;
      const i = this.index;
      c.stream[i] = v.stream;
      c.seq[i] = v.seq;
      c.ack[i] = v.ack;
      const cut = headerCaptured(facts) ? 0 : HEADER_CUT;
      c.bits[i] = v.bits | TCP_RECORD | senderBits(ends) | cut;
      c.scale[i] = v.scale;
      c.dupAckNum[i] = v.dupAckNum;
      c.dupAckFrame[i] = v.dupAckFrame;
      c.ackedFrame[i] = v.ackedFrame;
      c.ackRttNs[i] = v.ackRttNs;
      c.initialRttNs[i] = v.initialRttNs;
      c.deltaNs[i] = v.deltaNs;
      c.relativeNs[i] = v.relativeNs;
    }
    return v;
  }

  udp(ends: NetworkEnds, sport: number, dport: number): number | undefined {
    const stream = this.analyzer.udp(ends, sport, dport);
    if (stream !== undefined && !this.written && this.columns) {
      this.written = true;
      this.columns.stream[this.index] = stream;
      this.columns.bits[this.index] = UDP_RECORD | senderBits(ends);
    }
    return stream;
  }
}

/** Reads a packet's record back: at() before each packet's decode. */
export class StreamReplay implements StreamContext {
  private columns: StreamColumns | undefined;
  private index = 0;
  private used = false;
  private readonly view = emptyView();
  private readonly pairing: DnsPairing = { role: 'query' satisfies DnsRole, frame: 0, timeNs: 0 };

  at(columns: StreamColumns, index: number): this {
    this.columns = columns;
    this.index = index;
    this.used = false;
    return this;
  }

  tcp(): TcpView | undefined {
    const c = this.columns;
    const i = this.index;
    if (!c || this.used || !(c.bits[i]! & TCP_RECORD)) return undefined;
    this.used = true;
    const v = this.view;
    v.stream = c.stream[i]!;
    v.seq = c.seq[i]!;
    v.ack = c.ack[i]!;
    v.bits = c.bits[i]! & ~RECORD_BITS;
    v.scale = c.scale[i]!;
    v.dupAckNum = c.dupAckNum[i]!;
    v.dupAckFrame = c.dupAckFrame[i]!;
    v.ackedFrame = c.ackedFrame[i]!;
    v.ackRttNs = c.ackRttNs[i]!;
    v.initialRttNs = c.initialRttNs[i]!;
    v.deltaNs = c.deltaNs[i]!;
    v.relativeNs = c.relativeNs[i]!;
    return v;
  }

  udp(): number | undefined {
    const c = this.columns;
    const i = this.index;
    if (!c || this.used || !(c.bits[i]! & UDP_RECORD)) return undefined;
    this.used = true;
    return c.stream[i]!;
  }

  dns(): DnsPairing | undefined {
    const c = this.columns;
    const i = this.index;
    const role = c ? DNS_ROLES[((c.bits[i]! & DNS_ROLE_BITS) >>> DNS_ROLE_SHIFT) - 1] : undefined;
    if (!c || !role) return undefined;
    const p = this.pairing;
    p.role = role;
    p.frame = c.dnsFrame[i]!;
    p.timeNs = c.dnsTimeNs[i]!;
    return p;
  }
}
