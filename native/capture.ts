// The public face of the native addon: a typed binding, domain errors, and KernelCapture.
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { type CaptureRule, type Direction, encodeRules } from '../packet/capture-abi.js';

export interface RawInterface {
  name: string;
  index: number;
  up: boolean;
  running: boolean;
  loopback: boolean;
  hatype: number; // ARPHRD_*
  mac: string;
  rxPackets: number;
  txPackets: number;
  addresses: { family: 4 | 6; address: string; prefix: number }[];
}

export interface RawStats {
  ifindex: number;
  seen: number;
  matched: number;
  captured: number;
  dropped: number;
  capturedBytes: number;
}

export interface RawCapture {
  configure(options: { rules: Buffer; snaplen: number; directions: number; wakeupBytes: number }): void;
  attach(options: { name: string; netns?: string; direction: Direction; l2Len: number; forceTc?: boolean }): {
    ifindex: number;
    mode: 'tcx' | 'clsact';
  };
  detach(ifindex?: number): void;
  start(onBatch: (batch: Buffer) => void, onEnd: () => void): void;
  stop(): void;
  stats(): RawStats[];
  close(): void;
}

/** What the compiled addon exports; tests may inject a fake with the same shape. */
export interface RawBinding {
  Capture: new (objectPath: string, options: { ringBytes: number }) => RawCapture;
  listInterfaces(netns?: string): RawInterface[];
  clocks(): { realtimeNs: bigint; boottimeNs: bigint };
  libbpfVersion(): string;
  recordVersion: number;
}

/** Stable codes the CLI and the extension act on. */
export type CaptureErrorCode =
  | 'E_PRIVILEGE' // not root / missing CAP_BPF, CAP_NET_ADMIN
  | 'E_NO_BPF' // the kernel cannot load or attach our programs
  | 'E_NO_INTERFACE'
  | 'E_NO_NETNS'
  | 'E_ADDON' // the addon or BPF object is missing or broken
  | 'E_ATTACH'
  | 'E_INTERNAL';

export class CaptureError extends Error {
  constructor(
    readonly code: CaptureErrorCode,
    message: string,
    readonly errno?: string,
  ) {
    super(message);
    this.name = 'CaptureError';
  }
}

/** Files the agent bundle carries beside its JS: the addon and the BPF object. */
export function bundledFile(name: string): string {
  return path.join(__dirname, name);
}

export function loadBinding(addonPath = bundledFile('pcap_capture.node')): RawBinding {
  try {
    return createRequire(__filename)(addonPath) as RawBinding;
  } catch (e) {
    throw new CaptureError('E_ADDON', `cannot load the capture addon ${addonPath}: ${(e as Error).message}`);
  }
}

function errnoOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function firstLine(e: unknown): string {
  return String((e as Error).message ?? e).split('\n')[0];
}

/** Turns an addon error into a domain error, keeping the kernel's words. */
export function toCaptureError(e: unknown, fallback: CaptureErrorCode): CaptureError {
  if (e instanceof CaptureError) return e;
  const errno = errnoOf(e);
  const message = firstLine(e);
  if (errno === 'EPERM' || errno === 'EACCES') {
    return new CaptureError(
      'E_PRIVILEGE',
      `${message} (capturing needs root, or CAP_BPF + CAP_NET_ADMIN + CAP_PERFMON)`,
      errno,
    );
  }
  if (errno === 'ENOSYS') return new CaptureError('E_NO_BPF', `${message} (this kernel has no BPF support)`, errno);
  if (errno === 'ENODEV' || errno === 'ENXIO') return new CaptureError('E_NO_INTERFACE', message, errno);
  return new CaptureError(fallback, message, errno);
}

export const ARPHRD_ETHER = 1;
export const ARPHRD_LOOPBACK = 772;
export const ARPHRD_NONE = 0xfffe; // tun, wireguard: packets start at the IP header

