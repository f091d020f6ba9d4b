// The packets of one capture, held compactly: segments of up to SEGMENT_PACKETS packets, each with
// one byte arena and typed arrays of per-packet metadata. Memory is shared (SharedArrayBuffer) so
// the display-filter worker reads packets without copies. Eviction drops whole segments, oldest
// first. Packets are addressed by number: 1-based, in arrival order, never reused.
//
// A packet's comments (pcapng opt_comment: its process, packet/process-comment.ts) sit in the
// arena right after its bytes, so they are evicted, counted and shared with the worker as the
// bytes are: each comment as its UTF-8 length (u16, little-endian) and its UTF-8.
//
// Each packet appended also goes through the streams pass (packet/decode/streams.ts): its stream
// and TCP analysis are kept in the segment's shared StreamColumns, which rows, trees and the
// worker read back.

import { type FollowedStream, type FollowProtocol, StreamFollower } from '../../packet/decode/follow.js';
import { passStreams } from '../../packet/decode/index.js';
import {
  clearRecords,
  recordedProtocol,
  recordedStream,
  recordIgnored,
  type StreamColumns,
  StreamRecorder,
  StreamReplay,
  streamColumns,
} from '../../packet/decode/stream-records.js';
import { StreamAnalyzer } from '../../packet/decode/streams.js';
import { type PodInterface, parsePodInterfaceName, podLabel } from '../../packet/k8s-pod.js';
import type { DecryptionSecrets } from '../../packet/pcapng.js';
import { parseProcessComments, processPod } from '../../packet/process-comment.js';
import type { PodCounters } from '../../packet/protocol.js';

export const SEGMENT_PACKETS = 65536;
const INITIAL_SEGMENT_BYTES = 1 << 20;

export type Direction = 'in' | 'out';

/** An interface as a capture stream describes it. */
export interface InterfaceInit {
  name?: string;
  description?: string;
  linkType: number;
  snaplen: number;
  filter?: string;
}

export interface StoredInterface extends InterfaceInit {
  /** The pod the interface belongs to, read from its name (packet/k8s-pod.ts). */
  readonly pod?: PodInterface;
  /** Packets appended from this interface since the capture started (evicted ones included). */
  packets: number;
  /** Their captured bytes. */
  bytes: number;
  /** Packets the capture lost on this interface, when the stream says (pcapng statistics). */
  dropped?: number;
}

export interface IncomingPacket {
  interfaceId: number;
  timestampNs: bigint | undefined;
  data: Uint8Array;
  originalLength: number;
  direction?: Direction;
  /** pcapng opt_comment options, kept as they came (saved again with the packet). */
  comments?: readonly string[];
}

export interface StoredPacket {
  number: number;
  interfaceId: number;
  linkType: number;
  /** ns since the epoch; 0n when the source had no timestamp. */
  timestampNs: bigint;
  /** Seconds since the first packet, as Wireshark's Time column. */
  time: number;
  data: Uint8Array;
  originalLength: number;
  direction?: Direction;
  comments?: string[];
}

export interface StoreLimits {
  maxPackets: number;
  maxBytes: number;
  /** What to do when a limit is reached. */
  whenFull: 'drop-oldest' | 'stop';
}

/** What a segment shares with the filter worker; all views over SharedArrayBuffers. */
export interface SegmentSnapshot {
  firstNumber: number;
  count: number;
  bytes: Uint8Array;
  offsets: Uint32Array;
  capturedLengths: Uint32Array;
  originalLengths: Uint32Array;
  interfaceIds: Uint16Array;
  /** Bytes of each packet's comments, right after its captured bytes; 0: none. */
  commentLengths: Uint32Array;
  /** Each packet's stream and TCP analysis, from the pass over the packets in order. */
  streams: StreamColumns;
  /** Each packet's time: ns since the store's first packet. */
  times: Float64Array;
}

function shared<T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(
  Kind: { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number },
  length: number,
): T {
  return new Kind(new SharedArrayBuffer(length * Kind.BYTES_PER_ELEMENT));
}

