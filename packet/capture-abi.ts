// The user-space side of bpf/capture.h: rule encoding and ring-buffer record decoding.
// Offsets here are checked against the C compiler's by test/unit/capture-abi.test.ts.

export const CAP_RECORD_VERSION = 1;
export const CAP_MAX_RULES = 32;
export const CAP_MAX_SNAPLEN = 262144;

export type Direction = 'in' | 'out';

/** An address condition: `addr` pre-masked to `prefix` bits, in network order. */
export interface AddrMatch {
  family: 4 | 6;
  addr: Uint8Array; // 4 bytes for IPv4, 16 for IPv6
  prefix: number; // 0..32 or 0..128
}

/** Inclusive port range, host order. */
export interface PortRange {
  lo: number;
  hi: number;
}

/** One conjunction of conditions; a filter is the OR of its rules. Absent fields match anything. */
export interface CaptureRule {
  ethertype?: number; // after VLAN tags: 0x0800, 0x86dd, 0x0806…
  l4proto?: number; // IP protocol number (IPv4 or IPv6)
  direction?: Direction;
  sport?: PortRange;
  dport?: PortRange;
  port?: PortRange; // source or destination
  saddr?: AddrMatch;
  daddr?: AddrMatch;
  addr?: AddrMatch; // source or destination
}

export const MATCH = {
  ETHERTYPE: 1 << 0,
  L4PROTO: 1 << 1,
  SPORT: 1 << 2,
  DPORT: 1 << 3,
  PORT: 1 << 4,
  SADDR: 1 << 5,
  DADDR: 1 << 6,
  ADDR: 1 << 7,
  DIRECTION: 1 << 8,
  EXCLUDE: 1 << 9, // not a condition: a packet matching the rule is not captured
} as const;

/** Byte offsets of the C structs; the layout test compiles capture.h and compares. */
export const LAYOUT = {
  record: { size: 24, version: 0, direction: 1, hdr_len: 2, ifindex: 4, ts_boot_ns: 8, orig_len: 16, cap_len: 20 },
  addr: { size: 36, family: 0, addr: 4, mask: 20 },
  rule: {
    size: 132,
    match: 0,
    ethertype: 4,
    l4proto: 6,
    direction: 7,
    sport_lo: 8,
    sport_hi: 10,
    dport_lo: 12,
    dport_hi: 14,
    port_lo: 16,
    port_hi: 18,
    saddr: 24,
    daddr: 60,
    addr: 96,
  },
  config: { size: 24, active_bank: 0, nrules: 4, snaplen: 12, directions: 16, wakeup_bytes: 20 },
  iface: { size: 8, l2_len: 0 },
  stats: { size: 40, seen: 0, matched: 8, captured: 16, dropped: 24, captured_bytes: 32 },
} as const;

export const DIRECTION_CODE: Record<Direction, number> = { in: 0, out: 1 };

function writeAddr(buf: Buffer, off: number, m: AddrMatch): void {
  const L = LAYOUT.addr;
  const width = m.family === 4 ? 4 : 16;
  buf.writeUInt8(m.family, off + L.family);
  for (let i = 0; i < width; i++) {
    const bits = Math.max(0, Math.min(8, m.prefix - i * 8));
    const mask = bits === 0 ? 0 : (0xff << (8 - bits)) & 0xff;
    buf[off + L.mask + i] = mask;
    buf[off + L.addr + i] = (m.addr[i] ?? 0) & mask;
  }
}

function writeRange(buf: Buffer, off: number, r: PortRange): void {
  buf.writeUInt16LE(r.lo, off);
  buf.writeUInt16LE(r.hi, off + 2);
}

