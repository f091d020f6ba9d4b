// The streams pass's fast path. Nearly every packet of a capture is Ethernet II (VLAN-tagged or not),
// Linux cooked or raw IP, then IPv4 or IPv6 straight to TCP or UDP: those headers are read here
// without the decoders; ARP, SCTP and ICMP other than errors are known to give the streams nothing.
// The stream context is called with exactly what the decoders would give it
// (test/unit/stream-pass.test.ts holds the two to the same calls on every packet of the corpus, the
// generated mix and the edge cases). Anything else (loopback's link types and others, IP options
// beyond the header length, extension headers, fragments, ICMP errors, tunnels, short or odd
// headers) is left to the decoders: fastStreams returns false. So are the TCP segments whose
// messages the context pairs (DNS over TCP, HTTP): their decoders read them. A DNS message over UDP
// is paired here, from the four bytes its decoder pairs it from.
import { u16, u32 } from './bytes.js';
import { startsHttpMessage } from './http.js';
import { icmpQuotes } from './icmp.js';
import { icmpv6Quotes } from './icmpv6.js';
import { passPairsUdpDns, passReadsTcpPort } from './registry.js';
import { ARPHRD_NETLINK } from './sll.js';
import { emptyFacts, type NetworkEnds, type StreamContext, type TcpFacts } from './streams.js';

const LINKTYPE_ETHERNET = 1;

/** The IP layer of the packet being read (reused: the stream context keeps none of it). */
const ends: { -readonly [K in keyof NetworkEnds]: NetworkEnds[K] } = {
  data: new Uint8Array(0),
  netAt: 0,
  netV6: false,
  inError: false,
  fragmented: false,
};

const facts: TcpFacts = emptyFacts();

/** Reads the packet's transport headers into `streams`; false when the decoders must. */
export function fastStreams(linkType: number, data: Uint8Array, wireLength: number, streams: StreamContext): boolean {
  const end = data.length;
  const rend = Math.max(wireLength, end);
  ends.data = data;
  switch (linkType) {
    case LINKTYPE_ETHERNET:
      return ethernet(data, end, rend, streams);
    case 12:
    case 14:
    case 101: // raw IP: the version says which
      return end > 0 && (data[0]! >> 4 === 4 ? ipv4 : ipv6)(data, 0, end, rend, streams);
    case 228:
      return ipv4(data, 0, end, rend, streams);
    case 229:
      return ipv6(data, 0, end, rend, streams);
    case 113: // Linux cooked capture: the protocol after a 16-byte header (but netlink's)
      return end >= 16 && u16(data, 2) !== ARPHRD_NETLINK && byType(u16(data, 14), data, 16, end, rend, streams);
    case 276: // its second version: the protocol first, a 20-byte header
      return end >= 20 && u16(data, 8) !== ARPHRD_NETLINK && byType(u16(data, 0), data, 20, end, rend, streams);
  }
  return false;
}

function ethernet(b: Uint8Array, end: number, rend: number, streams: StreamContext): boolean {
  if (end < 14) return false;
  let type = u16(b, 12);
  let off = 14;
  // 802.1Q and 802.1ad tags, two at most: the type after them.
  for (let tags = 0; (type === 0x8100 || type === 0x88a8) && tags < 2; tags++) {
    if (end - off < 4) return false;
    type = u16(b, off + 2);
    off += 4;
  }
  return byType(type, b, off, end, rend, streams);
}

/** The network layer of EtherType `type` at `off`: IP read here; ARP gives the streams nothing. */
function byType(type: number, b: Uint8Array, off: number, end: number, rend: number, streams: StreamContext): boolean {
  if (type === 0x0800) return ipv4(b, off, end, rend, streams);
  if (type === 0x86dd) return ipv6(b, off, end, rend, streams);
  return type === 0x0806;
}

function ipv4(b: Uint8Array, off: number, end: number, rend: number, streams: StreamContext): boolean {
  if (end - off < 20 || b[off]! >> 4 !== 4) return false;
  const hl = (b[off]! & 15) * 4;
  const total = u16(b, off + 2);
  const flags = u16(b, off + 6);
  // Short or bogus headers, TSO's zero length, a fragment after the first: the decoders say why.
  if (hl < 20 || end - off < hl || total < hl || (flags & 0x1fff) !== 0) return false;
  const pRend = Math.min(rend, off + total);
  if (off + hl >= pRend) return false;
  ends.netAt = off + 12;
  ends.netV6 = false;
  ends.fragmented = (flags & 0x2000) !== 0;
  return transport(b, b[off + 9]!, off + hl, Math.min(end, pRend), pRend, streams);
}

