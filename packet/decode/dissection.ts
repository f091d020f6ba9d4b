// The state one packet's decode works on, shared by every layer decoder.
//
// A layer decoder reads its header from `data` (every read behind a length check against `end`),
// fills in the columns (src, dst, protocol, info) and the conversation, and hands its payload to
// the next layer through a dispatch table (registry.ts). With `tree` false (the table's summary
// path) it builds no Layer or Field objects and no labels: only the columns are computed, so
// summarizePacket stays cheap; with `tree` true the same code also builds the detail tree. A
// display filter's selective tree (`fieldsOf`) sits between: every layer, fields only where the
// filter reads them. The modes share every decision, so a summary always equals the full decode's
// summary, and a selective tree's layers and fields are the full tree's (less its Data layers and
// expert marks, which only the full tree builds).
//
// Problems never throw: a decoder that runs out of bytes or finds an impossible value calls
// malformed() or short() and returns, which ends the decode with what it had (like Wireshark,
// where an exception ends the dissection and marks the row). Oddities that do not stop the
// decode (an IP datagram longer than the bytes captured) are noted with note().

import type { StreamContext } from './streams.js';
import type { Conversation, Field, Layer } from './types.js';

/**
 * A layer decoder. `off` is where its bytes start; `end` is where its captured bytes end;
 * `rend` is where they end on the wire (rend > end when the capture was cut by a snaplen).
 */
/** A display filter's selective tree (see Dissection.fieldsOf and Dissection.columns). */
export interface SelectiveTree {
  /** The protocols whose layers get their fields; undefined: no layers at all. */
  fieldsOf?: ReadonlySet<string>;
  /** Whether the columns (source, destination, protocol, info) are read. */
  columns: boolean;
}

export type Dissector = (d: Dissection, off: number, end: number, rend: number) => void;

/** Layers nested deeper than this (tunnels in tunnels, tag stacks) end the decode. */
export const MAX_DEPTH = 32;

export function field(
  name: string,
  label: string,
  offset: number,
  length: number,
  value?: string | number | boolean,
  children?: Field[],
): Field {
  const f: Field = { name, label, offset, length };
  if (value !== undefined) f.value = value;
  if (children !== undefined) f.children = children;
  return f;
}

/**
 * Sub-trees that depend only on a few bytes and their offset (a MAC address with its LG/IG bits,
 * TCP flags, the DS field, the frame's lengths) are built once and shared between packets,
 * frozen: the detail trees decodePacket returns are read-only. Keys are numbers (string keys
 * cost more to hash than some sub-trees cost to build); each cache is cleared when full.
 */
export class SharedFields {
  private readonly map = new Map<number, Field>();
  constructor(private readonly max = 4096) {}

  get(key: number, make: () => Field): Field {
    let f = this.map.get(key);
    if (f === undefined) {
      f = deepFreeze(make());
      if (this.map.size >= this.max) this.map.clear();
      this.map.set(key, f);
    }
    return f;
  }
}

const byName = new Map<string, SharedFields>();

/**
 * A shared field named `name` whose label and value depend only on `key` (which must encode the
 * offset too: key = offset · 2^k + value).
 */
export function sharedField(name: string, key: number, make: () => Field): Field {
  let cache = byName.get(name);
  if (cache === undefined) {
    cache = new SharedFields();
    byName.set(name, cache);
  }
  return cache.get(key, make);
}

function deepFreeze(f: Field): Field {
  if (f.children) for (const c of f.children) deepFreeze(c);
  return Object.freeze(f);
}

export class Dissection {
  data: Uint8Array;
  /** Captured length (data.length). */
  length: number;
  /** Length on the wire (≥ length). */
  wireLength: number;
  readonly tree: boolean;
  /**
   * The layers a display filter reads fields of (packet/display-filter.ts fieldLayers), when
   * `tree` is false: every layer is still recorded, so its protocol can be tested, but only these
   * build their fields and labels. Undefined: no layers at all (the summary path).
   */
  readonly fieldsOf: ReadonlySet<string> | undefined;
  /**
   * False when nothing will read the columns (a display filter that tests no column): decoders
   * may then skip building the costliest column text (names, addresses, DNS's Info), and the
   * summary is left partial. It never changes a decision, a layer or a field.
   */
  readonly columns: boolean;
  readonly layers: Layer[] = [];
  problems: string[] | undefined;
  /** A decoder hit bytes it could not decode (malformed or short): nothing further is decoded. */
  failed = false;
  /** Nesting depth of dispatches, bounded by MAX_DEPTH. */
  depth: number;