function writeRule(buf: Buffer, off: number, rule: CaptureRule, flags: number): void {
  const R = LAYOUT.rule;
  let match = flags;
  if (rule.ethertype !== undefined) {
    match |= MATCH.ETHERTYPE;
    buf.writeUInt16LE(rule.ethertype, off + R.ethertype);
  }
  if (rule.l4proto !== undefined) {
    match |= MATCH.L4PROTO;
    buf.writeUInt8(rule.l4proto, off + R.l4proto);
  }
  if (rule.direction !== undefined) {
    match |= MATCH.DIRECTION;
    buf.writeUInt8(DIRECTION_CODE[rule.direction], off + R.direction);
  }
  if (rule.sport) {
    match |= MATCH.SPORT;
    writeRange(buf, off + R.sport_lo, rule.sport);
  }
  if (rule.dport) {
    match |= MATCH.DPORT;
    writeRange(buf, off + R.dport_lo, rule.dport);
  }
  if (rule.port) {
    match |= MATCH.PORT;
    writeRange(buf, off + R.port_lo, rule.port);
  }
  if (rule.saddr) {
    match |= MATCH.SADDR;
    writeAddr(buf, off + R.saddr, rule.saddr);
  }
  if (rule.daddr) {
    match |= MATCH.DADDR;
    writeAddr(buf, off + R.daddr, rule.daddr);
  }
  if (rule.addr) {
    match |= MATCH.ADDR;
    writeAddr(buf, off + R.addr, rule.addr);
  }
  buf.writeUInt32LE(match, off + R.match);
}

/**
 * Encodes one rule bank as the kernel reads it (little-endian host: x86_64 and aarch64): the
 * exclusions first, flagged EXCLUDE (the program relies on that order), then the include rules.
 * A packet is captured iff it matches no exclusion and, when there are include rules, one of them.
 */
export function encodeRules(rules: readonly CaptureRule[], exclusions: readonly CaptureRule[] = []): Buffer {
  const total = exclusions.length + rules.length;
  if (total > CAP_MAX_RULES) {
    const what =
      exclusions.length > 0
        ? `filter and exclusion expand to ${rules.length} + ${exclusions.length} rules`
        : `filter expands to ${rules.length} rules`;
    throw new RangeError(`${what}; the kernel filter holds at most ${CAP_MAX_RULES}`);
  }
  const size = LAYOUT.rule.size;
  const buf = Buffer.alloc(total * size);
  for (const [i, rule] of exclusions.entries()) writeRule(buf, i * size, rule, MATCH.EXCLUDE);
  for (const [i, rule] of rules.entries()) writeRule(buf, (exclusions.length + i) * size, rule, 0);
  return buf;
}

/** One packet as the kernel recorded it; `data` is a view into the batch buffer. */
export interface CaptureRecord {
  direction: Direction;
  ifindex: number;
  tsBootNs: bigint;
  origLen: number;
  data: Buffer;
}

export class RecordFormatError extends Error {}

/**
 * Checks the record at `off` (version, framing) and returns its captured length; malformed
 * framing throws. Lets hot paths walk a batch without allocating.
 */
export function recordLength(batch: Uint8Array, view: DataView, off: number): number {
  const L = LAYOUT.record;
  if (batch.length - off < L.size) throw new RecordFormatError(`truncated record header at ${off}`);
  const version = batch[off + L.version];
  if (version !== CAP_RECORD_VERSION)
    throw new RecordFormatError(`record version ${version}, expected ${CAP_RECORD_VERSION}`);
  const hdrLen = view.getUint16(off + L.hdr_len, true);
  const capLen = view.getUint32(off + L.cap_len, true);
  if (hdrLen < L.size || off + hdrLen + capLen > batch.length)
    throw new RecordFormatError(`record at ${off} overruns its batch`);
  return capLen;
}

/** The records of a batch as objects (tests, tools; the agent's hot path uses walkRecords). */
export function decodeRecords(batch: Buffer): CaptureRecord[] {
  const L = LAYOUT.record;
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  const records: CaptureRecord[] = [];
  for (let off = 0; off < batch.length; ) {
    const capLen = recordLength(batch, view, off);
    const start = off + batch.readUInt16LE(off + L.hdr_len);
    records.push({
      direction: batch.readUInt8(off + L.direction) === 0 ? 'in' : 'out',
      ifindex: batch.readUInt32LE(off + L.ifindex),
      tsBootNs: batch.readBigUInt64LE(off + L.ts_boot_ns),
      origLen: batch.readUInt32LE(off + L.orig_len),
      data: batch.subarray(start, start + capLen),
    });
    off = start + capLen;
  }
  return records;
}
