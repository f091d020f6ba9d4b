// Stream indices (tcp.stream, udp.stream) and TCP analysis, as Wireshark's first pass over a
// capture computes them, so that a capture read here shows what `tshark -r` shows: relative
// sequence and acknowledgement numbers, windows scaled by the handshake's Window Scale options,
// the initial RTT, times within the stream, and the tcp.analysis.* verdicts (retransmissions,
// duplicate ACKs, lost segments, zero windows, …) that Wireshark's Info column prefixes.
//
// The analysis is sequential: each packet's verdict depends on every earlier packet of its
// stream. StreamAnalyzer runs once over the packets in order; a decode asks it through the
// StreamContext its Dissection holds. Decodes in any order afterwards (the table's rows, the
// detail tree, a display filter) replay what the pass recorded (StreamColumns in the store)
// through the same interface, so a row and its tree always agree with the pass.
//
// Semantics follow Wireshark 4.0's TCP and UDP dissectors with their default preferences
// (analyze sequence numbers, relative sequence numbers, conversation timestamps, window scaling
// unknown until a handshake says). Reassembly, MPTCP and bytes in flight are not modelled.

import type { DnsPairing } from './dns-transactions.js';
import type { HttpPairing } from './http-transactions.js';

/** tcp.analysis flags, Wireshark's bit values. */
export const TCP_ANALYSIS = {
  retransmission: 0x0001,
  lostSegment: 0x0002,
  ackLostSegment: 0x0004,
  keepAlive: 0x0008,
  duplicateAck: 0x0010,
  zeroWindow: 0x0020,
  zeroWindowProbe: 0x0040,
  zeroWindowProbeAck: 0x0080,
  keepAliveAck: 0x0100,
  outOfOrder: 0x0200,
  fastRetransmission: 0x0400,
  windowUpdate: 0x0800,
  windowFull: 0x1000,
  reusedPorts: 0x2000,
  spuriousRetransmission: 0x4000,
} as const;

/** The segment has an analysis record (Wireshark's "SEQ/ACK analysis" subtree). */
export const TCP_HAS_ANALYSIS = 0x10000;
/** The segment's length is known (not a fragment, not quoted by an ICMP error): its sequence
 *  numbers were analysed and are shown relative, its window scaled. */
export const TCP_ANALYSED = 0x20000;

const SYN = 0x02;
const FIN = 0x01;
const RST = 0x04;
const ACK = 0x10;

/** Most unacknowledged segments kept per direction (Wireshark's TCP_MAX_UNACKED_SEGMENTS). */
const MAX_UNACKED = 10000;

/** The IP layer under a transport header, as the Dissection holds it. */
export interface NetworkEnds {
  readonly data: Uint8Array;
  /** Where the source address starts in `data`, the destination right after it. */
  readonly netAt: number;
  readonly netV6: boolean;
  /** Quoted by an ICMP error: part of another packet, not of a connection. */
  readonly inError: boolean;
  /** A first IP fragment: the segment's length is not known. */
  readonly fragmented: boolean;
}

/** One TCP header's values, raw. */
export interface TcpFacts {
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  /** The 12 flag bits. */
  flags: number;
  window: number;
  headerLength: number;
  /** Bytes from the TCP header's start to the segment's end on the wire (the IP payload). */
  reportedLength: number;
  /** The Window Scale option's shift count, or -1 when the header has none. */
  windowScaleOption: number;
  /** Where the header starts in the packet's bytes (NetworkEnds.data), and where the segment's
   *  captured bytes end there (Follow Stream reads the payload between). */
  offset: number;
  capturedEnd: number;
}

/** The TCP header was captured whole: else Wireshark's dissection of it ends in an exception before
 *  its conversation and follow taps see the segment. */
export function headerCaptured(t: TcpFacts): boolean {
  return t.capturedEnd >= t.offset + t.headerLength;
}

/** What the decoders show of one TCP segment: Wireshark's generated fields. */
export interface TcpView {
  stream: number;
  /** Sequence and acknowledgement numbers as shown: relative when TCP_ANALYSED, else raw. */
  seq: number;
  ack: number;
  /** The window scale in force: -1 unknown, -2 none used, else the shift count. */
  scale: number;
  /** TCP_ANALYSIS bits, TCP_HAS_ANALYSIS, TCP_ANALYSED. */
  bits: number;
  dupAckNum: number;
  dupAckFrame: number;
  /** The frame this segment acknowledges (0: none) and the time since it. */
  ackedFrame: number;
  ackRttNs: number;
  /** The handshake's round trip, once known (0: not yet). */
  initialRttNs: number;
  /** Time since the stream's previous segment and since its first. */
  deltaNs: number;
  relativeNs: number;
}

