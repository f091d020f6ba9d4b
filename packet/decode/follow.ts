// Follow Stream: one TCP or UDP stream's payload, its two directions in order, as Wireshark's
// Follow shows it (and `tshark -z follow,tcp|udp,…` prints it). TCP's bytes are put back in
// sequence order: a retransmission adds only what was not yet seen, a segment ahead of a gap
// waits until the gap fills, and bytes the other side acknowledged but the capture never saw are
// marked "[N bytes missing in capture file]". The first packet's source is peer 0 (the client).
import { ipv4, ipv6 } from './format.js';
import { headerCaptured, type NetworkEnds, type StreamContext, type TcpFacts, type TcpView } from './streams.js';

export type FollowProtocol = 'tcp' | 'udp';

/** The display filter of a stream, as Wireshark's Follow writes it. */
export function streamFilter(protocol: FollowProtocol, stream: number): string {
  return `${protocol}.stream eq ${stream}`;
}

export interface FollowPeer {
  address: string;
  v6: boolean;
  port: number;
}

export interface FollowChunk {
  /** 0: from the first packet's source, 1: from the other end. */
  peer: 0 | 1;
  /** The packet the bytes came in. */
  frame: number;
  timestampNs: bigint;
  data: Uint8Array;
}

export interface FollowedStream {
  protocol: FollowProtocol;
  stream: number;
  /** Empty when no packet of the stream carried a transport header to follow. */
  peers: FollowPeer[];
  chunks: FollowChunk[];
}

interface Pending {
  seq: number;
  chunk: FollowChunk;
}

const SYN = 0x02;
const ACK = 0x10;

/** Sequence-space comparisons, modulo 2^32. */
const diff = (a: number, b: number) => (a - b) | 0;

/**
 * A stream context that collects one stream's payload: decode the stream's packets in capture
 * order with it (at() before each), over the context that knows their streams (the store's
 * replay of the streams pass), then read result().
 */
export class StreamFollower implements StreamContext {
  private inner: StreamContext | undefined;
  private frame = 0;
  private timestampNs = 0n;
  private readonly peers: FollowPeer[] = [];
  private peer0Key = '';
  private readonly chunks: FollowChunk[] = [];
  /** Per direction: the next sequence number expected, bytes followed, segments waiting for a gap. */
  private readonly nextSeq = [0, 0];
  private readonly written = [0, 0];
  private readonly waiting: Pending[][] = [[], []];

  constructor(
    readonly protocol: FollowProtocol,
    readonly stream: number,
  ) {}

  at(inner: StreamContext, frame: number, timestampNs: bigint): this {
    this.inner = inner;
    this.frame = frame;
    this.timestampNs = timestampNs;
    return this;
  }

  tcp(ends: NetworkEnds, facts: TcpFacts): TcpView | undefined {
    const view = this.inner?.tcp(ends, facts);
    if (view && this.protocol === 'tcp' && view.stream === this.stream) this.segment(ends, facts, view);
    return view;
  }

  udp(ends: NetworkEnds, sport: number, dport: number, payloadAt: number, payloadEnd: number): number | undefined {
    const stream = this.inner?.udp(ends, sport, dport, payloadAt, payloadEnd);
    // Wireshark follows datagrams that carry a payload, not those quoted by an ICMP error.
    if (stream === this.stream && this.protocol === 'udp' && !ends.inError && payloadEnd > payloadAt) {
      const peer = this.peerOf(ends, sport, dport);
      this.chunks.push(this.chunk(peer, ends.data.slice(payloadAt, payloadEnd)));
    }
    return stream;
  }

  result(): FollowedStream {
    return { protocol: this.protocol, stream: this.stream, peers: this.peers, chunks: this.chunks };
  }

  private chunk(peer: 0 | 1, data: Uint8Array): FollowChunk {
    return { peer, frame: this.frame, timestampNs: this.timestampNs, data };
  }

  /** Which peer sent this packet: the first packet's source is peer 0. */
  private peerOf(ends: NetworkEnds, sport: number, dport: number): 0 | 1 {
    const size = ends.netV6 ? 16 : 4;
    const source = ends.data.subarray(ends.netAt, ends.netAt + size);
    const key = `${source.join('.')}:${sport}`;
    if (this.peers.length === 0) {
      const text = ends.netV6 ? ipv6 : ipv4;
      this.peers.push(
        { address: text(ends.data, ends.netAt), v6: ends.netV6, port: sport },
        { address: text(ends.data, ends.netAt + size), v6: ends.netV6, port: dport },
      );
      this.peer0Key = key;
    }
    return key === this.peer0Key ? 0 : 1;
  }

