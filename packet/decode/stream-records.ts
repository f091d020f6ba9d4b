// What the streams pass (streams.ts) found for each packet, kept beside the packets so any later
// decode (a row, a tree, a display filter in a worker) shows the same stream and analysis:
// StreamRecorder writes a packet's record while the pass decodes it, StreamReplay reads it back
// through the same StreamContext the decoders ask.
import { DNS_ROLES, type DnsPairing, type DnsRole, DnsTransactions } from './dns-transactions.js';
import { type HttpPairing, HttpTransactions } from './http-transactions.js';
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
/** An HTTP request / response (its links in the http columns). */
const HTTP_REQUEST = 0x4000000;
const HTTP_RESPONSE = 0x8000000;
/** The packet is ignored (Wireshark's Ignore Packet): the pass left it out, its record is empty. */
const IGNORED = 0x10000000;
const RECORD_BITS =
  TCP_RECORD | UDP_RECORD | FROM_HIGHER | QUOTED | HEADER_CUT | DNS_ROLE_BITS | HTTP_REQUEST | HTTP_RESPONSE | IGNORED;

/** Per-packet records for `length` packets; every array over a SharedArrayBuffer (workers read them). */
export interface StreamColumns {
  /** tcp.stream or udp.stream; -1: the packet has neither. */
  stream: Int32Array;
  seq: Uint32Array;
  ack: Uint32Array;
  /** TcpView.bits, with TCP_RECORD or UDP_RECORD, FROM_HIGHER, QUOTED, HEADER_CUT, the DNS role
   *  and the HTTP message's kind. */
  bits: Uint32Array;
  scale: Int8Array;
  dupAckNum: Uint32Array;
  dupAckFrame: Uint32Array;
  ackedFrame: Uint32Array;
  ackRttNs: Float64Array;
  initialRttNs: Float64Array;
  deltaNs: Float64Array;
  relativeNs: Float64Array;
  /** A DNS or HTTP message's other packet (DnsPairing.frame, HttpPairing.linkFrame) and a
   *  response's time since its query or request (a packet carries one message at most). */
  linkFrame: Uint32Array;
  linkTimeNs: Float64Array;
  /** HTTP messages' transactions, once the segment has one (most have none: the memory is spent
   *  only where there is HTTP). Workers read it from the segment's next snapshot. */
  http?: HttpColumns;
}

/** An HTTP message's transaction: its number and its neighbours' messages (HttpPairing). */
export interface HttpColumns {
  number: Uint32Array;
  prevRequest: Uint32Array;
  prevResponse: Uint32Array;
  nextRequest: Uint32Array;
  nextResponse: Uint32Array;
}

function shared<T>(Kind: { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number }, length: number): T {
  return new Kind(new SharedArrayBuffer(length * Kind.BYTES_PER_ELEMENT));
}

function httpColumns(length: number): HttpColumns {
  return {
    number: shared(Uint32Array, length),
    prevRequest: shared(Uint32Array, length),
    prevResponse: shared(Uint32Array, length),
    nextRequest: shared(Uint32Array, length),
    nextResponse: shared(Uint32Array, length),
  };
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
    linkFrame: shared(Uint32Array, length),
    linkTimeNs: shared(Float64Array, length),
  };
}

/** Empties the records of the first `count` packets, for the pass to run over them again. */
export function clearRecords(columns: StreamColumns, count: number): void {
  columns.stream.fill(-1, 0, count);
  for (const a of [
    columns.seq,
    columns.ack,
    columns.bits,
    columns.scale,
    columns.dupAckNum,
    columns.dupAckFrame,
    columns.ackedFrame,
    columns.ackRttNs,
    columns.initialRttNs,
    columns.deltaNs,
    columns.relativeNs,
    columns.linkFrame,
    columns.linkTimeNs,
    ...(columns.http ? Object.values(columns.http) : []),
  ])
    a.fill(0, 0, count);
}

/** Records packet `index` as ignored (its record otherwise empty: the pass skips it). */
export function recordIgnored(columns: StreamColumns, index: number): void {
  columns.bits[index] = IGNORED;
}

