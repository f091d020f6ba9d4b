// pcapng: writers for the agent's hot path and the block decoder behind CaptureFileReader.
// Spec: https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-03.html (sections cited per block).
//
// Runs in Node and in the browser: Uint8Array + DataView only.
//
// Writers emit little-endian sections and write into a caller-provided buffer at an offset,
// returning the new offset; each has a matching *Size function so the agent can size one batch
// buffer for many packets and never allocate per packet. Every IDB they write says
// if_tsresol = 9, so every timestamp they write is in nanoseconds.

import type { Direction } from './capture-abi.js';
import type { CaptureInterface, CaptureSection, DecoderSink, InterfaceStatistics, StepResult } from './capture-file.js';
import { put16, put32, put64 } from './little-endian.js';

const SPEC = 'https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-03.html';

/** Block layouts: byte offsets from the start of the block; `min` is the smallest legal block. */
export const BLOCK = {
  /** §3.1 General Block Structure: type, total length, body, total length again. */
  common: { spec: `${SPEC}#section-3.1`, type: 0, totalLength: 4, body: 8, trailer: 4, min: 12 },
  /** §4.1 Section Header Block. */
  shb: {
    spec: `${SPEC}#section-4.1`,
    type: 0x0a0d0d0a,
    byteOrderMagic: 8,
    majorVersion: 12,
    minorVersion: 14,
    sectionLength: 16,
    options: 24,
    min: 28,
  },
  /** §4.2 Interface Description Block. */
  idb: { spec: `${SPEC}#section-4.2`, type: 0x00000001, linkType: 8, reserved: 10, snaplen: 12, options: 16, min: 20 },
  /** Appendix A, Packet Block (obsolete; still read). */
  pb: {
    spec: `${SPEC}#appendix-A`,
    type: 0x00000002,
    interfaceId: 8,
    dropsCount: 10,
    tsHigh: 12,
    tsLow: 16,
    capturedLength: 20,
    originalLength: 24,
    data: 28,
    min: 32,
  },
  /** §4.4 Simple Packet Block: packets of interface 0, no timestamp. */
  spb: { spec: `${SPEC}#section-4.4`, type: 0x00000003, originalLength: 8, data: 12, min: 16 },
  /** §4.5 Name Resolution Block (skipped). */
  nrb: { spec: `${SPEC}#section-4.5`, type: 0x00000004 },
  /** §4.6 Interface Statistics Block. */
  isb: { spec: `${SPEC}#section-4.6`, type: 0x00000005, interfaceId: 8, tsHigh: 12, tsLow: 16, options: 20, min: 24 },
  /** §4.3 Enhanced Packet Block. */
  epb: {
    spec: `${SPEC}#section-4.3`,
    type: 0x00000006,
    interfaceId: 8,
    tsHigh: 12,
    tsLow: 16,
    capturedLength: 20,
    originalLength: 24,
    data: 28,
    min: 32,
  },
} as const;

export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** §3.5 Options: code and length (u16 each), value padded to 32 bits, list ended by opt_endofopt. */
export const OPT = {
  endofopt: 0,
  comment: 1,
  shb: { hardware: 2, os: 3, userappl: 4 },
  idb: {
    name: 2,
    description: 3,
    ipv4addr: 4,
    ipv6addr: 5,
    macaddr: 6,
    euiaddr: 7,
    speed: 8,
    tsresol: 9,
    tzone: 10,
    filter: 11,
    os: 12,
    fcslen: 13,
    tsoffset: 14,
    hardware: 15,
  },
  epb: { flags: 2, hash: 3, dropcount: 4, packetid: 5, queue: 6, verdict: 7 },
  pb: { flags: 2, hash: 3 },
  isb: { starttime: 2, endtime: 3, ifrecv: 4, ifdrop: 5, filteraccept: 6, osdrop: 7, usrdeliv: 8 },
} as const;

/** epb_flags bits 0-1 (§4.3.1): 00 unknown, 01 inbound, 10 outbound. */
export const EPB_FLAGS_INBOUND = 1;
export const EPB_FLAGS_OUTBOUND = 2;

/** A block longer than this is treated as corrupt rather than buffered. */
export const MAX_BLOCK_SIZE = 64 * 1024 * 1024;

/** Comments (opt_comment) kept per packet: a block of millions of empty options must not become
 *  millions of strings. A packet's process takes at most six (packet/process-comment.ts). */
export const MAX_PACKET_COMMENTS = 32;

// ---------------------------------------------------------------------------------------------
// Writing

export interface PcapngOption {
  code: number;
  value: Uint8Array;
}

const utf8Encoder = new TextEncoder();

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** pcapng timestamps are two u32 words, high first, each in section byte order (not one u64). */
function putTimestamp(b: Uint8Array, o: number, ns: bigint): void {
  const u = BigInt.asUintN(64, ns);
  put32(b, o, Number(u >> 32n));
  put32(b, o + 4, Number(u & 0xffffffffn));
}

