// Classic pcap: writer (the PCA-compatible TCP stream and `--format pcap`) and the record decoder
// behind CaptureFileReader. Format: https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04.html
//
// Runs in Node and in the browser: Uint8Array + DataView only.

import type { CapturedPacket, CaptureInterface, DecoderSink, StepResult } from './capture-file.js';
import { put16, put32 } from './little-endian.js';

const SPEC = 'https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04.html';

/** Layouts as byte offsets. */
export const PCAP = {
  /** §4 File Header. */
  fileHeader: {
    spec: `${SPEC}#section-4`,
    magic: 0,
    versionMajor: 4,
    versionMinor: 6,
    thiszone: 8,
    sigfigs: 12,
    snaplen: 16,
    linkType: 20,
    size: 24,
  },
  /** §5 Packet Record. */
  record: { spec: `${SPEC}#section-5`, tsSec: 0, tsFrac: 4, capturedLength: 8, originalLength: 12, size: 16 },
  /**
   * Kuznetzov's patched libpcap ("modified" magic): the standard record header followed by
   * ifindex u32, protocol u16, pkt_type u8 and a pad byte.
   */
  modifiedRecord: { ifindex: 16, protocol: 20, pktType: 22, size: 24 },
} as const;

export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
export const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;

/** Size of the file header writeFileHeader writes. */
export const PCAP_HEADER_SIZE = PCAP.fileHeader.size;

// A record longer than the link type allows is taken as corruption, and decoding stops: nothing
// else says where the next record starts. The limits are Wireshark's (wiretap
// wtap_max_snaplen_for_encap(), measured with capinfos 4.0: 256 KiB, but 128 MiB for D-Bus and
// the USB link types, 8 MiB for EBHSCR), so packet counts agree with capinfos. libpcap's
// (max_snaplen_for_dlt()) differ only in giving USBPCAP 1 MiB and other USB types 256 KiB.
// A record longer than the file's snaplen is kept whole, as Wireshark does; libpcap would keep
// the first snaplen bytes and skip the rest. Either way the packet counts.
const MAX_SNAPLEN_STANDARD = 262144;
const MAX_SNAPLEN_BY_LINKTYPE: ReadonlyMap<number, number> = new Map([
  [231, 128 * 1024 * 1024], // D-Bus
  [186, 128 * 1024 * 1024], // USB (FreeBSD)
  [189, 128 * 1024 * 1024], // USB Linux
  [220, 128 * 1024 * 1024], // USB Linux, memory-mapped
  [249, 128 * 1024 * 1024], // USBPcap
  [266, 128 * 1024 * 1024], // USB Darwin
  [279, 8 * 1024 * 1024], // EBHSCR
]);

export function maxCapturedLength(linkType: number): number {
  return MAX_SNAPLEN_BY_LINKTYPE.get(linkType) ?? MAX_SNAPLEN_STANDARD;
}

/** The longest record any link type may have. */
export const MAX_CAPTURED_LENGTH = Math.max(MAX_SNAPLEN_STANDARD, ...MAX_SNAPLEN_BY_LINKTYPE.values());

// ---------------------------------------------------------------------------------------------
// Writing (little-endian, version 2.4)

export interface PcapHeader {
  snaplen: number;
  linkType: number;
  /** true: magic 0xa1b23c4d, nanosecond timestamps; false: 0xa1b2c3d4, microseconds. */
  nanosecond: boolean;
}

function checkRoom(out: Uint8Array, off: number, size: number): void {
  if (off < 0 || off + size > out.length) {
    throw new RangeError(`pcap writer: need ${size} bytes at offset ${off}, buffer holds ${out.length}`);
  }
}

export function writeFileHeader(out: Uint8Array, off: number, h: PcapHeader): number {
  const L = PCAP.fileHeader;
  checkRoom(out, off, L.size);
  put32(out, off + L.magic, h.nanosecond ? PCAP_MAGIC_NSEC : PCAP_MAGIC_USEC);
  put16(out, off + L.versionMajor, 2);
  put16(out, off + L.versionMinor, 4);
  put32(out, off + L.thiszone, 0);
  put32(out, off + L.sigfigs, 0);
  put32(out, off + L.snaplen, h.snaplen);
  put32(out, off + L.linkType, h.linkType);
  return off + L.size;
}