/** Whether packet `index` is ignored (Wireshark's Ignore Packet; frame.ignored). */
export function recordedIgnored(columns: StreamColumns, index: number): boolean {
  return (columns.bits[index]! & IGNORED) !== 0;
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

/** Packet `index`'s conversation as one number: its UDP stream, or its TCP stream below zero
 *  (the two are numbered apart, from 0 each). */
function conversationKey(columns: StreamColumns, index: number): number {
  const stream = columns.stream[index]!;
  return columns.bits[index]! & TCP_RECORD ? -1 - stream : stream;
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
  private readonly httpTransactions = new HttpTransactions();

  constructor(private readonly analyzer: StreamAnalyzer) {}

  at(columns: StreamColumns, index: number, frame: number, timeNs: number): void {
    this.columns = columns;
    this.index = index;
    this.frame = frame;
    this.timeNs = timeNs;
    this.written = false;
    this.analyzer.begin(frame, timeNs);
  }

  /** A DNS message carried by the packet's UDP datagram or TCP segment: paired, and recorded (a
   *  query's record is written again when its response comes). */
  dns(id: number, response: boolean): DnsPairing | undefined {
    const c = this.columns;
    const i = this.index;
    if (!c || !(c.bits[i]! & (UDP_RECORD | TCP_RECORD)) || c.bits[i]! & DNS_ROLE_BITS) return undefined;
    const pairing: DnsPairing =
      c.bits[i]! & QUOTED
        ? { role: response ? 'unsolicited' : 'query', frame: 0, timeNs: 0 }
        : this.dnsTransactions.message(conversationKey(c, i), id, response, this.frame, this.timeNs, (answer) => {
            c.linkFrame[i] = answer;
          });
    c.bits[i] = c.bits[i]! | ((DNS_ROLES.indexOf(pairing.role) + 1) << DNS_ROLE_SHIFT);
    c.linkFrame[i] = pairing.frame;
    c.linkTimeNs[i] = pairing.timeNs;
    return pairing;
  }

  /** An HTTP request or response carried by the packet's TCP segment: paired, and recorded (its
   *  record is written again when a later message changes its links). */
  http(request: boolean): HttpPairing | undefined {
    const c = this.columns;
    const i = this.index;
    if (!c || !(c.bits[i]! & TCP_RECORD) || c.bits[i]! & (QUOTED | HTTP_REQUEST | HTTP_RESPONSE)) return undefined;
    c.bits[i] = c.bits[i]! | (request ? HTTP_REQUEST : HTTP_RESPONSE);
    c.http ??= httpColumns(c.stream.length);
    const http = c.http;
    return this.httpTransactions.message(c.stream[i]!, request, this.frame, this.timeNs, (p) => {
      c.linkFrame[i] = p.linkFrame;
      c.linkTimeNs[i] = p.timeNs;
      http.number[i] = p.number;
      http.prevRequest[i] = p.prevRequest;
      http.prevResponse[i] = p.prevResponse;
      http.nextRequest[i] = p.nextRequest;
      http.nextResponse[i] = p.nextResponse;
    });
  }

  /** HTTP transactions TCP stream `stream` has had so far. */
  httpCount(stream: number): number {
    return this.httpTransactions.count(stream);
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
  private readonly httpPairing: HttpPairing = {
    request: true,
    number: 0,
    total: 0,
    linkFrame: 0,
    timeNs: 0,
    prevRequest: 0,
    prevResponse: 0,
    nextRequest: 0,
    nextResponse: 0,
  };

  /** `httpCount`: a TCP stream's HTTP transactions so far, where the pass runs (StreamRecorder's). */
  constructor(private readonly httpCount?: (stream: number) => number) {}

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

  ignored(): boolean {
    return this.columns !== undefined && recordedIgnored(this.columns, this.index);
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
    p.frame = c.linkFrame[i]!;
    p.timeNs = c.linkTimeNs[i]!;
    return p;
  }

  http(): HttpPairing | undefined {
    const c = this.columns;
    const i = this.index;
    const kind = c ? c.bits[i]! & (HTTP_REQUEST | HTTP_RESPONSE) : 0;
    const http = c?.http;
    if (!c || !http || kind === 0) return undefined;
    const p = this.httpPairing;
    p.request = kind === HTTP_REQUEST;
    p.number = http.number[i]!;
    p.total = this.httpCount?.(c.stream[i]!) ?? 0;
    p.linkFrame = c.linkFrame[i]!;
    p.timeNs = c.linkTimeNs[i]!;
    p.prevRequest = http.prevRequest[i]!;
    p.prevResponse = http.prevResponse[i]!;
    p.nextRequest = http.nextRequest[i]!;
    p.nextResponse = http.nextResponse[i]!;
    return p;
  }
}