/** Interfaces whose packets start at L3 in the TC hook. */
export function isRawIp(hatype: number): boolean {
  return hatype === ARPHRD_NONE || hatype === 65534 || hatype === 778 /* IPGRE */ || hatype === 776 /* SIT */;
}

export interface CaptureSettings {
  rules: readonly CaptureRule[];
  /** Never captured, whatever `rules` say (see encodeRules). */
  exclusions?: readonly CaptureRule[];
  snaplen: number;
  directions: readonly Direction[];
  /** Pending bytes that wake the reader; smaller = lower latency, more wakeups. */
  wakeupBytes?: number;
}

export interface AttachedInterface {
  name: string;
  ifindex: number;
  mode: 'tcx' | 'clsact';
  directions: Direction[];
}

const DEFAULT_WAKEUP_BYTES = 256 * 1024;

/** One loaded BPF object: configure, attach, stream batches, read counters, close. */
export class KernelCapture {
  private readonly raw: RawCapture;
  private running = false;
  private ended?: Promise<void>;

  constructor(
    readonly binding: RawBinding,
    options: { objectPath?: string; ringBytes: number },
  ) {
    const objectPath = options.objectPath ?? bundledFile('capture.bpf.o');
    try {
      this.raw = new binding.Capture(objectPath, { ringBytes: options.ringBytes });
    } catch (e) {
      const err = toCaptureError(e, 'E_NO_BPF');
      if (err.errno === 'ENOENT') throw new CaptureError('E_ADDON', err.message, err.errno);
      throw err;
    }
  }

  configure(settings: CaptureSettings): void {
    const mask = settings.directions.reduce((m, d) => m | (d === 'in' ? 1 : 2), 0);
    try {
      this.raw.configure({
        rules: encodeRules(settings.rules, settings.exclusions),
        snaplen: settings.snaplen,
        directions: mask,
        wakeupBytes: settings.wakeupBytes ?? DEFAULT_WAKEUP_BYTES,
      });
    } catch (e) {
      throw toCaptureError(e, 'E_INTERNAL');
    }
  }

  /**
   * Attaches the hooks for `directions`. On loopback every packet passes egress and then
   * ingress, so one hook sees everything: ingress, as libpcap shows loopback traffic.
   */
  attach(iface: RawInterface, directions: readonly Direction[], netns?: string, forceTc = false): AttachedInterface {
    const hooks: Direction[] = iface.loopback && directions.length === 2 ? ['in'] : [...directions];
    const l2Len = isRawIp(iface.hatype) ? 0 : 14;
    let result: AttachedInterface | undefined;
    for (const direction of hooks) {
      try {
        const { ifindex, mode } = this.raw.attach({ name: iface.name, netns, direction, l2Len, forceTc });
        result = { name: iface.name, ifindex, mode, directions: hooks };
      } catch (e) {
        if (result) this.raw.detach(result.ifindex);
        throw toCaptureError(e, 'E_ATTACH');
      }
    }
    if (!result) throw new CaptureError('E_INTERNAL', `no direction to attach on ${iface.name}`);
    return result;
  }

  detach(ifindex?: number): void {
    this.raw.detach(ifindex);
  }

  /** Streams batches of records (see packet/capture-abi.ts decodeRecords) until stop(). */
  start(onBatch: (batch: Buffer) => void): void {
    this.ended = new Promise((resolve) => this.raw.start(onBatch, resolve));
    this.running = true;
  }

  /** Detaches every hook, delivers what the ring still holds, and resolves when the last batch is out. */
  async stop(): Promise<void> {
    this.raw.detach();
    if (this.running) {
      this.running = false;
      this.raw.stop();
      await this.ended;
    }
  }

  stats(): RawStats[] {
    return this.raw.stats();
  }

  close(): void {
    this.raw.close();
  }
}

/** Wall-clock offset of CLOCK_BOOTTIME, so record timestamps become Unix time in ns. */
export function bootToWallOffsetNs(binding: RawBinding): bigint {
  const { realtimeNs, boottimeNs } = binding.clocks();
  return realtimeNs - boottimeNs;
}