const MAX_COMMENT_BYTES = 0xffff;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** Arena bytes the comments may take at most (UTF-8 takes at most 3 bytes per UTF-16 unit). */
function commentsRoom(comments: readonly string[] | undefined): number {
  let n = 0;
  if (comments) for (const c of comments) n += 2 + Math.min(MAX_COMMENT_BYTES, c.length * 3);
  return n;
}

/** Writes the comments at `at` (room checked by the caller); returns the bytes written. A comment
 *  longer than a pcapng option can hold is cut there, at a character's end. */
function writeComments(arena: Uint8Array, at: number, comments: readonly string[]): number {
  let o = at;
  for (const c of comments) {
    const room = arena.subarray(o + 2, o + 2 + Math.min(MAX_COMMENT_BYTES, c.length * 3));
    const { written } = utf8Encoder.encodeInto(c, room);
    arena[o] = written & 0xff;
    arena[o + 1] = written >> 8;
    o += 2 + written;
  }
  return o - at;
}

/** The comments stored in `arena[start, start + length)`, as writeComments wrote them. */
export function readComments(arena: Uint8Array, start: number, length: number): string[] {
  const comments: string[] = [];
  const end = start + length;
  for (let o = start; o + 2 <= end; ) {
    const n = arena[o]! | (arena[o + 1]! << 8);
    comments.push(utf8Decoder.decode(arena.subarray(o + 2, Math.min(end, o + 2 + n))));
    o += 2 + n;
  }
  return comments;
}

/** The comments of packet `i` of a segment (shared with the worker), or undefined: none. */
export function segmentComments(
  seg: Pick<SegmentSnapshot, 'bytes' | 'offsets' | 'capturedLengths' | 'commentLengths'>,
  i: number,
): string[] | undefined {
  const length = seg.commentLengths[i]!;
  if (length === 0) return undefined;
  return readComments(seg.bytes, seg.offsets[i]! + seg.capturedLengths[i]!, length);
}

class Segment {
  count = 0;
  used = 0;
  bytes = shared(Uint8Array, INITIAL_SEGMENT_BYTES);
  readonly offsets = shared(Uint32Array, SEGMENT_PACKETS);
  readonly capturedLengths = shared(Uint32Array, SEGMENT_PACKETS);
  readonly originalLengths = shared(Uint32Array, SEGMENT_PACKETS);
  readonly interfaceIds = shared(Uint16Array, SEGMENT_PACKETS);
  readonly commentLengths = shared(Uint32Array, SEGMENT_PACKETS);
  readonly streams = streamColumns(SEGMENT_PACKETS);
  readonly directions = new Uint8Array(SEGMENT_PACKETS); // 0 unknown, 1 in, 2 out
  /** ns relative to the store's first timestamp: exact to ~104 days as a double. */
  readonly times = shared(Float64Array, SEGMENT_PACKETS);

  constructor(readonly firstNumber: number) {}

  get full(): boolean {
    return this.count === SEGMENT_PACKETS;
  }

  /** Appends the packet, with room for `size` bytes (commentsRoom included); returns the arena
   *  bytes it took (its bytes and comments). */
  append(p: IncomingPacket, relativeNs: number, size: number): number {
    const need = this.used + size;
    if (need > this.bytes.length) {
      let size = this.bytes.length * 2;
      while (size < need) size *= 2;
      const grown = shared(Uint8Array, size);
      grown.set(this.bytes.subarray(0, this.used));
      this.bytes = grown;
    }
    const i = this.count;
    this.bytes.set(p.data, this.used);
    this.offsets[i] = this.used;
    this.capturedLengths[i] = p.data.length;
    this.originalLengths[i] = p.originalLength;
    this.interfaceIds[i] = p.interfaceId;
    this.directions[i] = p.direction === 'in' ? 1 : p.direction === 'out' ? 2 : 0;
    this.times[i] = relativeNs;
    let taken = p.data.length;
    // The arena's arrays start zeroed: a packet without comments writes nothing more.
    if (p.comments) {
      const comments = writeComments(this.bytes, this.used + taken, p.comments);
      this.commentLengths[i] = comments;
      taken += comments;
    }
    this.used += taken;
    this.count = i + 1;
    return taken;
  }