function checkRoom(out: Uint8Array, off: number, size: number): void {
  if (off < 0 || off + size > out.length) {
    throw new RangeError(`pcapng writer: need ${size} bytes at offset ${off}, buffer holds ${out.length}`);
  }
}

export function stringOption(code: number, value: string): PcapngOption {
  return { code, value: utf8Encoder.encode(value) };
}

export function u8Option(code: number, value: number): PcapngOption {
  return { code, value: Uint8Array.of(value) };
}

export function u32Option(code: number, value: number): PcapngOption {
  const v = new Uint8Array(4);
  put32(v, 0, value);
  return { code, value: v };
}

export function u64Option(code: number, value: number | bigint): PcapngOption {
  const v = new Uint8Array(8);
  put64(v, 0, value);
  return { code, value: v };
}

export function timestampOption(code: number, ns: bigint): PcapngOption {
  const v = new Uint8Array(8);
  putTimestamp(v, 0, ns);
  return { code, value: v };
}

/** Bytes taken by an option list, including opt_endofopt; an empty list takes none. */
export function optionsSize(options: readonly PcapngOption[]): number {
  if (options.length === 0) return 0;
  let n = 4;
  for (const o of options) n += 4 + pad4(o.value.length);
  return n;
}

/** Writes an option list (with opt_endofopt) and returns the offset after it. */
export function writeOptions(out: Uint8Array, off: number, options: readonly PcapngOption[]): number {
  if (options.length === 0) return off;
  checkRoom(out, off, optionsSize(options));
  for (const o of options) {
    if (o.value.length > 0xffff)
      throw new RangeError(`pcapng option ${o.code}: value of ${o.value.length} bytes exceeds 65535`);
    put16(out, off, o.code);
    put16(out, off + 2, o.value.length);
    out.set(o.value, off + 4);
    const end = off + 4 + o.value.length;
    off += 4 + pad4(o.value.length);
    out.fill(0, end, off);
  }
  put32(out, off, 0);
  return off + 4;
}

/** Frames a body of options: type, length, fixed fields via `fixed`, options, trailing length. */
function writeOptionBlock(
  out: Uint8Array,
  off: number,
  type: number,
  fixedSize: number,
  options: readonly PcapngOption[],
  fixed: (out: Uint8Array, off: number) => void,
): number {
  const total = fixedSize + optionsSize(options) + 4;
  checkRoom(out, off, total);
  put32(out, off, type);
  put32(out, off + 4, total);
  fixed(out, off);
  writeOptions(out, off + fixedSize, options);
  put32(out, off + total - 4, total);
  return off + total;
}

export interface SectionHeader {
  hardware?: string;
  os?: string;
  /** The application that wrote the section, e.g. "pcap-agent 0.1.0". */
  userAppl?: string;
  comment?: string;
  options?: readonly PcapngOption[];
}

function sectionHeaderOptions(h: SectionHeader): PcapngOption[] {
  const opts: PcapngOption[] = [];
  if (h.comment !== undefined) opts.push(stringOption(OPT.comment, h.comment));
  if (h.hardware !== undefined) opts.push(stringOption(OPT.shb.hardware, h.hardware));
  if (h.os !== undefined) opts.push(stringOption(OPT.shb.os, h.os));
  if (h.userAppl !== undefined) opts.push(stringOption(OPT.shb.userappl, h.userAppl));
  if (h.options) opts.push(...h.options);
  return opts;
}

export function sectionHeaderSize(h: SectionHeader): number {
  return BLOCK.shb.options + optionsSize(sectionHeaderOptions(h)) + 4;
}

export function writeSectionHeader(out: Uint8Array, off: number, h: SectionHeader): number {
  const L = BLOCK.shb;
  return writeOptionBlock(out, off, L.type, L.options, sectionHeaderOptions(h), (b, o) => {
    put32(b, o + L.byteOrderMagic, BYTE_ORDER_MAGIC);
    put16(b, o + L.majorVersion, 1);
    put16(b, o + L.minorVersion, 0);
    // -1: section length not specified, so blocks can be streamed before the total is known.
    put32(b, o + L.sectionLength, 0xffffffff);
    put32(b, o + L.sectionLength + 4, 0xffffffff);
  });
}

export interface InterfaceDescription {
  linkType: number;
  /** 0 means no limit. */
  snaplen: number;
  name?: string;
  description?: string;
  /** The capture filter in its string form (if_filter with a leading 0 byte). */
  filter?: string;
  os?: string;
  hardware?: string;
  comment?: string;
  options?: readonly PcapngOption[];
}