  private segment(ends: NetworkEnds, t: TcpFacts, view: TcpView): void {
    const payloadAt = t.offset + t.headerLength;
    // Wireshark follows segments whose length it knows (not in an ICMP error nor an IP fragment)
    // and whose header it read to the end.
    if (ends.fragmented || ends.inError || t.reportedLength < t.headerLength || !headerCaptured(t)) return;
    const peer = this.peerOf(ends, t.sport, t.dport);
    const other = peer === 0 ? 1 : 0;
    // This packet may acknowledge bytes of the other direction the capture missed.
    if (this.waiting[other]!.length > 0) {
      const acked = t.flags & ACK ? view.ack : t.ack;
      while (this.fillFrom(other, acked));
    }
    let seq = t.flags & SYN ? (view.seq + 1) >>> 0 : view.seq;
    let length = t.reportedLength - t.headerLength;
    let from = payloadAt;
    let captured = Math.min(t.capturedEnd, t.offset + t.reportedLength) - payloadAt;
    if (this.written[peer] === 0 && this.nextSeq[peer] === 0) this.nextSeq[peer] = seq;
    const expected = this.nextSeq[peer]!;
    if (diff(seq, expected) < 0 && diff(seq + length, expected) > 0) {
      // A retransmission carrying more than was seen: only its new bytes count.
      const seen = diff(expected, seq);
      captured = Math.max(0, captured - seen);
      from += seen;
      length -= seen;
      seq = expected;
    }
    if (captured <= 0 || diff(seq, expected) < 0) return;
    const chunk = this.chunk(peer, ends.data.slice(from, from + captured));
    if (seq === expected) {
      this.nextSeq[peer] = (expected + length) >>> 0;
      this.written[peer]! += captured;
      this.chunks.push(chunk);
      while (this.fillFrom(peer));
    } else {
      this.waiting[peer]!.push({ seq, chunk });
    }
  }

  /**
   * Moves one waiting segment of `peer`'s direction into the stream when it now fits (or brings
   * bytes not seen yet), or, given what the other side acknowledged, marks the bytes the capture
   * missed before the lowest one. False when nothing moved.
   */
  private fillFrom(peer: 0 | 1, acknowledged?: number): boolean {
    const waiting = this.waiting[peer]!;
    if (waiting.length === 0) return false;
    const expected = this.nextSeq[peer]!;
    let lowest = waiting[0]!.seq;
    for (let i = 0; i < waiting.length; i++) {
      const { seq, chunk } = waiting[i]!;
      if (diff(lowest, seq) > 0) lowest = seq;
      if (diff(seq, expected) < 0) {
        const end = (seq + chunk.data.length) >>> 0;
        if (diff(end, expected) > 0) {
          const fresh = chunk.data.subarray(diff(expected, seq));
          this.chunks.push({ ...chunk, data: fresh });
          this.nextSeq[peer] = (expected + fresh.length) >>> 0;
        }
        waiting.splice(i, 1);
        return true;
      }
      if (seq === expected) {
        if (chunk.data.length > 0) this.chunks.push(chunk);
        this.nextSeq[peer] = (expected + chunk.data.length) >>> 0;
        waiting.splice(i, 1);
        return true;
      }
    }
    if (acknowledged !== undefined && diff(acknowledged, lowest) > 0) {
      // Wireshark's marker ends with the C string's terminating NUL, and has no time.
      const note = `[${diff(lowest, expected)} bytes missing in capture file]\0`;
      this.chunks.push({ peer, frame: this.frame, timestampNs: 0n, data: new TextEncoder().encode(note) });
      this.nextSeq[peer] = lowest;
      return true;
    }
    return false;
  }
}

// ---- showing the content, as Wireshark's "Show data as"

export const FOLLOW_FORMATS = ['ascii', 'hexdump', 'carrays', 'raw', 'yaml'] as const;
export type FollowFormat = (typeof FOLLOW_FORMATS)[number];

export const FOLLOW_FORMAT_NAMES: Record<FollowFormat, string> = {
  ascii: 'ASCII',
  hexdump: 'Hex Dump',
  carrays: 'C Arrays',
  raw: 'Raw',
  yaml: 'YAML',
};

/** A piece of the shown content: a chunk's text (its peer's colour) or the header's (none). */
export interface FollowPiece {
  peer?: 0 | 1;
  frame?: number;
  text: string;
}

