// Text for addresses, numbers and packet-borne strings. Hot paths (every row of the table) use
// lookup tables rather than toString/padStart per byte.
//
// Packet-borne text (DNS names, HTTP lines, SNI) is data: escapeBytes() keeps printable ASCII and
// writes everything else as an escape, so a label can never carry control characters, markup
// that something might interpret, or bidirectional-override code points.

import { ipv6Text } from '../ip-address.js';

/** "0".."255" */
export const DEC: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));
/** "00".."ff" */
export const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Each byte as it appears in escaped text: printable ASCII as is, `\\` doubled, others `\xNN`. */
const ESC: readonly string[] = Array.from({ length: 256 }, (_, i) => {
  if (i === 0x5c) return '\\\\';
  if (i >= 0x20 && i < 0x7f) return String.fromCharCode(i);
  if (i === 0x0a) return '\\n';
  if (i === 0x0d) return '\\r';
  if (i === 0x09) return '\\t';
  return `\\x${HEX2[i]}`;
});

// Address text is cached (direct-mapped, 1024 entries per kind): a capture has few distinct
// addresses, and a cached string is already flat, so the table's hot path neither builds nor
// flattens them again.
const CACHE = 1024;
const v4Keys = new Float64Array(CACHE).fill(-1);
const v4Text: string[] = new Array<string>(CACHE).fill('');
const macKeys = new Float64Array(CACHE).fill(-1);
const macText: string[] = new Array<string>(CACHE).fill('');
const v6Keys = new Uint8Array(CACHE * 16);
const v6Used = new Uint8Array(CACHE);
const v6Text: string[] = new Array<string>(CACHE).fill('');

export function ipv4(b: Uint8Array, o: number): string {
  const k = ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  const h = (k ^ (k >>> 10) ^ (k >>> 20)) & (CACHE - 1);
  if (v4Keys[h] === k) return v4Text[h]!;
  const s = `${DEC[b[o]!]}.${DEC[b[o + 1]!]}.${DEC[b[o + 2]!]}.${DEC[b[o + 3]!]}`;
  v4Keys[h] = k;
  v4Text[h] = s;
  return s;
}

export function mac(b: Uint8Array, o: number): string {
  const hi = (b[o]! << 8) | b[o + 1]!;
  const lo = ((b[o + 2]! << 24) | (b[o + 3]! << 16) | (b[o + 4]! << 8) | b[o + 5]!) >>> 0;
  const k = hi * 4294967296 + lo;
  const h = (lo ^ (lo >>> 10) ^ hi) & (CACHE - 1);
  if (macKeys[h] === k) return macText[h]!;
  const s = `${HEX2[b[o]!]}:${HEX2[b[o + 1]!]}:${HEX2[b[o + 2]!]}:${HEX2[b[o + 3]!]}:${HEX2[b[o + 4]!]}:${HEX2[b[o + 5]!]}`;
  macKeys[h] = k;
  macText[h] = s;
  return s;
}

/** Bytes as colon-separated hex ("de:ad:be:ef"), for hardware addresses of other sizes. */
export function hexColon(b: Uint8Array, o: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += (i ? ':' : '') + HEX2[b[o + i]!];
  return s;
}

/** Bytes as plain hex ("deadbeef"). */
export function hexBytes(b: Uint8Array, o: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += HEX2[b[o + i]!];
  return s;
}

/** RFC 5952 text form: lowercase, no leading zeros, the longest run (≥ 2) of zero groups as "::". */
export function ipv6(b: Uint8Array, o: number): string {
  let h = 0;
  for (let i = 0; i < 16; i++) h = (h * 31 + b[o + i]!) | 0;
  h = (h ^ (h >>> 12)) & (CACHE - 1);
  if (v6Used[h]) {
    const base = h * 16;
    let same = true;
    for (let i = 0; i < 16; i++)
      if (v6Keys[base + i] !== b[o + i]) {
        same = false;
        break;
      }
    if (same) return v6Text[h]!;
  }
  const s = ipv6Text(b, o);
  for (let i = 0; i < 16; i++) v6Keys[h * 16 + i] = b[o + i]!;
  v6Used[h] = 1;
  v6Text[h] = s;
  return s;
}

export function hex16(v: number): string {
  return `0x${HEX2[(v >>> 8) & 0xff]}${HEX2[v & 0xff]}`;
}

export function hex8(v: number): string {
  return `0x${HEX2[v & 0xff]}`;
}

export function hex32(v: number): string {
  return `0x${HEX2[(v >>> 24) & 0xff]}${HEX2[(v >>> 16) & 0xff]}${HEX2[(v >>> 8) & 0xff]}${HEX2[v & 0xff]}`;
}

