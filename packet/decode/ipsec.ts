// IPsec: AH (RFC 4302, an extension header whose payload is decoded) and ESP (RFC 4303, whose
// payload is encrypted: the decode stops there).

import { u32 } from './bytes.js';
import { type Dissection, field } from './dissection.js';
import { hex32, hexBytes } from './format.js';
import { ipProtoName } from './names.js';
import { dispatchIpProto } from './registry.js';

/** Decodes the AH header; returns its length, or -1 after noting a problem. */
export function parseAh(d: Dissection, off: number, end: number): number {
  const b = d.data;
  const L = d.treeLayer('ah', 'Authentication Header', off, Math.max(Math.min(end - off, 12), 0));
  if (end - off < 12) {
    d.short(L, 'AH', 'AH header', off + 12, end);
    return -1;
  }
  const next = b[off]!;
  const len = (b[off + 1]! + 2) * 4;
  const spi = u32(b, off + 4);
  const seq = u32(b, off + 8);
  if (L) {
    L.length = Math.min(len, end - off);
    L.fields.push(
      field('ah.next_header', `Next header: ${ipProtoName(next)} (${next})`, off, 1, next),
      field('ah.length', `Length: ${len}`, off + 1, 1, len),
      field('ah.spi', `AH SPI: ${hex32(spi)}`, off + 4, 4, spi),
      field('ah.sequence', `AH Sequence: ${seq}`, off + 8, 4, seq),
    );
    if (len > 12 && off + len <= end)
      L.fields.push(field('ah.icv', `AH ICV: ${hexBytes(b, off + 12, len - 12)}`, off + 12, len - 12));
  }
  if (len < 12 || off + len > end) {
    if (len < 12) d.malformed(L, 'AH', `bad length ${len}`, off + 1, 1);
    else d.short(L, 'AH', 'AH header', off + len, end);
    return -1;
  }
  return len;
}

/** AH over IPv4 (IPv6 handles it among its extension headers). */
export function dissectAh(d: Dissection, off: number, end: number, rend: number): void {
  d.protocol = 'AH';
  d.info = 'AH';
  const len = parseAh(d, off, end);
  if (len < 0) return;
  d.info = `AH (SPI=${hex32(u32(d.data, off + 4))})`;
  const next = d.data[off]!;
  if (off + len < rend && !dispatchIpProto(d, next, off + len, end, rend) && d.recordsLayers)
    d.dataLayer(off + len, end);
}

export function dissectEsp(d: Dissection, off: number, end: number): void {
  const b = d.data;
  const L = d.treeLayer('esp', 'Encapsulating Security Payload', off, Math.max(end - off, 0));
  d.protocol = 'ESP';
  if (end - off < 8) {
    d.info = 'ESP';
    d.short(L, 'ESP', 'ESP header', off + 8, end);
    return;
  }
  const spi = u32(b, off);
  const seq = u32(b, off + 4);
  d.info = `ESP (SPI=${hex32(spi)})`;
  if (L) {
    L.fields.push(
      field('esp.spi', `ESP SPI: ${hex32(spi)} (${spi})`, off, 4, spi),
      field('esp.sequence', `ESP Sequence: ${seq}`, off + 4, 4, seq),
    );
    if (end > off + 8)
      L.fields.push(field('esp.encrypted_data', `Encrypted Data: ${end - off - 8} bytes`, off + 8, end - off - 8));
  }
}
