// One capture: the kernel side (KernelCapture), the encoder, the sinks, budgets and counters.
// Used by `pcap-agent capture` and by the PCA server mode.

import {
  type AttachedInterface,
  bootToWallOffsetNs,
  isRawIp,
  KernelCapture,
  type RawBinding,
  type RawInterface,
} from '../native/capture.js';
import type { CaptureRule, Direction } from '../packet/capture-abi.js';
import { type EncodedInterface, LINKTYPE_ETHERNET, LINKTYPE_RAW, PacketEncoder } from './encoder.js';
import type { EventLog, InterfaceStats, StopReason } from './events.js';
import type { OutputFormat } from './options.js';
import type { Sink } from './sinks.js';
import { AGENT_NAME } from './version.js';

export interface SessionOptions {
  format: OutputFormat;
  nanosecondPcap: boolean;
  rules: readonly CaptureRule[];
  /** Never captured, whatever `rules` say; kept across setFilter. */
  exclusions?: readonly CaptureRule[];
  /** The effective filter (exclusion included) as pcapng if_filter shows it. */
  filterText: string;
  snaplen: number;
  directions: readonly Direction[];
  ringBytes: number;
  netns?: string;
  forceClsact: boolean;
  count?: number;
  maxBytes?: number;
  statsIntervalMs: number;
  /** pcapng only: interface statistics blocks this often, so long captures report drops in-band. */
  isbIntervalMs: number;
}

export class CaptureSession {
  readonly encoder: PacketEncoder;
  private readonly kernel: KernelCapture;
  private readonly sinks: Sink[] = [];
  private readonly attached = new Map<number, AttachedInterface>();
  private readonly startNs: bigint;
  private readonly wallOffsetNs: bigint;
  private packets = 0;
  private bytes = 0;
  private stopping?: Promise<void>;
  private timers: NodeJS.Timeout[] = [];
  onStop: (reason: StopReason) => void = () => {};

  constructor(
    binding: RawBinding,
    private readonly options: SessionOptions,
    private readonly events: EventLog,
  ) {
    this.wallOffsetNs = bootToWallOffsetNs(binding);
    this.startNs = BigInt(Date.now()) * 1_000_000n;
    this.encoder = new PacketEncoder(options.format, {
      wallOffsetNs: this.wallOffsetNs,
      nanosecondPcap: options.nanosecondPcap,
      application: AGENT_NAME,
      snaplen: options.snaplen,
    });
    this.kernel = new KernelCapture(binding, { ringBytes: options.ringBytes });
    this.setFilter(options.rules);
  }

  /** Swaps the kernel filter while capturing: packets from now on match the new rules; the exclusion stays. */
  setFilter(rules: readonly CaptureRule[]): void {
    const { exclusions, snaplen, directions } = this.options;
    this.kernel.configure({ rules, exclusions, snaplen, directions });
  }

  /**
   * Adds an output. withHeader: write the capture header (pcapng SHB + IDBs so far, or the pcap
   * file header) to it first, counted against --max-bytes like everything written after it.
   */
  addSink(sink: Sink, withHeader = false): void {
    if (withHeader) {
      const header = this.encoder.header();
      sink.write(header, 0);
      this.bytes += header.length;
    }
    this.sinks.push(sink);
  }

  /** Announces the interface to readers (pcapng IDB) before any of its packets can arrive. */
  register(iface: RawInterface): void {
    if (this.encoder.knownInterfaces.some((k) => k.ifindex === iface.index)) return;
    const encoded: EncodedInterface = {
      name: iface.name,
      ifindex: iface.index,
      linkType: isRawIp(iface.hatype) ? LINKTYPE_RAW : LINKTYPE_ETHERNET,
      snaplen: this.options.snaplen,
      filter: this.options.filterText,
      description: this.options.netns ? `${iface.name} in ${this.options.netns}` : undefined,
    };
    this.broadcast(this.encoder.addInterface(encoded), 0);
  }

