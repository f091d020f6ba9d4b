// Little-endian stores into a byte array, for the file writers (pcap, pcapng), which write in the
// byte order of the machines they run on. No DataView: one per small block costs more than these.

export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
}

export function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
}

export function put64(b: Uint8Array, o: number, v: number | bigint): void {
  if (typeof v === 'number') {
    // Safe integers only; the high word must not go through 32-bit bitwise operators.
    put32(b, o, v >>> 0);
    put32(b, o + 4, Math.floor(v / 4294967296) >>> 0);
  } else {
    const u = BigInt.asUintN(64, v);
    put32(b, o, Number(u & 0xffffffffn));
    put32(b, o + 4, Number(u >> 32n));
  }
}