  // Columns
  src = '';
  dst = '';
  protocol = '';
  info = '';

  // Conversation: the innermost IP addresses, and transport ports when there are some.
  netSrc = '';
  netDst = '';
  netV6 = false;
  /** Where the innermost IP header's source address starts in `data`, its destination right
   *  after (IPv4 and IPv6 alike); -1: no IP. */
  netAt = -1;
  convProto: Conversation['protocol'] | undefined;
  sport = -1;
  dport = -1;
  /** TTL / hop limit of the innermost IP header (ICMP and ICMPv6 Info show it). */
  ttl = -1;
  /** The innermost IP packet is a first fragment (more fragments follow): lengths may exceed it. */
  fragmented = false;
  /** These bytes are quoted by an ICMP error: part of another packet, not of a connection. */
  inError = false;
  /** The capture's streams (tcp.stream, TCP analysis), when the packet is decoded as part of one. */
  streams: StreamContext | undefined;
  /** Decode no payload above TCP and UDP (the streams pass, which reads only their headers). */
  transportOnly = false;
  /** Put in front of the Info column once the decode ends, whatever the layers above write
   *  (TCP's analysis, as Wireshark's column fence keeps it). */
  infoPrefix = '';

  constructor(data: Uint8Array, wireLength: number, tree: boolean, depth = 0, selective?: SelectiveTree) {
    this.data = data;
    this.length = data.length;
    this.wireLength = Math.max(wireLength, data.length);
    this.tree = tree;
    this.depth = depth;
    this.fieldsOf = tree ? undefined : selective?.fieldsOf;
    this.columns = tree || selective === undefined || selective.columns;
  }

  /** Starts over on another packet (summary mode), so the table's hot path allocates no state. */
  reset(data: Uint8Array, wireLength: number, streams?: StreamContext): void {
    this.streams = streams;
    this.infoPrefix = '';
    this.data = data;
    this.length = data.length;
    this.wireLength = Math.max(wireLength, data.length);
    this.problems = undefined;
    this.failed = false;
    this.depth = 0;
    this.src = this.dst = this.protocol = this.info = this.netSrc = this.netDst = '';
    this.netV6 = false;
    this.netAt = -1;
    this.convProto = undefined;
    this.sport = this.dport = this.ttl = -1;
    this.fragmented = false;
  }

  /**
   * A layer decoder's own layer, to fill with its fields: undefined when the decode builds no
   * fields for `protocol` (the summary path, or a filter's selective tree, which records the layer
   * without fields).
   */
  treeLayer(protocol: string, label: string, offset: number, length: number): Layer | undefined {
    if (this.tree) return this.layer(protocol, label, offset, length);
    if (this.fieldsOf === undefined) return undefined;
    const l = this.layer(protocol, label, offset, length);
    return this.fieldsOf.has(protocol) ? l : undefined;
  }

  /** Adds a top-level layer (tree mode only; callers check `tree`). */
  layer(protocol: string, label: string, offset: number, length: number): Layer {
    const l: Layer = { protocol, label, offset, length, fields: [] };
    this.layers.push(l);
    return l;
  }

  /** Network-layer addresses: they become the Source/Destination columns. */
  setNet(src: string, dst: string, v6: boolean, at: number): void {
    this.src = this.netSrc = src;
    this.dst = this.netDst = dst;
    this.netV6 = v6;
    this.netAt = at;
    this.convProto = 'ip';
    this.sport = this.dport = -1;
  }

  setPorts(proto: 'tcp' | 'udp' | 'sctp', sport: number, dport: number): void {
    if (this.convProto === undefined) return; // no IP underneath: no endpoint to name
    this.convProto = proto;
    this.sport = sport;
    this.dport = dport;
  }

  /** A problem that does not stop the decode (the tree shows it where the decoder puts it). */
  note(problem: string): void {
    this.problems ??= [];
    this.problems.push(problem);
  }