/**
 * Packet bytes as safe text, reading at most `max` bytes ("…" marks a cut). Printable ASCII
 * stays; valid UTF-8 stays too (names and paths may be internationalised) except control,
 * format and bidirectional-override characters; a backslash is doubled; everything else is
 * written as `\xNN` per byte.
 */
export function escapeBytes(b: Uint8Array, start: number, end: number, max = 1024): string {
  const stop = Math.min(end, start + max);
  let s = '';
  let i = start;
  // Fast path: plain printable ASCII, the common case.
  while (i < stop) {
    const c = b[i]!;
    if (c < 0x20 || c > 0x7e || c === 0x5c) break;
    i++;
  }
  if (i > start) s = latin1(b, start, i);
  while (i < stop) {
    const c = b[i]!;
    if (c < 0x80) {
      s += ESC[c];
      i++;
      continue;
    }
    const n = utf8Sequence(b, i, stop);
    if (n > 0) {
      let cp: number;
      if (n === 2) cp = ((c & 0x1f) << 6) | (b[i + 1]! & 0x3f);
      else if (n === 3) cp = ((c & 0x0f) << 12) | ((b[i + 1]! & 0x3f) << 6) | (b[i + 2]! & 0x3f);
      else cp = ((c & 0x07) << 18) | ((b[i + 1]! & 0x3f) << 12) | ((b[i + 2]! & 0x3f) << 6) | (b[i + 3]! & 0x3f);
      if (visible(cp)) {
        s += String.fromCodePoint(cp);
        i += n;
        continue;
      }
      for (let k = 0; k < n; k++) s += ESC[b[i + k]!];
      i += n;
      continue;
    }
    s += ESC[c];
    i++;
  }
  if (end > stop) s += '…';
  return s;
}

/** Length of a well-formed UTF-8 sequence at i (2..4), or 0. */
function utf8Sequence(b: Uint8Array, i: number, stop: number): number {
  const c = b[i]!;
  const cont = (k: number) => i + k < stop && (b[i + k]! & 0xc0) === 0x80;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    const c1 = b[i + 1]!;
    if (c === 0xe0 && c1 < 0xa0) return 0; // overlong
    if (c === 0xed && c1 >= 0xa0) return 0; // surrogates
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const c1 = b[i + 1]!;
    if (c === 0xf0 && c1 < 0x90) return 0;
    if (c === 0xf4 && c1 >= 0x90) return 0;
    return 4;
  }
  return 0;
}

/** Code points shown as themselves: not C1 controls, not invisible format or bidi controls. */
function visible(cp: number): boolean {
  if (cp < 0xa0) return false;
  if (cp === 0xad || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f))
    return false;
  if (cp === 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb)) return false;
  return true;
}

/** Printable ASCII bytes as a string without escaping (callers know the bytes are printable). */
export function latin1(b: Uint8Array, start: number, end: number): string {
  if (end - start > 12) return latin1Decoder.decode(b.subarray(start, end));
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** windows-1252 really, which equals ASCII for the printable bytes latin1() is given. */
const latin1Decoder = new TextDecoder('latin1');

/** bits() results, keyed by the layout and the bits shown (labels repeat across packets). */
const bitsMemo = new Map<number, string>();

/** "..00 0000 0110 0100" style: bits [top, top-width] of a `size`-bit value, as tree labels show them. */
export function bits(v: number, top: number, width: number, size = 16): string {
  const shown = width >= 31 ? v >>> 0 : (v >>> (top - width + 1)) & ((1 << width) - 1);
  const key = width <= 16 && size <= 32 ? ((size * 32 + top) * 32 + width) * 65536 + shown : -1;
  if (key >= 0) {
    const hit = bitsMemo.get(key);
    if (hit !== undefined) return hit;
  }
  let s = '';
  for (let i = size - 1; i >= 0; i--) {
    s += i <= top && i > top - width ? ((v >>> i) & 1 ? '1' : '0') : '.';
    if (i % 4 === 0 && i > 0) s += ' ';
  }
  if (key >= 0) {
    if (bitsMemo.size > 50_000) bitsMemo.clear();
    bitsMemo.set(key, s);
  }
  return s;
}

/** Seconds, as Wireshark writes a relative time (nine decimals). */
export function seconds(ns: number): string {
  const negative = ns < 0;
  const abs = Math.abs(Math.round(ns));
  const text = `${Math.floor(abs / 1e9)}.${String(abs % 1e9).padStart(9, '0')}`;
  return negative ? `-${text}` : text;
}
