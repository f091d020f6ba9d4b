// Kernel record batches → pcapng or classic pcap bytes, one buffer per batch.
import * as os from 'node:os';
import { type Direction, LAYOUT, recordLength } from '../packet/capture-abi.js';
import * as pcap from '../packet/pcap.js';
import * as pcapng from '../packet/pcapng.js';
import type { OutputFormat } from './options.js';

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;

export interface EncodedInterface {
  name: string;
  ifindex: number;
  linkType: number;
  snaplen: number;
  filter: string;
  description?: string;
}

export interface Budget {
  packets: number; // still allowed
  bytes: number; // still allowed
}

export interface EncodedBatch {
  bytes: Uint8Array;
  packets: number;
  /** True when the budget ran out inside this batch. */
  exhausted: boolean;
}

export interface InterfaceCounters {
  ifindex: number;
  seen: number;
  matched: number;
  captured: number;
  dropped: number;
}

const ETH_HEADER = 14;
const NS_PER_SECOND = 1_000_000_000n;
const R = LAYOUT.record;

/** The record's direction byte: 0 is ingress (see bpf/capture.h). */
function directionOf(byte: number | undefined): Direction {
  return byte === 0 ? 'in' : 'out';
}

/** A raw-IP packet gets a zero-MAC Ethernet header in classic pcap, which has one link type. */
function syntheticEthertype(firstByte: number | undefined): number {
  return firstByte !== undefined && firstByte >> 4 === 6 ? 0x86dd : 0x0800;
}

export class PacketEncoder {
  private readonly ids = new Map<number, number>();
  private readonly raw = new Set<number>();
  private readonly interfaces: EncodedInterface[] = [];

  constructor(
    readonly format: OutputFormat,
    private readonly options: { wallOffsetNs: bigint; nanosecondPcap: boolean; application: string; snaplen: number },
  ) {}

  /** The bytes every reader needs first: pcapng SHB + IDBs so far, or the pcap file header. */
  header(): Uint8Array {
    if (this.format === 'pcap') {
      return pcap.encodeFileHeader({
        linkType: LINKTYPE_ETHERNET,
        snaplen: this.options.snaplen + ETH_HEADER,
        nanosecond: this.options.nanosecondPcap,
      });
    }
    const shb: pcapng.SectionHeader = { userAppl: this.options.application, os: `Linux ${os.release()}` };
    return concat([
      pcapng.encodeBlock(pcapng.sectionHeaderSize, pcapng.writeSectionHeader, shb),
      ...this.interfaces.map(idb),
    ]);
  }

  /** Registers an interface; returns the block announcing it (empty for classic pcap). */
  addInterface(iface: EncodedInterface): Uint8Array {
    this.ids.set(iface.ifindex, this.interfaces.length);
    if (iface.linkType === LINKTYPE_RAW) this.raw.add(iface.ifindex);
    this.interfaces.push(iface);
    return this.format === 'pcapng' ? idb(iface) : new Uint8Array(0);
  }

  get knownInterfaces(): readonly EncodedInterface[] {
    return this.interfaces;
  }

  /**
   * Encodes a batch in two passes over the record headers (sizes, then bytes) with no per-packet
   * objects or BigInt: this is the agent's hot path, tens of thousands of packets a second.
   */
  encodeBatch(batch: Buffer, budget: Budget): EncodedBatch {
    const src = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
    const accepted = this.accepted;
    accepted.length = 0;
    let size = 0;
    let exhausted = false;
    for (let off = 0; off < batch.length; ) {
      const capLen = recordLength(batch, src, off);
      const next = off + src.getUint16(off + R.hdr_len, true) + capLen;
      const ifindex = src.getUint32(off + R.ifindex, true);
      const id = this.ids.get(ifindex);
      if (id !== undefined) {
        // else an interface detached while its records were in flight
        const n =
          this.format === 'pcapng'
            ? pcapng.enhancedPacketSize(capLen, 'in') // every EPB carries its direction: the same size either way
            : pcap.PCAP.record.size + capLen + (this.raw.has(ifindex) ? ETH_HEADER : 0);
        if (accepted.length / 3 >= budget.packets || size + n > budget.bytes) {
          exhausted = true;
          break;
        }
        accepted.push(off, id, n);
        size += n;
      }
      off = next;
    }
    const out = new Uint8Array(size);
    const count = accepted.length / 3;
    if (count > 0) {
      const clock = new BatchClock(src, accepted[0]!, this.options.wallOffsetNs);
      const dst = new DataView(out.buffer);
      let o = 0;
      // accepted holds (offset, id, size) triples: i, i + 1 and i + 2 are in range.
      for (let i = 0; i < accepted.length; i += 3) {
        if (this.format === 'pcapng') this.writeEpb(batch, src, accepted[i]!, accepted[i + 1]!, out, o, clock);
        else this.writePcap(batch, src, accepted[i]!, out, dst, o, clock);
        o += accepted[i + 2]!;
      }
    }
    return { bytes: out, packets: count, exhausted };
  }

  /** Per accepted record: its offset in the batch, its interface id, its encoded size. */
  private readonly accepted: number[] = [];