function interfaceOptions(d: InterfaceDescription): PcapngOption[] {
  const opts: PcapngOption[] = [];
  if (d.comment !== undefined) opts.push(stringOption(OPT.comment, d.comment));
  if (d.name !== undefined) opts.push(stringOption(OPT.idb.name, d.name));
  if (d.description !== undefined) opts.push(stringOption(OPT.idb.description, d.description));
  opts.push(u8Option(OPT.idb.tsresol, 9));
  if (d.filter !== undefined) {
    const text = utf8Encoder.encode(d.filter);
    const value = new Uint8Array(text.length + 1);
    value.set(text, 1); // value[0] = 0: "filter expression string"
    opts.push({ code: OPT.idb.filter, value });
  }
  if (d.os !== undefined) opts.push(stringOption(OPT.idb.os, d.os));
  if (d.hardware !== undefined) opts.push(stringOption(OPT.idb.hardware, d.hardware));
  if (d.options) opts.push(...d.options);
  return opts;
}

export function interfaceDescriptionSize(d: InterfaceDescription): number {
  return BLOCK.idb.options + optionsSize(interfaceOptions(d)) + 4;
}

export function writeInterfaceDescription(out: Uint8Array, off: number, d: InterfaceDescription): number {
  const L = BLOCK.idb;
  return writeOptionBlock(out, off, L.type, L.options, interfaceOptions(d), (b, o) => {
    put16(b, o + L.linkType, d.linkType);
    put16(b, o + L.reserved, 0);
    put32(b, o + L.snaplen, d.snaplen);
  });
}

/** Bytes of `s` in UTF-8, without encoding it (a lone surrogate counts as U+FFFD's three). */
function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a pair: four bytes for two units
      i++;
    } else n += 2;
  }
  return n;
}

/** Exact size of the EPB that writeEnhancedPacket writes with the same arguments. */
export function enhancedPacketSize(
  capturedLength: number,
  direction?: Direction,
  dropCount?: number | bigint,
  comments?: readonly string[],
): number {
  let opts = 0;
  if (comments) for (const c of comments) opts += 4 + pad4(utf8Length(c));
  if (direction !== undefined) opts += 8;
  if (dropCount !== undefined) opts += 12;
  if (opts !== 0) opts += 4;
  return BLOCK.epb.min + pad4(capturedLength) + opts;
}

/** One opt_comment at `o` (UTF-8 written in place: no allocation); returns the offset after it. */
function putComment(out: Uint8Array, o: number, comment: string): number {
  const length = utf8Length(comment);
  if (length > 0xffff) throw new RangeError(`pcapng comment of ${length} bytes exceeds 65535`);
  put16(out, o, OPT.comment);
  put16(out, o + 2, length);
  utf8Encoder.encodeInto(comment, out.subarray(o + 4, o + 4 + length));
  const end = o + 4 + pad4(length);
  out.fill(0, o + 4 + length, end);
  return end;
}

/**
 * Writes one Enhanced Packet Block without allocating: the bytes come from
 * `src[srcStart, srcStart + capturedLength)`, so a batch buffer can be passed as is.
 * `originalLength` is the length on the wire and may exceed `capturedLength`. `comments` become
 * opt_comment options, one each (a packet's process: packet/process-comment.ts).
 */
export function writeEnhancedPacket(
  out: Uint8Array,
  off: number,
  interfaceId: number,
  timestampNs: bigint,
  src: Uint8Array,
  srcStart: number,
  capturedLength: number,
  originalLength: number,
  direction?: Direction,
  dropCount?: number | bigint,
  comments?: readonly string[],
): number {
  const L = BLOCK.epb;
  const total = enhancedPacketSize(capturedLength, direction, dropCount, comments);
  checkRoom(out, off, total);
  if (srcStart < 0 || srcStart + capturedLength > src.length) {
    throw new RangeError(
      `pcapng writer: packet bytes [${srcStart}, ${srcStart + capturedLength}) outside a source of ${src.length}`,
    );
  }
  put32(out, off, L.type);
  put32(out, off + 4, total);
  put32(out, off + L.interfaceId, interfaceId);
  putTimestamp(out, off + L.tsHigh, timestampNs);
  put32(out, off + L.capturedLength, capturedLength);
  put32(out, off + L.originalLength, originalLength);
  let o = off + L.data;
  // A whole-array source needs no subarray view: no allocation on the common path.
  out.set(srcStart === 0 && capturedLength === src.length ? src : src.subarray(srcStart, srcStart + capturedLength), o);
  o += capturedLength;
  const padded = off + L.data + pad4(capturedLength);
  while (o < padded) out[o++] = 0;
  if (direction !== undefined || dropCount !== undefined || (comments && comments.length > 0)) {
    if (comments) for (const c of comments) o = putComment(out, o, c);
    if (direction !== undefined) {
      put16(out, o, OPT.epb.flags);
      put16(out, o + 2, 4);
      put32(out, o + 4, direction === 'in' ? EPB_FLAGS_INBOUND : EPB_FLAGS_OUTBOUND);
      o += 8;
    }
    if (dropCount !== undefined) {
      put16(out, o, OPT.epb.dropcount);
      put16(out, o + 2, 8);
      put64(out, o + 4, dropCount);
      o += 12;
    }
    put32(out, o, 0);
    o += 4;
  }
  put32(out, o, total);
  return o + 4;
}

