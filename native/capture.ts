// The public face of the native addon: a typed binding, domain errors, and KernelCapture.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
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
  /**
   * Whether a capture filter will run on a link type: the expression compiled (a PROTO,PORT filter
   * becomes its tcpdump expression), or libpcap's own message when it refuses the expression (as
   * tcpdump prints it), or the eBPF translation's reason. Needs no privilege.
   */
  compileFilter(
    expr: string,
    linkType: 'ethernet' | 'raw',
  ): { ok: true; expression: string } | { ok: false; error: string };
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
  const text = String((e as Error).message ?? e);
  return text.split('\n')[0] ?? text;
}

/** What the host offers BPF, read when something fails, to say what is missing. */
export interface BpfHostFacts {
  /** This process's effective capabilities (CapEff), when readable. */
  capEff?: bigint;
  /** /sys/kernel/btf/vmlinux exists: the kernel carries the BTF our programs are built against. */
  btf: boolean;
  /** RLIMIT_MEMLOCK in bytes (Infinity: unlimited), when readable. */
  memlockBytes?: number;
  /** The kernel release (uname -r). */
  kernel: string;
}

const CAP_NET_ADMIN = 12;
const CAP_SYS_ADMIN = 21;
const CAP_PERFMON = 38;
const CAP_BPF = 39;

function readProcField(file: string, re: RegExp): string | undefined {
  try {
    return re.exec(fs.readFileSync(file, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

export function readBpfHostFacts(): BpfHostFacts {
  const capEff = readProcField('/proc/self/status', /^CapEff:\s*([0-9a-f]+)$/m);
  const memlock = readProcField('/proc/self/limits', /^Max locked memory\s+(\S+)/m);
  return {
    capEff: capEff === undefined ? undefined : BigInt(`0x${capEff}`),
    btf: fs.existsSync('/sys/kernel/btf/vmlinux'),
    memlockBytes:
      memlock === undefined ? undefined : memlock === 'unlimited' ? Number.POSITIVE_INFINITY : Number(memlock),
    kernel: os.release(),
  };
}

/** The capabilities capturing needs that `capEff` lacks (CAP_SYS_ADMIN stands in for CAP_BPF and CAP_PERFMON). */
export function missingCapabilities(capEff: bigint): string[] {
  const has = (bit: number) => ((capEff >> BigInt(bit)) & 1n) === 1n;
  const admin = has(CAP_SYS_ADMIN);
  const needed: [string, boolean][] = [
    ['CAP_BPF', has(CAP_BPF) || admin],
    ['CAP_NET_ADMIN', has(CAP_NET_ADMIN)],
    ['CAP_PERFMON', has(CAP_PERFMON) || admin],
  ];
  return needed.filter(([, present]) => !present).map(([name]) => name);
}

const PRIVILEGE_HINT =
  'capturing needs root, or CAP_BPF + CAP_NET_ADMIN + CAP_PERFMON (in a container: --cap-add BPF --cap-add NET_ADMIN --cap-add PERFMON)';

/** EPERM/EACCES from bpf(): a missing capability, else the locked-memory limit, else a policy. */
function explainPermission(facts: BpfHostFacts): string {
  const missing = facts.capEff === undefined ? undefined : missingCapabilities(facts.capEff);
  if (missing === undefined) return PRIVILEGE_HINT;
  if (missing.length > 0) return `this process lacks ${missing.join(', ')}; ${PRIVILEGE_HINT}`;
  if (chargesMemlock(facts.kernel) && facts.memlockBytes !== undefined && Number.isFinite(facts.memlockBytes)) {
    return (
      `the capabilities are there, but the locked-memory limit is ${Math.floor(facts.memlockBytes / 1024)} KiB ` +
      `and this kernel (${facts.kernel}) counts BPF maps against it: raise it (ulimit -l unlimited, or LimitMEMLOCK=infinity)`
    );
  }
  return 'the capabilities are there, so something else forbids BPF: a seccomp profile (container runtimes block bpf() by default), kernel lockdown, or a security module';
}

/** Kernels before 5.11 count BPF maps against RLIMIT_MEMLOCK (later ones use memory cgroups). */
function chargesMemlock(kernel: string): boolean {
  const [major = 0, minor = 0] = kernel.split(/[.-]/).map(Number);
  return major < 5 || (major === 5 && minor < 11);
}

const NO_BTF =
  'this kernel has no BTF (/sys/kernel/btf/vmlinux is missing): capturing needs Linux >= 5.8 built with CONFIG_DEBUG_INFO_BTF';

/** Turns an addon error into a domain error, keeping the kernel's words and naming what is missing. */
export function toCaptureError(
  e: unknown,
  fallback: CaptureErrorCode,
  facts: () => BpfHostFacts = readBpfHostFacts,
): CaptureError {
  if (e instanceof CaptureError) return e;
  const errno = errnoOf(e);
  const message = firstLine(e);
  if (errno === 'EPERM' || errno === 'EACCES') {
    return new CaptureError('E_PRIVILEGE', `${message} (${explainPermission(facts())})`, errno);
  }
  if (errno === 'ENOSYS') {
    return new CaptureError('E_NO_BPF', `${message} (this kernel has no bpf() system call: CONFIG_BPF_SYSCALL)`, errno);
  }
  if (errno === 'ENODEV' || errno === 'ENXIO') return new CaptureError('E_NO_INTERFACE', message, errno);
  return new CaptureError(fallback, message, errno);
}

/** A failure to load the BPF object: privilege first, then the kernel features the programs need. */
export function toLoadError(e: unknown, facts: () => BpfHostFacts = readBpfHostFacts): CaptureError {
  const err = toCaptureError(e, 'E_NO_BPF', facts);
  if (err.errno === 'ENOENT') return new CaptureError('E_ADDON', err.message, err.errno);
  if (err.code !== 'E_NO_BPF' || err.errno === undefined) return err; // not the kernel's answer
  if (!facts().btf) return new CaptureError('E_NO_BPF', `${err.message} (${NO_BTF})`, err.errno);
  return new CaptureError(
    'E_NO_BPF',
    `${err.message} (the kernel refused the capture programs: they need Linux >= 5.8 with BPF ring buffers)`,
    err.errno,
  );
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
  /** Read only when something fails (tests pass their own). */
  private readonly hostFacts: () => BpfHostFacts;
  private running = false;
  private ended?: Promise<void>;

  constructor(
    readonly binding: RawBinding,
    options: { objectPath?: string; ringBytes: number; hostFacts?: () => BpfHostFacts },
  ) {
    const objectPath = options.objectPath ?? bundledFile('capture.bpf.o');
    this.hostFacts = options.hostFacts ?? readBpfHostFacts;
    try {
      this.raw = new binding.Capture(objectPath, { ringBytes: options.ringBytes });
    } catch (e) {
      throw toLoadError(e, this.hostFacts);
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
      throw toCaptureError(e, 'E_INTERNAL', this.hostFacts);
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
        throw toCaptureError(e, 'E_ATTACH', this.hostFacts);
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
