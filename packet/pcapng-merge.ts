// Several live capture streams (pcapng or pcap), one per pod, merged into one pcapng stream in time
// order: one Interface Description Block per source interface, named as packet/k8s-pod.ts defines
// ("shop/cart-7d9:eth0"), and each packet written under its own interface.
//
// Live sources deliver packets late and unevenly, so a packet is held until it cannot be
// overtaken: every source still running has delivered something at least as late, or it is older
// than `holdNs` by the wall clock (a quiet source must not stall the others).
import { type CapturedPacket, CaptureFileReader, type InterfaceStatistics } from './capture-file.js';
import { type PodRef, podInterfaceName, podLabel } from './k8s-pod.js';
import {
  enhancedPacketSize,
  interfaceDescriptionSize,
  interfaceStatisticsSize,
  type SectionHeader,
  sectionHeaderSize,
  writeEnhancedPacket,
  writeInterfaceDescription,
  writeInterfaceStatistics,
  writeSectionHeader,
} from './pcapng.js';

/** How long a packet may wait for a quieter source: well above a live agent's delivery latency. */
export const DEFAULT_HOLD_NS = 500_000_000n;

class MergeSource {
  readonly reader = new CaptureFileReader();
  /** Output interface id per reader interface id. */
  readonly interfaceIds: number[] = [];
  /** The statistics last passed on, per reader interface id. */
  readonly statisticsSent: (InterfaceStatistics | undefined)[] = [];
  /** Packets not yet written: queue[head…], oldest first (each source is in time order). */
  queue: CapturedPacket[] = [];
  head = 0;
  latestNs = -1n;
  ended = false;
  packets = 0;

  readonly label: string;

  constructor(readonly pod: PodRef) {
    this.label = podLabel(pod);
  }

  peek(): CapturedPacket | undefined {
    return this.queue[this.head];
  }

  take(): CapturedPacket {
    const p = this.queue[this.head++]!;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    return p;
  }
}

export class PcapngMerger {
  private readonly sources: MergeSource[] = [];
  private nextInterfaceId = 0;

  private written = 0;
  private readonly holdNs: bigint;
  private readonly nowNs: () => bigint;
  private readonly maxPackets: number;

  constructor(
    private readonly write: (bytes: Uint8Array) => void,
    header: SectionHeader,
    options: {
      holdNs?: bigint;
      /** The wall clock in ns (a test's own clock). */
      nowNs?: () => bigint;
      /** Packets written at most, over all sources (a capture's --count). */
      maxPackets?: number;
    } = {},
  ) {
    this.holdNs = options.holdNs ?? DEFAULT_HOLD_NS;
    this.nowNs = options.nowNs ?? (() => BigInt(Date.now()) * 1_000_000n);
    this.maxPackets = options.maxPackets ?? Number.POSITIVE_INFINITY;
    const shb = new Uint8Array(sectionHeaderSize(header));
    writeSectionHeader(shb, 0, header);
    this.write(shb);
  }

  /** A new source: the capture of `pod`, its interfaces named "namespace/pod:name". Returns its
   *  number for push/end. */
  addSource(pod: PodRef): number {
    return this.sources.push(new MergeSource(pod)) - 1;
  }

  /** Bytes of source `n`, as they arrive. Malformed input is noted in its reader, never thrown. */
  push(n: number, chunk: Uint8Array): void {
    const s = this.sources[n]!;
    for (const p of s.reader.push(chunk)) this.enqueue(s, p);
    this.announceInterfaces(s);
    this.passStatistics(s);
    this.release();
  }

  /** Source `n` has ended: it holds back nobody any more. */
  end(n: number): void {
    const s = this.sources[n]!;
    for (const p of s.reader.end()) this.enqueue(s, p);
    this.passStatistics(s);
    s.ended = true;
    this.release();
  }

  /** Writes what waited long enough (call it now and then while sources are quiet). */
  tick(): void {
    this.release();
  }

  /** Every packet it may write is written (maxPackets). */
  get full(): boolean {
    return this.written >= this.maxPackets;
  }

  /** Packets written per source, and what its reader found wrong. */
  summary(): { label: string; packets: number; errors: readonly string[] }[] {
    return this.sources.map((s) => ({ label: s.label, packets: s.packets, errors: s.reader.errors }));
  }

  private enqueue(s: MergeSource, p: CapturedPacket): void {
    const ts = p.timestampNs ?? s.latestNs;
    if (ts > s.latestNs) s.latestNs = ts;
    s.queue.push({ ...p, timestampNs: ts });
  }

  private announceInterfaces(s: MergeSource): void {
    for (let i = s.interfaceIds.length; i < s.reader.interfaces.length; i++) {
      const iface = s.reader.interfaces[i]!;
      const d = {
        linkType: iface.linkType,
        snaplen: iface.snaplen,
        name: podInterfaceName({ ...s.pod, iface: iface.name ?? `if${iface.sectionInterfaceId}` }),
        description: iface.description,
        filter: iface.filter,
      };
      const idb = new Uint8Array(interfaceDescriptionSize(d));
      writeInterfaceDescription(idb, 0, d);
      this.write(idb);
      s.interfaceIds.push(this.nextInterfaceId++);
    }
  }

  /** A source's interface statistics blocks (each pod's counters and drops), under the merged
   *  interface ids, as soon as they come: they describe counts, not a moment in the packet order. */
  private passStatistics(s: MergeSource): void {
    s.reader.interfaces.forEach((iface, i) => {
      const stats = iface.statistics;
      const id = s.interfaceIds[i];
      if (!stats || stats === s.statisticsSent[i] || id === undefined) return;
      s.statisticsSent[i] = stats;
      const isb = { ...stats, interfaceId: id };
      const out = new Uint8Array(interfaceStatisticsSize(isb));
      writeInterfaceStatistics(out, 0, isb);
      this.write(out);
    });
  }

  /** The time up to which no running source can still deliver an earlier packet. */
  private safeUntil(): bigint {
    let until = this.nowNs() - this.holdNs;
    let allHeard = true;
    let earliestLatest: bigint | undefined;
    for (const s of this.sources) {
      if (s.ended) continue;
      if (s.latestNs < 0n) allHeard = false;
      else if (earliestLatest === undefined || s.latestNs < earliestLatest) earliestLatest = s.latestNs;
    }
    if (allHeard && earliestLatest === undefined) return BigInt(Number.MAX_SAFE_INTEGER) * 1_000_000_000n; // all ended
    if (allHeard && earliestLatest! > until) until = earliestLatest!;
    return until;
  }

  private release(): void {
    const until = this.safeUntil();
    for (;;) {
      let next: MergeSource | undefined;
      for (const s of this.sources) {
        const p = s.peek();
        if (p && (!next || p.timestampNs! < next.peek()!.timestampNs!)) next = s;
      }
      if (!next || next.peek()!.timestampNs! > until) return;
      this.writePacket(next, next.take());
    }
  }

  private writePacket(s: MergeSource, p: CapturedPacket): void {
    const id = s.interfaceIds[p.interfaceId];
    if (id === undefined || this.full) return; // an interface its stream never described; past maxPackets
    // Comments go along: a node-level agent's say which process each packet belongs to.
    const out = new Uint8Array(enhancedPacketSize(p.capturedLength, p.direction, undefined, p.comments));
    writeEnhancedPacket(
      out,
      0,
      id,
      p.timestampNs!,
      p.data,
      0,
      p.capturedLength,
      p.originalLength,
      p.direction,
      undefined,
      p.comments,
    );
    s.packets++;
    this.written++;
    this.write(out);
  }
}