const isPrint = (c: number) => c >= 0x20 && c < 0x7f;
const hex2 = (c: number) => (c < 16 ? '0' : '') + c.toString(16);

export function peerText(p: FollowPeer): string {
  return p.v6 ? `[${p.address}]:${p.port}` : `${p.address}:${p.port}`;
}

/** The stream's content as Wireshark's Follow window shows it in `format`. */
export function followPieces(s: FollowedStream, format: FollowFormat): FollowPiece[] {
  const out: FollowPiece[] = [];
  if (format === 'yaml' && s.peers.length === 2) {
    out.push({ text: 'peers:\n' });
    for (const peer of [0, 1] as const) {
      const p = s.peers[peer]!;
      out.push({ peer, text: `  - peer: ${peer}\n    host: ${p.address}\n    port: ${p.port}\n` });
    }
    out.push({ text: 'packets:\n' });
  }
  const position = [0, 0];
  const arrays = [0, 0];
  let lastFrame = 0;
  for (const c of s.chunks) {
    let text: string;
    if (format === 'ascii') text = asciiText(c.data);
    else if (format === 'raw') text = `${hexText(c.data)}\n`;
    else if (format === 'hexdump') text = hexDump(c.data, position[c.peer]!, c.peer === 1 ? '    ' : '');
    else if (format === 'carrays') text = cArray(c.data, `peer${c.peer}_${arrays[c.peer]!++}`, c.frame);
    else text = yamlPacket(c, c.frame !== lastFrame ? arrays[c.peer]!++ : undefined);
    position[c.peer]! += c.data.length;
    lastFrame = c.frame;
    out.push({ peer: c.peer, frame: c.frame, text });
  }
  return out;
}

/** The bytes a "Save as…" of the content writes: Raw saves the bytes themselves, the other
 *  formats their text. */
export function followSaved(s: FollowedStream, format: FollowFormat): Uint8Array {
  if (format === 'raw') {
    const out = new Uint8Array(s.chunks.reduce((n, c) => n + c.data.length, 0));
    let at = 0;
    for (const c of s.chunks) {
      out.set(c.data, at);
      at += c.data.length;
    }
    return out;
  }
  return new TextEncoder().encode(
    followPieces(s, format)
      .map((p) => p.text)
      .join(''),
  );
}

function hexText(data: Uint8Array): string {
  let s = '';
  for (const c of data) s += hex2(c);
  return s;
}

/** Printable ASCII, line ends and tabs as they are, every other byte a dot. */
function asciiText(data: Uint8Array): string {
  let s = '';
  for (const c of data) s += isPrint(c) || c === 0x0a || c === 0x0d || c === 0x09 ? String.fromCharCode(c) : '.';
  return s;
}

function hexDump(data: Uint8Array, start: number, indent: string): string {
  let s = '';
  for (let line = 0; line < data.length; line += 16) {
    const bytes = data.subarray(line, line + 16);
    let hex = '';
    let text = '';
    bytes.forEach((c, i) => {
      hex += `${hex2(c)} ${i === 7 ? ' ' : ''}`;
      text += (isPrint(c) ? String.fromCharCode(c) : '.') + (i === 7 ? ' ' : '');
    });
    const offset = (start + line).toString(16).toUpperCase().padStart(8, '0');
    s += `${indent}${offset}  ${hex.padEnd(49)}  ${text}\n`;
  }
  return s;
}

function cArray(data: Uint8Array, name: string, frame: number): string {
  let s = `char ${name}[] = { /* Packet ${frame} */\n`;
  for (let line = 0; line < data.length; line += 8) {
    const bytes = [...data.subarray(line, line + 8)];
    const last = line + 8 >= data.length;
    s += `${bytes.map((c, i) => `0x${hex2(c)}${last && i === bytes.length - 1 ? '' : ','} `).join('')}${last ? '};' : ''}\n`;
  }
  return s;
}

function yamlPacket(c: FollowChunk, index: number | undefined): string {
  let s = '';
  if (index !== undefined) {
    const seconds = c.timestampNs / 1_000_000_000n;
    const nanos = (c.timestampNs % 1_000_000_000n).toString().padStart(9, '0');
    s +=
      `  - packet: ${c.frame}\n    peer: ${c.peer}\n    index: ${index}\n` +
      `    timestamp: ${seconds}.${nanos}\n    data: !!binary |\n`;
  }
  for (let at = 0; at < c.data.length; at += 57)
    s += `      ${btoa(String.fromCharCode(...c.data.subarray(at, at + 57)))}\n`;
  return s;
}
