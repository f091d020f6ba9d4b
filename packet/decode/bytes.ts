// Big-endian reads. Callers check bounds first (a read past the end yields undefined → NaN → 0
// after the bitwise operators, never an exception, but a decoder must not rely on that).

export function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function u24(b: Uint8Array, o: number): number {
  return (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
}

export function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export function u16le(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}

export function u32le(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/** One's-complement sum of [start, end) as 16-bit words (odd byte padded), not yet folded. */
export function onesSum(b: Uint8Array, start: number, end: number, sum = 0): number {
  let i = start;
  for (; i + 1 < end; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (i < end) sum += b[i]! << 8;
  return sum;
}

/** Folds a one's-complement sum to 16 bits and complements it (0 means the checksum is right). */
export function foldChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** "[correct]" or "[incorrect, should be 0x…]" for a checksum `ck` whose covered bytes sum to `raw`. */
export function checksumStatus(raw: number, ck: number): string {
  if (foldChecksum(raw) === 0) return '[correct]';
  const should = foldChecksum(raw - ck);
  return `[incorrect, should be 0x${should.toString(16).padStart(4, '0')}]`;
}