function ipv6(b: Uint8Array, off: number, end: number, rend: number, streams: StreamContext): boolean {
  if (end - off < 40 || b[off]! >> 4 !== 6) return false;
  const plen = u16(b, off + 4);
  if (plen === 0) return false; // a jumbogram, or malformed
  const pRend = Math.min(rend, off + 40 + plen);
  if (off + 40 >= pRend) return false;
  ends.netAt = off + 8;
  ends.netV6 = true;
  ends.fragmented = false;
  return transport(b, b[off + 6]!, off + 40, Math.min(end, pRend), pRend, streams);
}

function transport(
  b: Uint8Array,
  proto: number,
  off: number,
  end: number,
  rend: number,
  streams: StreamContext,
): boolean {
  if (proto === 6) return tcp(b, off, end, rend, streams);
  if (proto === 17) return udp(b, off, end, rend, streams);
  // Nothing for the streams: ICMP that quotes no datagram (not an error), SCTP.
  if (proto === 1) return end - off < 1 || !icmpQuotes(b[off]!);
  if (proto === 58) return end - off < 1 || !icmpv6Quotes(b[off]!);
  return proto === 132;
}

function tcp(b: Uint8Array, off: number, end: number, rend: number, streams: StreamContext): boolean {
  if (end - off < 20) return false;
  if (streams.dns && pairedPayload(b, off, end)) return false;
  streams.tcp(ends, tcpFacts(b, off, end, rend));
  return true;
}

/** Whether the TCP segment at `off` may carry a message the pass pairs: one on a port whose
 *  dissector pairs, or one that starts as HTTP does (the HTTP heuristic may take it). */
function pairedPayload(b: Uint8Array, off: number, end: number): boolean {
  const payload = off + (b[off + 12]! >> 4) * 4;
  if (payload >= end) return false;
  return passReadsTcpPort(u16(b, off)) || passReadsTcpPort(u16(b, off + 2)) || startsHttpMessage(b, payload, end);
}

/** The TCP header at `off` (20 bytes captured at least) as the streams pass reads it, into one
 *  reused TcpFacts: the decoders' TCP and the fast path both read it here. */
export function tcpFacts(b: Uint8Array, off: number, end: number, rend: number): TcpFacts {
  const hl = (b[off + 12]! >> 4) * 4;
  facts.sport = u16(b, off);
  facts.dport = u16(b, off + 2);
  facts.seq = u32(b, off + 4);
  facts.ack = u32(b, off + 8);
  facts.flags = u16(b, off + 12) & 0xfff;
  facts.window = u16(b, off + 14);
  facts.headerLength = hl;
  facts.reportedLength = rend - off;
  facts.windowScaleOption = windowScaleOption(b, off + 20, Math.min(off + hl, end));
  facts.offset = off;
  facts.capturedEnd = end;
  return facts;
}

function udp(b: Uint8Array, off: number, end: number, rend: number, streams: StreamContext): boolean {
  const length = end - off < 8 ? 0 : u16(b, off + 4);
  if (length < 8) return false;
  const sport = u16(b, off);
  const dport = u16(b, off + 2);
  const payloadEnd = udpPayloadEnd(off, length, end, rend);
  streams.udp(ends, sport, dport, off + 8, payloadEnd);
  // A DNS message is paired as its decoder pairs it: from its ID and flags, once both were captured.
  if (streams.dns && payloadEnd - off >= 12 && passPairsUdpDns(sport, dport))
    streams.dns(u16(b, off + 8), (b[off + 10]! & 0x80) !== 0);
  return true;
}

/** Where a UDP datagram's captured payload ends: at its length, or, when the length claims more
 *  than the IP payload (a first fragment, a bad length), at the bytes there are. */
export function udpPayloadEnd(off: number, length: number, end: number, rend: number): number {
  return Math.min(end, length > rend - off ? rend : off + length);
}

/** The shift count of the Window Scale option among the TCP options in [o, end), or -1. */
function windowScaleOption(b: Uint8Array, o: number, end: number): number {
  while (o < end) {
    const kind = b[o]!;
    if (kind === 0) break;
    if (kind === 1) {
      o++;
      continue;
    }
    if (o + 1 >= end) break;
    const len = b[o + 1]!;
    if (len < 2 || o + len > end) break;
    if (kind === 3 && len === 3) return b[o + 2]!;
    o += len;
  }
  return -1;
}
