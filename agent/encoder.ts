// Kernel record batches → pcapng or classic pcap bytes, one buffer per batch.
import * as os from 'node:os';
import { type CaptureRecord, decodeRecords } from '../packet/capture-abi.js';
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

/** A raw-IP packet gets a zero-MAC Ethernet header in classic pcap, which has one link type. */
function syntheticEthertype(data: Uint8Array): number {
  return data.length > 0 && data[0] >> 4 === 6 ? 0x86dd : 0x0800;
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
    return concat([pcapng.encodeBlock(pcapng.sectionHeaderSize, pcapng.writeSectionHeader, shb), ...this.interfaces.map(idb)]);
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

  encodeBatch(batch: Buffer, budget: Budget): EncodedBatch {
    const records: CaptureRecord[] = [];
    let size = 0;
    let exhausted = false;
    for (const r of decodeRecords(batch)) {
      if (!this.ids.has(r.ifindex)) continue; // an interface detached while its records were in flight
      const n = this.recordSize(r);
      if (records.length >= budget.packets || size + n > budget.bytes) {
        exhausted = true;
        break;
      }
      records.push(r);
      size += n;
    }
    const out = new Uint8Array(size);
    let off = 0;
    for (const r of records) off = this.writeRecord(out, off, r);
    return { bytes: out, packets: records.length, exhausted };
  }

  private recordSize(r: CaptureRecord): number {
    if (this.format === 'pcapng') return pcapng.enhancedPacketSize(r.data.length, r.direction);
    return pcap.recordSize(r.data.length + (this.raw.has(r.ifindex) ? ETH_HEADER : 0));
  }

  private writeRecord(out: Uint8Array, off: number, r: CaptureRecord): number {
    const ts = r.tsBootNs + this.options.wallOffsetNs;
    if (this.format === 'pcapng') {
      const id = this.ids.get(r.ifindex)!;
      return pcapng.writeEnhancedPacket(out, off, id, ts, r.data, 0, r.data.length, r.origLen, r.direction);
    }
    if (!this.raw.has(r.ifindex)) {
      return pcap.writeRecord(out, off, ts, r.data, 0, r.data.length, r.origLen, this.options.nanosecondPcap);
    }
    const framed = new Uint8Array(ETH_HEADER + r.data.length);
    const type = syntheticEthertype(r.data);
    framed[12] = type >> 8;
    framed[13] = type & 0xff;
    framed.set(r.data, ETH_HEADER);
    return pcap.writeRecord(out, off, ts, framed, 0, framed.length, r.origLen + ETH_HEADER, this.options.nanosecondPcap);
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