/** How a decode reaches the capture's streams (absent: a packet decoded on its own). */
export interface StreamContext {
  tcp(ends: NetworkEnds, facts: TcpFacts): TcpView | undefined;
  /** A UDP datagram; its payload is [payloadAt, payloadEnd) of ends.data, as captured. */
  udp(ends: NetworkEnds, sport: number, dport: number, payloadAt: number, payloadEnd: number): number | undefined;
  /** A DNS message in the UDP datagram or TCP segment just reported: its place in its transaction
   *  (the streams pass pairs it; a record gives back what the pass found). */
  dns?(id: number, response: boolean): DnsPairing | undefined;
  /** An HTTP request or response in the TCP segment just reported, paired as dns() is. */
  http?(request: boolean): HttpPairing | undefined;
  /** The packet is ignored (Wireshark's Ignore Packet): decoded as a frame alone, as its record says. */
  ignored?(): boolean;
}

interface UnackedSegment {
  frame: number;
  seq: number;
  nextseq: number;
  timeNs: number;
}

/** One direction of a TCP conversation (Wireshark's tcp_flow_t and its analysis). */
class Flow {
  baseSeq = 0;
  baseSet = false;
  /** -1 unknown, -2 not used, else the shift count. */
  scale = -1;
  window = 0xffffffff;
  firstAck = false;
  nextseq = 0;
  nextseqTime = 0;
  maxSeqToBeAcked = 0;
  lastAck = 0;
  lastAckTime = 0;
  lastNonDupAck = 0;
  dupAckNum = 0;
  lastSegmentFlags = 0;
  unacked: UnackedSegment[] = [];
  /** Bytes in flight can be counted (no segment lost since the other side's last ACK). */
  validBytesInFlight = true;
}

class TcpConversation {
  readonly flows = [new Flow(), new Flow()] as const;
  prevNs: number;
  /** When the latest SYN was sent (-1: none yet). */
  synNs = -1;
  initialRttNs = 0;
  constructor(
    readonly stream: number,
    readonly firstNs: number,
  ) {
    this.prevNs = firstNs;
  }
}

/** Sequence-space comparisons, modulo 2^32. */
function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}
const gt = (a: number, b: number) => seqDiff(a, b) > 0;
const lt = (a: number, b: number) => seqDiff(a, b) < 0;
const le = (a: number, b: number) => seqDiff(a, b) <= 0;

/** Which end of its conversation sent the last packet conversationKey() saw: 0 the lower
 *  (address bytes, then port, as Wireshark compares addresses), 1 the higher. */
let keySide: 0 | 1 = 0;

/** Which end of its conversation sent the packet the stream context was last called for. */
export function lastSender(): 0 | 1 {
  return keySide;
}

/** A conversation's key: its two ends (address bytes and port), the lower first. */
function conversationKey(ends: NetworkEnds, sport: number, dport: number): string {
  const b = ends.data;
  const size = ends.netV6 ? 16 : 4;
  const src = ends.netAt;
  const dst = src + size;
  let order = 0;
  for (let i = 0; i < size && order === 0; i++) order = b[src + i]! - b[dst + i]!;
  keySide = order < 0 || (order === 0 && sport <= dport) ? 0 : 1;
  const lo = keySide === 0 ? src : dst;
  const hi = keySide === 0 ? dst : src;
  const loPort = keySide === 0 ? sport : dport;
  const hiPort = keySide === 0 ? dport : sport;
  if (size === 4)
    return String.fromCharCode(
      b[lo]!,
      b[lo + 1]!,
      b[lo + 2]!,
      b[lo + 3]!,
      b[hi]!,
      b[hi + 1]!,
      b[hi + 2]!,
      b[hi + 3]!,
      loPort,
      hiPort,
    );
  let key = '';
  for (let i = 0; i < 16; i += 2) key += String.fromCharCode((b[lo + i]! << 8) | b[lo + i + 1]!);
  for (let i = 0; i < 16; i += 2) key += String.fromCharCode((b[hi + i]! << 8) | b[hi + i + 1]!);
  return key + String.fromCharCode(loPort, hiPort);
}

/**
 * The sequential pass: call begin() with each packet's number and time, in capture order, then
 * decode the packet with this as its Dissection's StreamContext.
 */