  start(): void {
    this.kernel.start((batch) => this.onBatch(batch));
    if (this.options.statsIntervalMs > 0) {
      this.timers.push(
        setInterval(() => this.events.emit({ event: 'stats', ...this.totals() }), this.options.statsIntervalMs),
      );
    }
    if (this.options.format === 'pcapng' && this.options.isbIntervalMs > 0) {
      this.timers.push(setInterval(() => this.broadcast(this.statisticsBlocks(), 0), this.options.isbIntervalMs));
    }
  }

  attach(iface: RawInterface): AttachedInterface {
    this.register(iface);
    const a = this.kernel.attach(iface, this.options.directions, this.options.netns, this.options.forceClsact);
    this.attached.set(a.ifindex, a);
    return a;
  }

  detach(ifindex: number): void {
    if (this.attached.delete(ifindex)) this.kernel.detach(ifindex);
  }

  detachAll(): void {
    for (const ifindex of [...this.attached.keys()]) this.detach(ifindex);
  }

  get attachedInterfaces(): AttachedInterface[] {
    return [...this.attached.values()];
  }

  private onBatch(batch: Buffer): void {
    const budget = {
      packets: (this.options.count ?? Infinity) - this.packets,
      bytes: (this.options.maxBytes ?? Infinity) - this.bytes,
    };
    const encoded = this.encoder.encodeBatch(batch, budget);
    this.packets += encoded.packets;
    this.broadcast(encoded.bytes, encoded.packets);
    if (encoded.exhausted || this.packets >= (this.options.count ?? Infinity)) {
      this.onStop(this.options.count !== undefined && this.packets >= this.options.count ? 'count' : 'max-bytes');
    }
  }

  /** Every byte written (packets, and interface and statistics blocks) counts against --max-bytes. */
  private broadcast(bytes: Uint8Array, packets: number): void {
    this.bytes += bytes.length;
    for (const s of this.sinks) s.write(bytes, packets);
  }

  private interfaceStats(): InterfaceStats[] {
    // Every announced interface, zeros included: the kernel creates an interface's counters with
    // its first packet, and an idle interface must still get its statistics block (ISB).
    const kernel = new Map(this.kernel.stats().map((s) => [s.ifindex, s]));
    return this.encoder.knownInterfaces.map((i) => {
      const s = kernel.get(i.ifindex);
      return {
        name: i.name,
        ifindex: i.ifindex,
        seen: s?.seen ?? 0,
        matched: s?.matched ?? 0,
        captured: s?.captured ?? 0,
        dropped: s?.dropped ?? 0,
      };
    });
  }

  totals() {
    const interfaces = this.interfaceStats();
    return {
      packets: this.packets,
      bytes: this.bytes,
      kernelDropped: interfaces.reduce((n, i) => n + i.dropped, 0),
      sinkDropped: this.sinks.reduce((n, s) => n + s.dropped, 0),
      interfaces,
    };
  }

  private statisticsBlocks(): Uint8Array {
    return this.encoder.statistics(this.interfaceStats(), this.startNs, BigInt(Date.now()) * 1_000_000n);
  }

  /** Detach, deliver what the kernel still holds, write final statistics, close every sink. */
  stop(reason: StopReason): Promise<void> {
    this.stopping ??= (async () => {
      for (const t of this.timers) clearInterval(t);
      await this.kernel.stop();
      this.attached.clear();
      const totals = this.totals();
      this.broadcast(this.statisticsBlocks(), 0);
      this.kernel.close();
      await Promise.all(this.sinks.map((s) => s.close()));
      const { interfaces: _, ...summary } = totals;
      this.events.emit({
        event: 'stopped',
        reason,
        ...summary,
        sinkDropped: this.sinks.reduce((n, s) => n + s.dropped, 0),
      });
    })();
    return this.stopping;
  }
}