  snapshot(): SegmentSnapshot {
    return {
      firstNumber: this.firstNumber,
      count: this.count,
      bytes: this.bytes,
      offsets: this.offsets,
      capturedLengths: this.capturedLengths,
      originalLengths: this.originalLengths,
      interfaceIds: this.interfaceIds,
      commentLengths: this.commentLengths,
      streams: this.streams,
      times: this.times,
    };
  }
}

export class PacketStore {
  readonly interfaces: StoredInterface[] = [];
  private segments: Segment[] = [];
  private heldBytes = 0;
  private firstTimestampNs?: bigint;
  /** Packets ever appended (the last packet's number). */
  received = 0;
  /** Packets dropped to respect the limits. */
  evicted = 0;
  /** Set once the store refused a packet under whenFull 'stop'. */
  fullStop = false;
  /** Set once a packet with a process was appended (the panel then shows its Process column). */
  hasProcesses = false;
  /** Set once a packet whose process runs in a pod was appended (the panel then shows its Pod
   *  column, where the interface's name names no pod). */
  hasProcessPods = false;
  /** Decryption secrets read with the packets (a pcapng's DSBs), written again before them on save. */
  readonly secrets: DecryptionSecrets[] = [];
  /** The streams pass, over every packet as it is appended (and again by redissect()). */
  private recorder = new StreamRecorder(new StreamAnalyzer());
  private readonly replay = new StreamReplay((stream) => this.recorder.httpCount(stream));
  /** Packets ignored (Wireshark's Ignore Packet), by number: decoded as frames alone, left out of
   *  the streams pass, so the packets around them read as if they had never been captured. */
  private readonly ignoredNumbers = new Set<number>();
  /** Counts the times every packet was dissected again: what was read from the packets before is stale. */
  dissections = 0;

  constructor(readonly limits: StoreLimits) {}

  get held(): number {
    return this.received - this.firstNumber + 1;
  }

  /** Number of the oldest packet held (received + 1 when empty). */
  get firstNumber(): number {
    return this.segments[0]?.firstNumber ?? this.received + 1;
  }

  get lastNumber(): number {
    return this.received;
  }

  get bytes(): number {
    return this.heldBytes;
  }

  /** The first packet's timestamp (ns since the epoch): times are counted from it. */
  get startNs(): bigint | undefined {
    return this.firstTimestampNs;
  }

  addInterface(i: InterfaceInit): number {
    const pod = parsePodInterfaceName(i.name);
    this.interfaces.push({ ...i, ...(pod ? { pod } : {}), packets: 0, bytes: 0 });
    return this.interfaces.length - 1;
  }

  /** Packets, bytes and drops per pod, in the order the pods' interfaces appeared; undefined when
   *  no interface belongs to a pod (a capture that is not of Kubernetes pods). */
  podCounters(): PodCounters[] | undefined {
    const byPod = new Map<string, PodCounters>();
    for (const i of this.interfaces) {
      if (!i.pod) continue;
      const label = podLabel(i.pod);
      const c = byPod.get(label) ?? { pod: label, packets: 0, bytes: 0 };
      byPod.set(label, c);
      c.packets += i.packets;
      c.bytes += i.bytes;
      if (i.dropped !== undefined) c.drops = (c.drops ?? 0) + i.dropped;
    }
    return byPod.size > 0 ? [...byPod.values()] : undefined;
  }