export class StreamAnalyzer implements StreamContext {
  private readonly tcpConversations = new Map<string, TcpConversation>();
  private readonly udpStreams = new Map<string, number>();
  private tcpCount = 0;
  private udpCount = 0;
  private frame = 0;
  private timeNs = 0;
  /** The packet's view (reused), and whether this packet already has one. */
  private readonly view: TcpView = emptyView();
  private taken = false;

  begin(frame: number, timeNs: number): void {
    this.frame = frame;
    this.timeNs = timeNs;
    this.taken = false;
  }

  udp(ends: NetworkEnds, sport: number, dport: number): number | undefined {
    const key = conversationKey(ends, sport, dport);
    let stream = this.udpStreams.get(key);
    if (stream === undefined) {
      stream = this.udpCount++;
      this.udpStreams.set(key, stream);
    }
    return stream;
  }

  tcp(ends: NetworkEnds, t: TcpFacts): TcpView | undefined {
    if (this.taken) return undefined; // one TCP header per packet is analysed
    this.taken = true;
    const now = this.timeNs;
    const key = conversationKey(ends, t.sport, t.dport);
    const from = keySide;
    let conv = this.tcpConversations.get(key);
    const v = this.view;
    v.bits = 0;
    v.dupAckNum = v.dupAckFrame = v.ackedFrame = v.ackRttNs = 0;
    if (!conv) conv = this.newConversation(key);
    let fwd = conv.flows[from];
    // A SYN whose sequence number differs from the stream's: the ports were reused for a new
    // connection, which is a new stream. The same number again: a retransmitted SYN.
    if ((t.flags & (SYN | ACK)) === SYN && fwd.baseSet) {
      if (t.seq !== fwd.baseSeq) {
        conv = this.newConversation(key);
        fwd = conv.flows[from];
        v.bits |= TCP_HAS_ANALYSIS | TCP_ANALYSIS.reusedPorts;
      } else {
        fwd.nextseq = fwd.maxSeqToBeAcked;
        v.bits |= TCP_HAS_ANALYSIS;
      }
    }
    if ((t.flags & (SYN | ACK)) === (SYN | ACK) && fwd.baseSet && t.seq !== fwd.baseSeq) {
      fwd.baseSeq = t.seq;
      v.bits |= TCP_HAS_ANALYSIS | TCP_ANALYSIS.reusedPorts;
    }
    const rev = conv.flows[from === 0 ? 1 : 0];
    v.stream = conv.stream;
    v.deltaNs = now - conv.prevNs;
    v.relativeNs = now - conv.firstNs;
    conv.prevNs = now;
    v.seq = t.seq;
    v.ack = t.ack;
    v.scale = fwd.scale;
    if (!ends.fragmented && !ends.inError && t.reportedLength >= t.headerLength) {
      const seglen = t.reportedLength - t.headerLength;
      if (!fwd.baseSet) {
        fwd.baseSeq = t.flags & SYN ? t.seq : (t.seq - 1) >>> 0;
        fwd.baseSet = true;
      }
      if (!rev.baseSet && t.flags & ACK) {
        rev.baseSeq = (t.ack - 1) >>> 0;
        rev.baseSet = true;
      }
      this.analyzeSequence(conv, fwd, rev, t, seglen);
      v.bits |= TCP_ANALYSED;
      v.seq = (t.seq - fwd.baseSeq) >>> 0;
      if (t.flags & ACK) v.ack = (t.ack - rev.baseSeq) >>> 0;
    }
    if (t.headerLength >= 20) this.afterHeader(conv, fwd, rev, t, now);
    v.initialRttNs = conv.initialRttNs;
    return v;
  }

  private newConversation(key: string): TcpConversation {
    const conv = new TcpConversation(this.tcpCount++, this.timeNs);
    this.tcpConversations.set(key, conv);
    return conv;
  }

  /** What Wireshark does once the header is known to be whole: the handshake's timing and window scaling. */
  private afterHeader(conv: TcpConversation, fwd: Flow, rev: Flow, t: TcpFacts, now: number): void {
    if (t.flags & SYN) {
      if (!(t.flags & ACK)) conv.synNs = now;
      fwd.firstAck = true;
    }
    if ((t.flags & (SYN | ACK)) === ACK) {
      if (conv.synNs >= 0 && conv.initialRttNs === 0) conv.initialRttNs = now - conv.synNs;
      fwd.firstAck = false;
    }
    if (t.windowScaleOption >= 0) fwd.scale = Math.min(t.windowScaleOption, 14);
    if (t.flags & SYN) {
      // Scaling is used only if both the SYN and the SYN/ACK carry the option.
      if (fwd.scale === -1) {
        fwd.scale = -2;
        rev.scale = -2;
      } else if (t.flags & ACK && rev.scale === -2) {
        fwd.scale = -2;
      }
    }
  }