  /** One Enhanced Packet Block with its direction in epb_flags, by the one EPB writer (packet/pcapng.ts). */
  private writeEpb(
    batch: Buffer,
    src: DataView,
    off: number,
    id: number,
    out: Uint8Array,
    o: number,
    clock: BatchClock,
  ): void {
    const hdrLen = src.getUint16(off + R.hdr_len, true);
    clock.setPcapng(off);
    pcapng.writeEnhancedPacketAt(
      out,
      o,
      id,
      clock,
      batch,
      off + hdrLen,
      src.getUint32(off + R.cap_len, true),
      src.getUint32(off + R.orig_len, true),
      directionOf(batch[off + R.direction]),
    );
  }

  /** One classic pcap record; raw-IP packets get a zero-MAC Ethernet header (one link type). */
  private writePcap(
    batch: Buffer,
    src: DataView,
    off: number,
    out: Uint8Array,
    dst: DataView,
    o: number,
    clock: BatchClock,
  ): void {
    const P = pcap.PCAP.record;
    const hdrLen = src.getUint16(off + R.hdr_len, true);
    const capLen = src.getUint32(off + R.cap_len, true);
    const framing = this.raw.has(src.getUint32(off + R.ifindex, true)) ? ETH_HEADER : 0;
    clock.setPcap(off);
    dst.setUint32(o + P.tsSec, clock.seconds, true);
    dst.setUint32(
      o + P.tsFrac,
      this.options.nanosecondPcap ? clock.nanoseconds : Math.floor(clock.nanoseconds / 1000),
      true,
    );
    dst.setUint32(o + P.capturedLength, capLen + framing, true);
    dst.setUint32(o + P.originalLength, src.getUint32(off + R.orig_len, true) + framing, true);
    if (framing) dst.setUint16(o + P.size + 12, syntheticEthertype(batch[off + hdrLen]), false);
    out.set(new Uint8Array(batch.buffer, batch.byteOffset + off + hdrLen, capLen), o + P.size + framing);
  }

  /** pcapng Interface Statistics Blocks for the counters given (nothing for classic pcap). */
  statistics(counters: readonly InterfaceCounters[], startNs: bigint, nowNs: bigint): Uint8Array {
    if (this.format !== 'pcapng') return new Uint8Array(0);
    const blocks: Uint8Array[] = [];
    for (const c of counters) {
      const id = this.ids.get(c.ifindex);
      if (id === undefined) continue;
      const isb: pcapng.InterfaceStatisticsInit = {
        interfaceId: id,
        timestampNs: nowNs,
        startTimeNs: startNs,
        endTimeNs: nowNs,
        ...pcapng.isbCountersFromAgent(c),
      };
      blocks.push(pcapng.encodeBlock(pcapng.interfaceStatisticsSize, pcapng.writeInterfaceStatistics, isb));
    }
    return concat(blocks);
  }
}

/**
 * Wall-clock time of records in one batch without BigInt per packet: the first record's time is
 * split once, and the others (nanoseconds to seconds later) are exact offsets from it.
 */
class BatchClock {
  private readonly baseHigh: number;
  private readonly baseLow: number;
  private readonly baseSeconds: number;
  private readonly baseNanos: number;
  private readonly offsetHigh: number;
  private readonly offsetLow: number;
  high = 0;
  low = 0;
  seconds = 0;
  nanoseconds = 0;

  constructor(
    private readonly src: DataView,
    firstRecord: number,
    wallOffsetNs: bigint,
  ) {
    this.baseLow = src.getUint32(firstRecord + R.ts_boot_ns, true);
    this.baseHigh = src.getUint32(firstRecord + R.ts_boot_ns + 4, true);
    const wall = src.getBigUint64(firstRecord + R.ts_boot_ns, true) + wallOffsetNs;
    this.baseSeconds = Number(wall / NS_PER_SECOND);
    this.baseNanos = Number(wall % NS_PER_SECOND);
    this.offsetLow = Number(BigInt.asUintN(32, wallOffsetNs));
    this.offsetHigh = Number(BigInt.asUintN(32, wallOffsetNs >> 32n));
  }

  /** pcapng's two u32 halves of the wall-clock ns. */
  setPcapng(record: number): void {
    const sum = this.src.getUint32(record + R.ts_boot_ns, true) + this.offsetLow;
    const carry = sum >= 0x100000000 ? 1 : 0;
    this.low = sum - carry * 0x100000000;
    this.high = (this.src.getUint32(record + R.ts_boot_ns + 4, true) + this.offsetHigh + carry) >>> 0;
  }

  /** pcap's seconds and nanoseconds, as an exact offset from the batch's first record. */
  setPcap(record: number): void {
    const low = this.src.getUint32(record + R.ts_boot_ns, true);
    const high = this.src.getUint32(record + R.ts_boot_ns + 4, true);
    const nanos = this.baseNanos + (high - this.baseHigh) * 0x100000000 + (low - this.baseLow);
    const carrySeconds = Math.floor(nanos / 1e9);
    this.seconds = (this.baseSeconds + carrySeconds) >>> 0;
    this.nanoseconds = nanos - carrySeconds * 1e9;
  }
}

function idb(iface: EncodedInterface): Uint8Array {
  const d: pcapng.InterfaceDescription = {
    linkType: iface.linkType,
    snaplen: iface.snaplen,
    name: iface.name,
    description: iface.description,
    filter: iface.filter,
  };
  return pcapng.encodeBlock(pcapng.interfaceDescriptionSize, pcapng.writeInterfaceDescription, d);
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