/** Convenience for the cold path: the file header in a fresh array. */
export function encodeFileHeader(h: PcapHeader): Uint8Array {
  const out = new Uint8Array(PCAP_HEADER_SIZE);
  writeFileHeader(out, 0, h);
  return out;
}

export function recordSize(capturedLength: number): number {
  return PCAP.record.size + capturedLength;
}

const NS_PER_SEC = 1_000_000_000n;

/**
 * Writes one record without allocating beyond the timestamp split: bytes come from
 * `src[srcStart, srcStart + capturedLength)`. With `nanosecond` false the fraction is truncated
 * to microseconds. Timestamps before 1970 or after 2106 do not fit the u32 seconds field and wrap.
 */
export function writeRecord(
  out: Uint8Array,
  off: number,
  timestampNs: bigint,
  src: Uint8Array,
  srcStart: number,
  capturedLength: number,
  originalLength: number,
  nanosecond: boolean,
): number {
  const L = PCAP.record;
  checkRoom(out, off, L.size + capturedLength);
  if (srcStart < 0 || srcStart + capturedLength > src.length) {
    throw new RangeError(
      `pcap writer: packet bytes [${srcStart}, ${srcStart + capturedLength}) outside a source of ${src.length}`,
    );
  }
  const sec = timestampNs / NS_PER_SEC;
  const ns = Number(timestampNs - sec * NS_PER_SEC);
  put32(out, off + L.tsSec, Number(BigInt.asUintN(32, sec)));
  put32(out, off + L.tsFrac, nanosecond ? ns : Math.floor(ns / 1000));
  put32(out, off + L.capturedLength, capturedLength);
  put32(out, off + L.originalLength, originalLength);
  // A whole-array source needs no subarray view: no allocation on the common path.
  out.set(
    srcStart === 0 && capturedLength === src.length ? src : src.subarray(srcStart, srcStart + capturedLength),
    off + L.size,
  );
  return off + L.size + capturedLength;
}

// ---------------------------------------------------------------------------------------------
// Reading

interface Magic {
  le: boolean;
  nanosecond: boolean;
  modified: boolean;
}

function magicOf(dv: DataView, off: number): Magic | undefined {
  for (const le of [true, false]) {
    switch (dv.getUint32(off, le)) {
      case PCAP_MAGIC_USEC:
        return { le, nanosecond: false, modified: false };
      case PCAP_MAGIC_NSEC:
        return { le, nanosecond: true, modified: false };
      case PCAP_MAGIC_MODIFIED:
        return { le, nanosecond: false, modified: true };
    }
  }
  return undefined;
}

export function isPcapMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && magicOf(new DataView(bytes.buffer, bytes.byteOffset, 4), 0) !== undefined;
}

/**
 * Decodes the file header, then one record per step. A record whose captured length exceeds
 * what Wireshark accepts for the link type stops decoding: nothing else tells where the next
 * record starts.
 */
export class PcapDecoder {
  private magic: Magic | undefined;
  private iface: CaptureInterface | undefined;
  private recordSize: number = PCAP.record.size;
  /** Versions before 2.3 store orig_len before incl_len; 2.3 files were written both ways. */
  private lengths: 'plain' | 'swapped' | 'maybe' = 'plain';
  private maxCaplen = MAX_SNAPLEN_STANDARD;
  private notedOverSnaplen = false;
  private notedOverOriginal = false;
  private notedFraction = false;

  private view: DataView | undefined;
  private viewOf: Uint8Array | undefined;

  constructor(private readonly sink: DecoderSink) {}

  /** One DataView per pushed chunk, not per record. */
  private dataView(buf: Uint8Array): DataView {
    if (this.viewOf !== buf || this.view === undefined) {
      this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      this.viewOf = buf;
    }
    return this.view;
  }