/** ISB counters and times as written; the reader returns the same shape with bigint counters. */
export interface InterfaceStatisticsInit {
  interfaceId: number;
  /** When the counters were read. */
  timestampNs: bigint;
  startTimeNs?: bigint;
  endTimeNs?: bigint;
  ifRecv?: number | bigint;
  ifDrop?: number | bigint;
  filterAccept?: number | bigint;
  osDrop?: number | bigint;
  usrDeliv?: number | bigint;
  comment?: string;
}

/** The agent's per-interface counters, as the kernel keeps them (bpf/capture.h stats). */
export interface AgentCounters {
  /** Every packet the hook saw. */
  seen: number | bigint;
  /** Packets that passed the filter. */
  matched: number | bigint;
  /** Packets written to the ring buffer. */
  captured: number | bigint;
  /** Matched packets lost because the ring buffer was full. */
  dropped: number | bigint;
}

/**
 * Maps the agent's counters onto ISB options.
 * - seen → isb_ifrecv: "packets received from the physical interface"; the tcx hook sees every
 *   packet of the interface in the captured directions.
 * - matched → isb_filteraccept: "packets accepted by filter".
 * - dropped → isb_ifdrop and nothing else: the spec's isb_osdrop ("dropped by the operating
 *   system") fits a full ring buffer at least as well, but Wireshark and capinfos report drops
 *   only from isb_ifdrop (dumpcap puts libpcap's ps_drop, the kernel buffer overflow count, there
 *   too), and writing the same drops twice would let a reader add them up.
 * - captured → isb_usrdeliv: "packets delivered to the user" — what reached this file.
 */
export function isbCountersFromAgent(
  c: AgentCounters,
): Pick<InterfaceStatisticsInit, 'ifRecv' | 'filterAccept' | 'ifDrop' | 'usrDeliv'> {
  return { ifRecv: c.seen, filterAccept: c.matched, ifDrop: c.dropped, usrDeliv: c.captured };
}

function statisticsOptions(s: InterfaceStatisticsInit): PcapngOption[] {
  const opts: PcapngOption[] = [];
  if (s.comment !== undefined) opts.push(stringOption(OPT.comment, s.comment));
  if (s.startTimeNs !== undefined) opts.push(timestampOption(OPT.isb.starttime, s.startTimeNs));
  if (s.endTimeNs !== undefined) opts.push(timestampOption(OPT.isb.endtime, s.endTimeNs));
  if (s.ifRecv !== undefined) opts.push(u64Option(OPT.isb.ifrecv, s.ifRecv));
  if (s.ifDrop !== undefined) opts.push(u64Option(OPT.isb.ifdrop, s.ifDrop));
  if (s.filterAccept !== undefined) opts.push(u64Option(OPT.isb.filteraccept, s.filterAccept));
  if (s.osDrop !== undefined) opts.push(u64Option(OPT.isb.osdrop, s.osDrop));
  if (s.usrDeliv !== undefined) opts.push(u64Option(OPT.isb.usrdeliv, s.usrDeliv));
  return opts;
}

export function interfaceStatisticsSize(s: InterfaceStatisticsInit): number {
  return BLOCK.isb.options + optionsSize(statisticsOptions(s)) + 4;
}

export function writeInterfaceStatistics(out: Uint8Array, off: number, s: InterfaceStatisticsInit): number {
  const L = BLOCK.isb;
  return writeOptionBlock(out, off, L.type, L.options, statisticsOptions(s), (b, o) => {
    put32(b, o + L.interfaceId, s.interfaceId);
    putTimestamp(b, o + L.tsHigh, s.timestampNs);
  });
}

/** Decryption Secrets Block (type 0x0000000A): secrets a dissector needs, e.g. TLS key-log lines. */
export const DSB_TYPE = 0x0000000a;
/** secrets_type of NSS key-log text ("TLSK"). */
export const SECRETS_TLS_KEY_LOG = 0x544c534b;

export interface DecryptionSecrets {
  secretsType: number;
  data: Uint8Array;
}

/** Decryption secrets kept from one stream, at most (a key-log line is ~180 bytes: ~90,000 sessions). */
const MAX_SECRETS_BYTES = 16 * 1024 * 1024;

/** A DSB without secrets or options: type, length, secrets type, secrets length, length again. */
const DSB_MIN_SIZE = 20;

export function decryptionSecretsSize(d: DecryptionSecrets): number {
  return DSB_MIN_SIZE + pad4(d.data.length);
}