  /** Appends a packet; false when the store is full and told to stop. */
  append(p: IncomingPacket): boolean {
    if (this.fullStop) return false;
    const size = p.comments ? p.data.length + commentsRoom(p.comments) : p.data.length;
    if (this.held + 1 > this.limits.maxPackets || this.heldBytes + size > this.limits.maxBytes) {
      if (this.limits.whenFull === 'stop') {
        this.fullStop = true;
        return false;
      }
      this.evictFor(size);
    }
    let last = this.segments[this.segments.length - 1];
    if (!last || last.full) {
      last = new Segment(this.received + 1);
      this.segments.push(last);
    }
    const ts = p.timestampNs ?? 0n;
    this.firstTimestampNs ??= ts;
    const relativeNs = Number(ts - this.firstTimestampNs);
    const index = last.count;
    this.heldBytes += last.append(p, relativeNs, size);
    this.received++;
    this.recorder.at(last.streams, index, this.received, relativeNs);
    passStreams(this.interfaces[p.interfaceId]?.linkType ?? 1, p.data, p.originalLength, this.recorder);
    if (p.comments) this.noteProcess(p.comments);
    const iface = this.interfaces[p.interfaceId];
    if (iface) {
      iface.packets++;
      iface.bytes += p.data.length;
    }
    return true;
  }

  /** Notes whether the capture names processes, and pods by them. Comments are parsed only until
   *  both are known, and for pods only when a comment mentions one: later packets cost little. */
  private noteProcess(comments: readonly string[]): void {
    if (this.hasProcesses && this.hasProcessPods) return;
    if (this.hasProcesses && !comments.some((c) => c.includes('PodName:'))) return;
    const process = parseProcessComments(comments);
    if (!process) return;
    this.hasProcesses = true;
    if (processPod(process)) this.hasProcessPods = true;
  }

  /** Drops whole segments, oldest first, until one more packet of `size` bytes fits. */
  private evictFor(size: number): void {
    while (
      this.segments.length > 0 &&
      (this.held + 1 > this.limits.maxPackets || this.heldBytes + size > this.limits.maxBytes)
    ) {
      const oldest = this.segments.shift()!;
      this.heldBytes -= oldest.used;
      this.evicted += oldest.count;
    }
    for (const n of this.ignoredNumbers) if (n < this.firstNumber) this.ignoredNumbers.delete(n);
  }

  /** Whether packet `number` is ignored (Ignore Packet). */
  ignored(number: number): boolean {
    return this.ignoredNumbers.size > 0 && this.ignoredNumbers.has(number);
  }

  /** How many packets the store holds are ignored. */
  get ignoredCount(): number {
    return this.ignoredNumbers.size;
  }

  /** The packets ignored that the store holds, ascending. */
  ignoredList(): number[] {
    return [...this.ignoredNumbers].sort((a, b) => a - b);
  }

  /** Ignores `numbers` (held ones), or unignores them, and dissects every packet again when that
   *  changed one (as Wireshark does: streams, TCP analysis and pairings read as if the ignored
   *  packets had never been captured). Returns whether any changed. */
  setIgnored(numbers: Iterable<number>, ignore: boolean): boolean {
    let changed = false;
    for (const n of numbers) {
      if (ignore === this.ignoredNumbers.has(n) || (ignore && !this.locate(n))) continue;
      if (ignore) this.ignoredNumbers.add(n);
      else this.ignoredNumbers.delete(n);
      changed = true;
    }
    if (changed) this.redissect();
    return changed;
  }

  /** Runs the streams pass again over every packet held, in order, leaving the ignored ones out
   *  (their records say so). Synchronous: no packet is appended meanwhile. */
  redissect(): void {
    this.recorder = new StreamRecorder(new StreamAnalyzer());
    for (const seg of this.segments) {
      clearRecords(seg.streams, seg.count);
      for (let i = 0; i < seg.count; i++) {
        const number = seg.firstNumber + i;
        if (this.ignored(number)) {
          recordIgnored(seg.streams, i);
          continue;
        }
        const offset = seg.offsets[i]!;
        const data = seg.bytes.subarray(offset, offset + seg.capturedLengths[i]!);
        this.recorder.at(seg.streams, i, number, seg.times[i]!);
        passStreams(this.interfaces[seg.interfaceIds[i]!]?.linkType ?? 1, data, seg.originalLengths[i]!, this.recorder);
      }
    }
    this.dissections++;
  }