  step(buf: Uint8Array, off: number, avail: number, streamOffset: number): StepResult {
    if (this.iface === undefined) return this.fileHeader(buf, off, avail, streamOffset);
    if (avail < this.recordSize) return -this.recordSize;
    const L = PCAP.record;
    const le = this.magic!.le;
    const dv = this.dataView(buf);
    let caplen = dv.getUint32(off + L.capturedLength, le);
    let orig = dv.getUint32(off + L.originalLength, le);
    if (this.lengths === 'swapped' || (this.lengths === 'maybe' && caplen > orig)) [caplen, orig] = [orig, caplen];
    if (caplen > this.maxCaplen) {
      this.sink.note(
        streamOffset,
        `pcap: record claims ${caplen} captured bytes, more than the ${this.maxCaplen} allowed for link type ${this.iface.linkType}; stopping`,
      );
      return 0;
    }
    const total = this.recordSize + caplen;
    if (avail < total) return -total;
    const snaplen = this.iface.snaplen;
    if (!this.notedOverSnaplen && snaplen !== 0 && caplen > snaplen) {
      this.notedOverSnaplen = true;
      this.sink.note(
        streamOffset,
        `pcap: record has ${caplen} captured bytes, more than the file's snaplen ${snaplen}; kept as recorded (noted once)`,
      );
    }
    if (!this.notedOverOriginal && caplen > orig) {
      this.notedOverOriginal = true;
      this.sink.note(
        streamOffset,
        `pcap: record has ${caplen} captured bytes but an original length of ${orig} (noted once)`,
      );
    }
    const sec = dv.getUint32(off + L.tsSec, le);
    const frac = dv.getUint32(off + L.tsFrac, le);
    if (!this.notedFraction && frac >= (this.magic!.nanosecond ? 1e9 : 1e6)) {
      // Wireshark keeps such a fraction unnormalised (and prints odd times); adding it is exact.
      this.notedFraction = true;
      this.sink.note(
        streamOffset,
        `pcap: timestamp fraction ${frac} is a second or more; added to the seconds (noted once)`,
      );
    }
    // sec * 1e9 + frac stays below 2^53 only until 1970 + 104 days, so this needs BigInt.
    const ns = BigInt(sec) * NS_PER_SEC + BigInt(this.magic!.nanosecond ? frac : frac * 1000);
    const data = off + this.recordSize;
    this.sink.packets.push({
      interfaceId: 0,
      linkType: this.iface.linkType,
      timestampNs: ns,
      capturedLength: caplen,
      originalLength: orig,
      data: buf.subarray(data, data + caplen),
      direction: undefined,
      dropCount: undefined,
      comments: undefined,
      offset: streamOffset,
    } satisfies CapturedPacket);
    return total;
  }

  private fileHeader(buf: Uint8Array, off: number, avail: number, at: number): StepResult {
    const L = PCAP.fileHeader;
    if (avail < L.size) return -L.size;
    const dv = new DataView(buf.buffer, buf.byteOffset + off, L.size);
    const magic = magicOf(dv, 0);
    if (magic === undefined) {
      this.sink.note(at, 'pcap: not a pcap file header; stopping');
      return 0;
    }
    const major = dv.getUint16(L.versionMajor, magic.le);
    const minor = dv.getUint16(L.versionMinor, magic.le);
    if (major < 2) {
      this.sink.note(at, `pcap: version ${major}.${minor} unsupported; stopping`);
      return 0;
    }
    if (major === 2 && minor < 3) this.lengths = 'swapped';
    else if (major === 2 && minor === 3) this.lengths = 'maybe';
    else if (major === 543) this.lengths = 'swapped'; // DG/UX tcpdump
    const network = dv.getUint32(L.linkType, magic.le);
    // The upper 16 bits hold the FCS length and reserved bits; the link type is the low 16.
    const linkType = network & 0xffff;
    this.magic = magic;
    this.recordSize = magic.modified ? PCAP.modifiedRecord.size : PCAP.record.size;
    this.maxCaplen = maxCapturedLength(linkType);
    this.iface = {
      id: 0,
      section: 0,
      sectionInterfaceId: 0,
      linkType,
      snaplen: dv.getUint32(L.snaplen, magic.le),
      tsresol: magic.nanosecond ? 9 : 6,
      statistics: undefined,
    };
    if ((network & 0x04000000) !== 0) this.iface.fcsBits = ((network >>> 28) & 0xf) * 16;
    this.sink.sections.push({ offset: at, littleEndian: magic.le, majorVersion: major, minorVersion: minor });
    this.sink.interfaces.push(this.iface);
    return L.size;
  }
}