  /** Wireshark's tcp_analyze_sequence_number, on raw sequence numbers. */
  private analyzeSequence(conv: TcpConversation, fwd: Flow, rev: Flow, t: TcpFacts, seglen: number): void {
    const v = this.view;
    const { seq, ack, flags, window } = t;
    const now = this.timeNs;
    if (flags & ACK) rev.validBytesInFlight = true;
    let mark = this.segmentChecks(fwd, rev, t, seglen);
    if (ack !== fwd.lastAck) {
      fwd.lastNonDupAck = this.frame;
      fwd.dupAckNum = 0;
    }
    if (rev.maxSeqToBeAcked !== 0 && gt(ack, rev.maxSeqToBeAcked) && flags & ACK) {
      v.bits |= TCP_HAS_ANALYSIS;
      if (lt(rev.maxSeqToBeAcked, rev.nextseq)) {
        rev.maxSeqToBeAcked = rev.nextseq;
        mark |= TCP_ANALYSIS.ackLostSegment;
      } else {
        if (rev.dupAckNum === 0) mark |= TCP_ANALYSIS.ackLostSegment;
        rev.dupAckNum = -1;
      }
    }
    if ((seglen > 0 || flags & (SYN | FIN)) && !(mark & TCP_ANALYSIS.keepAlive))
      mark |= this.retransmissionKind(conv, fwd, rev, seq, seglen, flags, now);
    let nextseq = (seq + seglen) >>> 0;
    // SYN and FIN count as a byte, but only for a segment kept to be acknowledged (as Wireshark).
    if ((seglen > 0 || flags & (SYN | FIN)) && fwd.unacked.length < MAX_UNACKED) {
      if (flags & (SYN | FIN)) nextseq = (nextseq + 1) >>> 0;
      fwd.unacked.push({ frame: this.frame, seq, nextseq, timeNs: now });
    }
    const probe = (mark & TCP_ANALYSIS.zeroWindowProbe) !== 0;
    if ((gt(nextseq, fwd.nextseq) || fwd.nextseq === 0) && !probe) {
      fwd.nextseq = nextseq;
      fwd.nextseqTime = now;
    }
    if ((seq === fwd.maxSeqToBeAcked || fwd.maxSeqToBeAcked === 0) && !probe) fwd.maxSeqToBeAcked = fwd.nextseq;
    fwd.window = window;
    fwd.lastAck = ack;
    fwd.lastAckTime = now;
    if (mark !== 0) v.bits |= TCP_HAS_ANALYSIS;
    v.bits |= mark;
    fwd.lastSegmentFlags = v.bits & (TCP_HAS_ANALYSIS - 1);
    this.acknowledge(rev, ack, now);
    // Wireshark counts the bytes in flight of a data segment in its analysis record (the count
    // itself is not shown here), so such a segment has one.
    if (seglen !== 0 && fwd.unacked.length > 0 && fwd.validBytesInFlight) v.bits |= TCP_HAS_ANALYSIS;
  }

  /** The verdicts on the segment's own numbers and window (Wireshark checks them in this order,
   *  some ending the checks). */
  private segmentChecks(fwd: Flow, rev: Flow, t: TcpFacts, seglen: number): number {
    const v = this.view;
    const { seq, ack, flags, window } = t;
    const control = flags & (SYN | FIN | RST);
    let mark = 0;
    if (seglen === 1 && seq === fwd.nextseq && rev.window === 0) {
      mark |= TCP_ANALYSIS.zeroWindowProbe;
      return mark;
    }
    if (window === 0 && control === 0) mark |= TCP_ANALYSIS.zeroWindow;
    if (fwd.nextseq !== 0 && gt(seq, fwd.nextseq) && !(flags & RST)) {
      mark |= TCP_ANALYSIS.lostSegment;
      fwd.validBytesInFlight = false;
    }
    if ((seglen === 0 || seglen === 1) && seq === (fwd.nextseq - 1) >>> 0 && control === 0)
      mark |= TCP_ANALYSIS.keepAlive;
    const sameAck = seglen === 0 && seq === fwd.nextseq && ack === fwd.lastAck && control === 0;
    if (sameAck && window !== 0 && window !== fwd.window) mark |= TCP_ANALYSIS.windowUpdate;
    if (seglen > 0 && rev.scale !== -1 && control === 0) {
      const shift = rev.firstAck || rev.scale === -2 ? 0 : rev.scale;
      if ((seq + seglen) >>> 0 === (rev.lastAck + rev.window * 2 ** shift) >>> 0) mark |= TCP_ANALYSIS.windowFull;
    }
    if (sameAck && window !== 0 && window === fwd.window && rev.lastSegmentFlags & TCP_ANALYSIS.keepAlive) {
      mark |= TCP_ANALYSIS.keepAliveAck;
      return mark;
    }
    if (sameAck && window === 0 && fwd.window === 0 && rev.lastSegmentFlags & TCP_ANALYSIS.zeroWindowProbe) {
      mark |= TCP_ANALYSIS.zeroWindowProbeAck;
      return mark;
    }
    if (sameAck && window !== 0 && window === fwd.window) {
      fwd.dupAckNum = fwd.dupAckNum === -1 ? 1 : fwd.dupAckNum + 1;
      mark |= TCP_ANALYSIS.duplicateAck;
      v.dupAckNum = fwd.dupAckNum;
      v.dupAckFrame = fwd.lastNonDupAck;
    }
    return mark;
  }