/** Writes a DSB: type, length, secrets type, secrets length (unpadded), the secrets padded to 32
 *  bits, no options, length again. Like every block, it applies to the packets after it. */
export function writeDecryptionSecrets(out: Uint8Array, off: number, d: DecryptionSecrets): number {
  const total = decryptionSecretsSize(d);
  checkRoom(out, off, total);
  put32(out, off, DSB_TYPE);
  put32(out, off + 4, total);
  put32(out, off + 8, d.secretsType);
  put32(out, off + 12, d.data.length);
  out.set(d.data, off + 16);
  out.fill(0, off + 16 + d.data.length, off + total - 4);
  put32(out, off + total - 4, total);
  return off + total;
}

/** Convenience for cold paths (headers, tests): one block in a fresh array. */
export function encodeBlock<T>(
  size: (v: T) => number,
  write: (out: Uint8Array, off: number, v: T) => number,
  v: T,
): Uint8Array {
  const out = new Uint8Array(size(v));
  write(out, 0, v);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading

const utf8Decoder = new TextDecoder('utf-8');
const NS_PER_SEC = 1_000_000_000n;

/** Per-interface timestamp conversion: ticks of 1/unitsPerSecond s, plus an offset in seconds. */
interface TsConv {
  unitsPerSecond: bigint;
  offsetNs: bigint;
}

interface SectionInterface {
  global: number;
  linkType: number;
  snaplen: number;
  ts: TsConv;
}

/**
 * Decodes pcapng one whole block at a time. Framing errors (a length that is impossible, or
 * leading and trailing lengths that differ) stop decoding, because nothing marks where the next
 * block starts and Wireshark stops there too; a well-framed block with bad contents is reported
 * and skipped.
 */
export class PcapngDecoder {
  private le = true;
  private inSection = false;
  /** True while skipping a section whose major version we do not understand (§4.1). */
  private skipSection = false;
  private ifaces: SectionInterface[] = [];
  /** Secrets kept so far: a hostile stream of Decryption Secrets Blocks must not grow memory without end. */
  private secretsBytes = 0;
  private view: DataView | undefined;
  private viewOf: Uint8Array | undefined;

  constructor(private readonly sink: DecoderSink) {}

  step(buf: Uint8Array, off: number, avail: number, streamOffset: number): StepResult {
    if (avail < 8) return -8;
    const dv = this.dataView(buf);
    const type = dv.getUint32(off, true);
    if (type === BLOCK.shb.type) {
      if (avail < 12) return -12;
      const bom = dv.getUint32(off + BLOCK.shb.byteOrderMagic, true);
      if (bom === BYTE_ORDER_MAGIC) this.le = true;
      else if (bom === 0x4d3c2b1a) this.le = false;
      else {
        this.sink.note(streamOffset, `pcapng: section header with bad byte-order magic 0x${hex(bom)}; stopping`);
        return 0;
      }
    } else if (!this.inSection) {
      this.sink.note(streamOffset, `pcapng: block type 0x${hex(type)} before any section header; stopping`);
      return 0;
    }
    const le = this.le;
    const blockType = dv.getUint32(off, le);
    const total = dv.getUint32(off + 4, le);
    const min = minBlockSize(blockType);
    if (total < min || total % 4 !== 0 || total > MAX_BLOCK_SIZE) {
      const why =
        total < min
          ? `shorter than the ${min}-byte minimum`
          : total % 4 !== 0
            ? 'not a multiple of 4'
            : `larger than the ${MAX_BLOCK_SIZE}-byte cap`;
      this.sink.note(
        streamOffset,
        `pcapng: block type 0x${hex(blockType)} has total length ${total}, ${why}; stopping`,
      );
      return 0;
    }
    if (avail < total) return -total;
    const trailer = dv.getUint32(off + total - 4, le);
    if (trailer !== total) {
      this.sink.note(
        streamOffset,
        `pcapng: block type 0x${hex(blockType)} length ${total} but trailing length ${trailer}; stopping`,
      );
      return 0;
    }
    if (blockType === BLOCK.shb.type) return this.sectionHeader(buf, dv, off, total, streamOffset);
    if (this.skipSection) return total;
    switch (blockType) {
      case BLOCK.idb.type:
        this.interfaceDescription(buf, dv, off, total, streamOffset);
        break;
      case BLOCK.epb.type:
        this.enhancedPacket(buf, dv, off, total, streamOffset);
        break;
      case BLOCK.spb.type:
        this.simplePacket(buf, dv, off, total, streamOffset);
        break;
      case BLOCK.pb.type:
        this.obsoletePacket(buf, dv, off, total, streamOffset);
        break;
      case BLOCK.isb.type:
        this.statistics(dv, off, total, streamOffset);
        break;
      case DSB_TYPE:
        this.decryptionSecrets(buf, dv, off, total, streamOffset);
        break;
      default:
        break; // NRB, journal, custom and unknown blocks carry nothing we show or keep (§3.1: skip)
    }
    return total;
  }

  /** A DSB's secrets, kept as they are (a copy: `buf` is reused), for the files saved from them. */
  private decryptionSecrets(buf: Uint8Array, dv: DataView, off: number, total: number, streamOffset: number): void {
    if (total < DSB_MIN_SIZE) {
      this.sink.note(
        streamOffset,
        `pcapng: Decryption Secrets Block of ${total} bytes, shorter than its header; skipped`,
      );
      return;
    }
    const length = dv.getUint32(off + 12, this.le);
    if (length > total - DSB_MIN_SIZE) {
      this.sink.note(
        streamOffset,
        `pcapng: Decryption Secrets Block says ${length} bytes of secrets in a ${total}-byte block; skipped`,
      );
      return;
    }
    if (this.secretsBytes + length > MAX_SECRETS_BYTES) {
      this.sink.note(
        streamOffset,
        `pcapng: more than ${MAX_SECRETS_BYTES} bytes of decryption secrets; the rest skipped`,
      );
      return;
    }
    this.secretsBytes += length;
    const secretsType = dv.getUint32(off + 8, this.le);
    this.sink.secrets.push({ secretsType, data: buf.slice(off + 16, off + 16 + length) });
  }

  private dataView(buf: Uint8Array): DataView {
    if (this.viewOf !== buf || this.view === undefined) {
      this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      this.viewOf = buf;
    }
    return this.view;
  }

  private sectionHeader(buf: Uint8Array, dv: DataView, off: number, total: number, at: number): number {
    const L = BLOCK.shb;
    const major = dv.getUint16(off + L.majorVersion, this.le);
    const minor = dv.getUint16(off + L.minorVersion, this.le);
    this.inSection = true;
    this.ifaces = [];
    const section: CaptureSection = { offset: at, littleEndian: this.le, majorVersion: major, minorVersion: minor };
    this.sink.sections.push(section);
    if (major !== 1) {
      this.skipSection = true;
      this.sink.note(at, `pcapng: section version ${major}.${minor} not understood; skipping the section`);
      return total;
    }
    this.skipSection = false;
    forEachOption(dv, this.le, off + L.options, off + total - 4, at, this.sink, (code, vo, len) => {
      switch (code) {
        case OPT.comment:
          section.comment = text(buf, vo, len);
          break;
        case OPT.shb.hardware:
          section.hardware = text(buf, vo, len);
          break;
        case OPT.shb.os:
          section.os = text(buf, vo, len);
          break;
        case OPT.shb.userappl:
          section.userAppl = text(buf, vo, len);
          break;
      }
    });
    return total;
  }

  private interfaceDescription(buf: Uint8Array, dv: DataView, off: number, total: number, at: number): void {
    const L = BLOCK.idb;
    const le = this.le;
    const iface: CaptureInterface = {
      id: this.sink.interfaces.length,
      section: this.sink.sections.length - 1,
      sectionInterfaceId: this.ifaces.length,
      linkType: dv.getUint16(off + L.linkType, le),
      snaplen: dv.getUint32(off + L.snaplen, le),
      tsresol: 6,
      statistics: undefined,
    };
    let units = 1_000_000n;
    let offsetSec = 0n;
    forEachOption(dv, le, off + L.options, off + total - 4, at, this.sink, (code, vo, len) => {
      switch (code) {
        case OPT.idb.name:
          iface.name = text(buf, vo, len);
          break;
        case OPT.idb.description:
          iface.description = text(buf, vo, len);
          break;
        case OPT.idb.os:
          iface.os = text(buf, vo, len);
          break;
        case OPT.idb.hardware:
          iface.hardware = text(buf, vo, len);
          break;
        case OPT.idb.filter:
          if (len >= 1 && buf[vo] === 0) iface.filter = text(buf, vo + 1, len - 1);
          break;
        case OPT.idb.tsresol:
          if (len >= 1) {
            const r = buf[vo]!;
            iface.tsresol = r;
            units = r & 0x80 ? 1n << BigInt(r & 0x7f) : 10n ** BigInt(r);
          }
          break;
        case OPT.idb.tsoffset:
          if (len >= 8) {
            offsetSec = BigInt.asIntN(64, readU64(dv, vo, le));
            iface.tsoffset = Number(offsetSec);
          }
          break;
        case OPT.idb.fcslen:
          if (len >= 1) iface.fcsBits = buf[vo];
          break;
      }
    });
    this.sink.interfaces.push(iface);
    this.ifaces.push({
      global: iface.id,
      linkType: iface.linkType,
      snaplen: iface.snaplen,
      ts: { unitsPerSecond: units, offsetNs: offsetSec * NS_PER_SEC },
    });
  }

  private iface(localId: number, at: number, what: string): SectionInterface | undefined {
    const i = this.ifaces[localId];
    if (i === undefined) {
      this.sink.note(
        at,
        `pcapng: ${what} refers to interface ${localId}, but the section describes ${this.ifaces.length}; block skipped`,
      );
    }
    return i;
  }

  private enhancedPacket(buf: Uint8Array, dv: DataView, off: number, total: number, at: number): void {
    const L = BLOCK.epb;
    const le = this.le;
    const i = this.iface(dv.getUint32(off + L.interfaceId, le), at, 'enhanced packet block');
    if (i === undefined) return;
    const caplen = dv.getUint32(off + L.capturedLength, le);
    const room = total - L.min;
    if (caplen > room) {
      this.sink.note(
        at,
        `pcapng: enhanced packet block claims ${caplen} captured bytes but holds at most ${room}; block skipped`,
      );
      return;
    }
    let direction: Direction | undefined;
    let dropCount: bigint | undefined;
    let comments: string[] | undefined;
    let commentCount = 0;
    // The per-packet option walk is inlined (no closure) because this runs for every packet.
    const blockEnd = off + total - 4;
    for (let o = off + L.data + pad4(caplen); o + 4 <= blockEnd; ) {
      const code = dv.getUint16(o, le);
      const len = dv.getUint16(o + 2, le);
      if (code === OPT.endofopt) break;
      if (o + 4 + len > blockEnd) {
        this.sink.note(
          at,
          `pcapng: option ${code} of ${len} bytes runs past the end of its block; remaining options ignored`,
        );
        break;
      }
      if (code === OPT.epb.flags && len >= 4) direction = directionOf(dv.getUint32(o + 4, le));
      else if (code === OPT.epb.dropcount && len >= 8) dropCount = readU64(dv, o + 4, le);
      else if (code === OPT.comment) {
        commentCount++;
        if (commentCount <= MAX_PACKET_COMMENTS) {
          comments ??= [];
          comments.push(text(buf, o + 4, len));
        }
      }
      o += 4 + pad4(len);
    }
    if (commentCount > MAX_PACKET_COMMENTS)
      this.sink.note(at, `pcapng: ${commentCount} comments on one packet; those past ${MAX_PACKET_COMMENTS} ignored`);
    this.sink.packets.push({
      interfaceId: i.global,
      linkType: i.linkType,
      timestampNs: toNs(i.ts, dv.getUint32(off + L.tsHigh, le), dv.getUint32(off + L.tsLow, le)),
      capturedLength: caplen,
      originalLength: dv.getUint32(off + L.originalLength, le),
      data: buf.subarray(off + L.data, off + L.data + caplen),
      direction,
      dropCount,
      comments,
      offset: at,
    });
  }

  private simplePacket(buf: Uint8Array, dv: DataView, off: number, total: number, at: number): void {
    const L = BLOCK.spb;
    const i = this.iface(0, at, 'simple packet block');
    if (i === undefined) return;
    const orig = dv.getUint32(off + L.originalLength, this.le);
    // §4.4: the captured length is the original length capped by the interface's snaplen;
    // the block's own size bounds it as well.
    let caplen = Math.min(orig, total - L.min);
    if (i.snaplen !== 0) caplen = Math.min(caplen, i.snaplen);
    this.sink.packets.push({
      interfaceId: i.global,
      linkType: i.linkType,
      timestampNs: undefined,
      capturedLength: caplen,
      originalLength: orig,
      data: buf.subarray(off + L.data, off + L.data + caplen),
      direction: undefined,
      dropCount: undefined,
      comments: undefined,
      offset: at,
    });
  }

  private obsoletePacket(buf: Uint8Array, dv: DataView, off: number, total: number, at: number): void {
    const L = BLOCK.pb;
    const le = this.le;
    const i = this.iface(dv.getUint16(off + L.interfaceId, le), at, 'packet block');
    if (i === undefined) return;
    const caplen = dv.getUint32(off + L.capturedLength, le);
    const room = total - L.min;
    if (caplen > room) {
      this.sink.note(
        at,
        `pcapng: packet block claims ${caplen} captured bytes but holds at most ${room}; block skipped`,
      );
      return;
    }
    let direction: Direction | undefined;
    const optStart = off + L.data + pad4(caplen);
    const blockEnd = off + total - 4;
    if (optStart < blockEnd) {
      forEachOption(dv, le, optStart, blockEnd, at, this.sink, (code, vo, len) => {
        if (code === OPT.pb.flags && len >= 4) direction = directionOf(dv.getUint32(vo, le));
      });
    }
    const drops = dv.getUint16(off + L.dropsCount, le);
    this.sink.packets.push({
      interfaceId: i.global,
      linkType: i.linkType,
      timestampNs: toNs(i.ts, dv.getUint32(off + L.tsHigh, le), dv.getUint32(off + L.tsLow, le)),
      capturedLength: caplen,
      originalLength: dv.getUint32(off + L.originalLength, le),
      data: buf.subarray(off + L.data, off + L.data + caplen),
      direction,
      // 0xffff: "the drop count is not available"
      dropCount: drops === 0xffff ? undefined : BigInt(drops),
      comments: undefined,
      offset: at,
    });
  }

  private statistics(dv: DataView, off: number, total: number, at: number): void {
    const L = BLOCK.isb;
    const le = this.le;
    const i = this.iface(dv.getUint32(off + L.interfaceId, le), at, 'interface statistics block');
    if (i === undefined) return;
    const s: InterfaceStatistics = {
      timestampNs: toNs(i.ts, dv.getUint32(off + L.tsHigh, le), dv.getUint32(off + L.tsLow, le)),
    };
    forEachOption(dv, le, off + L.options, off + total - 4, at, this.sink, (code, vo, len) => {
      if (len < 8) return;
      switch (code) {
        case OPT.isb.starttime:
          s.startTimeNs = toNs(i.ts, dv.getUint32(vo, le), dv.getUint32(vo + 4, le));
          break;
        case OPT.isb.endtime:
          s.endTimeNs = toNs(i.ts, dv.getUint32(vo, le), dv.getUint32(vo + 4, le));
          break;
        case OPT.isb.ifrecv:
          s.ifRecv = readU64(dv, vo, le);
          break;
        case OPT.isb.ifdrop:
          s.ifDrop = readU64(dv, vo, le);
          break;
        case OPT.isb.filteraccept:
          s.filterAccept = readU64(dv, vo, le);
          break;
        case OPT.isb.osdrop:
          s.osDrop = readU64(dv, vo, le);
          break;
        case OPT.isb.usrdeliv:
          s.usrDeliv = readU64(dv, vo, le);
          break;
      }
    });
    this.sink.interfaces[i.global]!.statistics = s;
  }
}

function minBlockSize(type: number): number {
  switch (type) {
    case BLOCK.shb.type:
      return BLOCK.shb.min;
    case BLOCK.idb.type:
      return BLOCK.idb.min;
    case BLOCK.epb.type:
      return BLOCK.epb.min;
    case BLOCK.spb.type:
      return BLOCK.spb.min;
    case BLOCK.pb.type:
      return BLOCK.pb.min;
    case BLOCK.isb.type:
      return BLOCK.isb.min;
    default:
      return BLOCK.common.min;
  }
}

/**
 * Walks an option list. An option running past the block ends the walk with a note; the block's
 * fixed fields are still used, as Wireshark's "malformed option" handling is not worth copying.
 */
function forEachOption(
  dv: DataView,
  le: boolean,
  start: number,
  end: number,
  at: number,
  sink: DecoderSink,
  visit: (code: number, valueOffset: number, length: number) => void,
): void {
  let o = start;
  while (o + 4 <= end) {
    const code = dv.getUint16(o, le);
    const len = dv.getUint16(o + 2, le);
    if (code === OPT.endofopt) return;
    if (o + 4 + len > end) {
      sink.note(at, `pcapng: option ${code} of ${len} bytes runs past the end of its block; remaining options ignored`);
      return;
    }
    visit(code, o + 4, len);
    o += 4 + pad4(len);
  }
}

function directionOf(flags: number): Direction | undefined {
  switch (flags & 3) {
    case EPB_FLAGS_INBOUND:
      return 'in';
    case EPB_FLAGS_OUTBOUND:
      return 'out';
    default:
      return undefined;
  }
}

function readU64(dv: DataView, o: number, le: boolean): bigint {
  const a = dv.getUint32(o, le);
  const b = dv.getUint32(o + 4, le);
  const hi = le ? b : a;
  const lo = le ? a : b;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

function toNs(ts: TsConv, hi: number, lo: number): bigint {
  // One BigInt instead of three when the tick count fits a double exactly (µs since 1970 does).
  const ticks = hi < 0x200000 ? BigInt(hi * 4294967296 + lo) : (BigInt(hi) << 32n) | BigInt(lo);
  const u = ts.unitsPerSecond;
  // Finer than ns (e.g. ps) is truncated toward zero.
  const ns =
    u === NS_PER_SEC
      ? ticks
      : u < NS_PER_SEC && NS_PER_SEC % u === 0n
        ? ticks * (NS_PER_SEC / u)
        : (ticks * NS_PER_SEC) / u;
  return ts.offsetNs === 0n ? ns : ns + ts.offsetNs;
}

function text(buf: Uint8Array, o: number, len: number): string {
  let end = o + len;
  while (end > o && buf[end - 1] === 0) end--; // some writers count a terminating NUL
  return utf8Decoder.decode(buf.subarray(o, end));
}

function hex(v: number): string {
  return v.toString(16).padStart(8, '0');
}