  /**
   * The bytes cannot be what they claim to be. Marks the row like Wireshark ("[Malformed
   * Packet]" appended to Info) and the layer with a "[Malformed Packet: …]" field.
   */
  malformed(
    layer: Layer | undefined,
    protocol: string,
    message: string,
    offset = 0,
    length = 0,
    markInfo = true,
  ): void {
    this.failed = true;
    this.note(`${protocol}: ${message}`);
    if (markInfo) this.info += '[Malformed Packet]';
    if (this.tree) this.mark(layer, '_ws.malformed', `[Malformed Packet: ${protocol}: ${message}]`, offset, length);
  }

  /**
   * A layer needs bytes up to `need` (absolute offset) but they end at `end`. If the capture was
   * cut short of the wire length (snaplen) this is truncation, not malformation.
   */
  short(layer: Layer | undefined, protocol: string, what: string, need: number, end: number): void {
    if (end >= this.length && this.length < this.wireLength && need <= this.wireLength) {
      this.failed = true;
      this.note(
        `${protocol}: ${what} truncated by the capture: needs ${need} bytes, ${this.length} of ${this.wireLength} captured`,
      );
      this.info += '[Packet size limited during capture]';
      if (this.tree)
        this.mark(
          layer,
          '_ws.short',
          `[Packet size limited during capture: ${protocol} truncated]`,
          Math.min(end, this.length),
          0,
        );
    } else {
      this.malformed(
        layer,
        protocol,
        `${what} truncated: needs ${need - Math.min(need, end)} more bytes`,
        Math.min(end, this.length),
        0,
      );
    }
  }

  /**
   * An IP datagram (or other length-delimited unit) claims `claimed` bytes from `off` but fewer
   * were captured: noted, and decoding goes on with what is there (the upper layer reports
   * what it cannot decode). Returns true when it noted something.
   */
  checkLength(layer: Layer | undefined, protocol: string, off: number, claimed: number): boolean {
    const have = this.length - off;
    if (claimed <= have) return false;
    const cut = off + claimed <= this.wireLength;
    const msg = cut
      ? `${protocol}: ${have} of ${claimed} bytes captured (cut short by the capture's snapshot length)`
      : `${protocol}: length ${claimed} exceeds the ${Math.max(this.wireLength - off, 0)} bytes of the frame`;
    this.note(msg);
    if (this.tree && layer) layer.fields.push(field('_ws.expert', `[${msg}]`, off, 0));
    return true;
  }

  /** Whether the decode records layers: the tree, or a filter's selective tree. */
  get recordsLayers(): boolean {
    return this.tree || this.fieldsOf !== undefined;
  }

  /** Undecoded payload bytes as a "Data" layer (when the decode records layers). */
  dataLayer(off: number, end: number): void {
    const n = end - off;
    const l = this.treeLayer('data', `Data (${n} byte${n === 1 ? '' : 's'})`, off, n);
    l?.fields.push(
      field('data.data', `Data: ${n} byte${n === 1 ? '' : 's'}`, off, n),
      field('data.len', `[Length: ${n}]`, off, 0, n),
    );
  }

  private mark(layer: Layer | undefined, name: string, label: string, offset: number, length: number): void {
    const f = field(name, label, offset, length);
    if (layer) {
      layer.fields.push(f);
      if (!layer.label.includes('[')) layer.label += name === '_ws.short' ? ' [truncated]' : ' [Malformed]';
    } else {
      this.layers.push({ protocol: '_ws.malformed', label, offset, length, fields: [] });
    }
  }

  conversation(): Conversation | undefined {
    const p = this.convProto;
    if (p === undefined) return undefined;
    let a = this.netSrc;
    let b = this.netDst;
    let pa = this.sport;
    let pb = this.dport;
    if (a > b || (a === b && pa > pb)) {
      const t = a;
      a = b;
      b = t;
      const tp = pa;
      pa = pb;
      pb = tp;
    }
    if (pa >= 0) {
      if (this.netV6) {
        a = `[${a}]:${pa}`;
        b = `[${b}]:${pb}`;
      } else {
        a = `${a}:${pa}`;
        b = `${b}:${pb}`;
      }
    }
    return { protocol: p, a, b };
  }
}