  /** A segment that does not advance the sequence: which kind of resend (0: none). */
  private retransmissionKind(
    conv: TcpConversation,
    fwd: Flow,
    rev: Flow,
    seq: number,
    seglen: number,
    flags: number,
    now: number,
  ): number {
    let notAdvanced = fwd.nextseq !== 0 && lt(seq, fwd.nextseq);
    // One byte before the expected: new data after a zero-window probe, not a resend.
    if (seglen > 1 && (fwd.nextseq - 1) >>> 0 === seq) notAdvanced = false;
    if (seglen > 0 && rev.lastAck !== 0 && le((seq + seglen) >>> 0, rev.lastAck))
      return TCP_ANALYSIS.spuriousRetransmission;
    // Times earlier than the reference count as long ago (Wireshark's unsigned differences).
    const sinceDupAck = now - rev.lastAckTime;
    if (notAdvanced && rev.dupAckNum >= 2 && rev.lastAck === seq && sinceDupAck >= 0 && sinceDupAck < 20_000_000)
      return TCP_ANALYSIS.fastRetransmission;
    const outOfOrderWithin = conv.initialRttNs === 0 ? 3_000_000 : conv.initialRttNs;
    const sinceHighest = now - fwd.nextseqTime;
    const end = (seq + seglen + (flags & (SYN | FIN) ? 1 : 0)) >>> 0;
    if (notAdvanced && sinceHighest >= 0 && sinceHighest < outOfOrderWithin && fwd.nextseq !== end)
      return TCP_ANALYSIS.outOfOrder;
    return notAdvanced ? TCP_ANALYSIS.retransmission : 0;
  }

  /** Drops the reverse direction's segments this ACK covers, noting the oldest it acknowledges
   *  exactly (Wireshark walks its list newest first, each match replacing the one before). */
  private acknowledge(rev: Flow, ack: number, now: number): void {
    const v = this.view;
    const list = rev.unacked;
    let kept = 0;
    let matched = false;
    for (const s of list) {
      if (ack === s.nextseq) {
        if (!matched) {
          matched = true;
          v.bits |= TCP_HAS_ANALYSIS;
          v.ackedFrame = s.frame;
          v.ackRttNs = now - s.timeNs;
        }
        continue;
      }
      if (gt(ack, s.seq) && le(ack, s.nextseq)) s.seq = ack;
      else if (!gt(s.nextseq, ack)) continue; // acknowledged whole: dropped
      list[kept++] = s;
    }
    list.length = kept;
  }
}

/** A TcpFacts to fill (decoders reuse one: a stream context keeps none of it). */
export function emptyFacts(): TcpFacts {
  return {
    sport: 0,
    dport: 0,
    seq: 0,
    ack: 0,
    flags: 0,
    window: 0,
    headerLength: 0,
    reportedLength: 0,
    windowScaleOption: -1,
    offset: 0,
    capturedEnd: 0,
  };
}

export function emptyView(): TcpView {
  return {
    stream: -1,
    seq: 0,
    ack: 0,
    scale: -1,
    bits: 0,
    dupAckNum: 0,
    dupAckFrame: 0,
    ackedFrame: 0,
    ackRttNs: 0,
    initialRttNs: 0,
    deltaNs: 0,
    relativeNs: 0,
  };
}