  private locate(number: number): [Segment, number] | undefined {
    if (number < this.firstNumber || number > this.received) return undefined;
    // firstNumber <= number <= received: some packet is held, and its segment is found by position.
    const first = this.segments[0]!.firstNumber;
    const seg = this.segments[Math.floor((number - first) / SEGMENT_PACKETS)]!;
    return [seg, number - seg.firstNumber];
  }

  packet(number: number): StoredPacket | undefined {
    const at = this.locate(number);
    if (!at) return undefined;
    const [seg, i] = at; // 0 <= i < seg.count: every per-packet array holds index i
    const relative = seg.times[i]!;
    const interfaceId = seg.interfaceIds[i]!;
    const offset = seg.offsets[i]!;
    const comments = segmentComments(seg, i);
    return {
      number,
      interfaceId,
      linkType: this.interfaces[interfaceId]?.linkType ?? 1,
      timestampNs: (this.firstTimestampNs ?? 0n) + BigInt(relative),
      time: relative / 1e9,
      data: seg.bytes.subarray(offset, offset + seg.capturedLengths[i]!),
      originalLength: seg.originalLengths[i]!,
      direction: seg.directions[i] === 1 ? 'in' : seg.directions[i] === 2 ? 'out' : undefined,
      ...(comments ? { comments } : {}),
    };
  }

  /** The TCP or UDP stream packet `number` belongs to, as the streams pass numbered it. */
  streamOf(number: number): { protocol: 'tcp' | 'udp'; stream: number } | undefined {
    const at = this.locate(number);
    return at && recordedStream(at[0].streams, at[1]);
  }

  /** Packet `number`'s stream and analysis, for a decode of it (valid until the next call). */
  streamsOf(number: number): StreamReplay | undefined {
    const at = this.locate(number);
    return at && this.replay.at(at[0].streams, at[1]);
  }

  /** Each segment's times (ns since the first packet) and wire lengths, its first `count` entries
   *  held: the I/O Graph counts from these without a call per packet. */
  timesAndLengths(): { count: number; times: Float64Array; lengths: Uint32Array }[] {
    return this.segments.map((s) => ({ count: s.count, times: s.times, lengths: s.originalLengths }));
  }

  /** The Time (ns since the first packet) or Length of each of `numbers`, held ones (a sort's keys). */
  columnValues(column: 'time' | 'length', numbers: Uint32Array): Float64Array {
    const values = new Float64Array(numbers.length);
    for (let k = 0; k < numbers.length; k++) {
      const at = this.locate(numbers[k]!);
      if (!at) continue;
      const [seg, i] = at;
      values[k] = column === 'time' ? seg.times[i]! : seg.originalLengths[i]!;
    }
    return values;
  }

  /** Visits every packet held, oldest first, with its record from the streams pass (the
   *  statistics read these without touching the packets' bytes). */
  eachRecord(
    visit: (streams: StreamColumns, index: number, number: number, wireLength: number, relativeNs: number) => void,
  ): void {
    for (const seg of this.segments)
      for (let i = 0; i < seg.count; i++)
        visit(seg.streams, i, seg.firstNumber + i, seg.originalLengths[i]!, seg.times[i]!);
  }

  /** Follow Stream: the payload of TCP or UDP stream `stream` among the packets held. */
  follow(protocol: FollowProtocol, stream: number): FollowedStream {
    const follower = new StreamFollower(protocol, stream);
    for (const seg of this.segments)
      for (let i = 0; i < seg.count; i++) {
        if (seg.streams.stream[i] !== stream || recordedProtocol(seg.streams, i) !== protocol) continue;
        const p = this.packet(seg.firstNumber + i)!;
        follower.at(this.replay.at(seg.streams, i), p.number, p.timestampNs);
        passStreams(p.linkType, p.data, p.originalLength, follower);
      }
    return follower.result();
  }

  /** Shared views of every segment, for the filter worker; packets beyond `count` are not final. */
  snapshots(): SegmentSnapshot[] {
    return this.segments.map((s) => s.snapshot());
  }
}
