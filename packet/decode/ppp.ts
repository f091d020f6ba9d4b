// PPP (link type 9, RFC 1661; HDLC-like framing of RFC 1662 when it starts ff 03), PPP in HDLC
// framing (50) and Cisco HDLC (104): only the header, then IPv4/IPv6 through the ethertype table.

import { u16 } from './bytes.js';
import { type Dissection, field } from './dissection.js';
import { hex16 } from './format.js';
import { dispatchEtherType } from './registry.js';

const PPP_PROTOCOLS: ReadonlyMap<number, [string, number?]> = new Map([
  [0x0021, ['Internet Protocol version 4', 0x0800]],
  [0x0057, ['Internet Protocol version 6', 0x86dd]],
  [0x0281, ['MPLS', 0x8847]],
  [0x8021, ['Internet Protocol Control Protocol']],
  [0x8057, ['IPv6 Control Protocol']],
  [0xc021, ['Link Control Protocol']],
  [0xc023, ['Password Authentication Protocol']],
  [0xc223, ['Challenge Handshake Authentication Protocol']],
  [0x80fd, ['Compression Control Protocol']],
]);

export function dissectPpp(d: Dissection, off: number, end: number, rend: number): void {
  const b = d.data;
  const L = d.treeLayer('ppp', 'Point-to-Point Protocol', off, Math.max(Math.min(end - off, 4), 0));
  d.protocol = 'PPP';
  let o = off;
  if (end - o >= 2 && b[o] === 0xff && b[o + 1] === 0x03) {
    L?.fields.push(
      field('ppp.address', 'Address: 0xff', o, 1, 0xff),
      field('ppp.control', 'Control: 0x03', o + 1, 1, 3),
    );
    o += 2;
  }
  if (end - o < 1 || (!(b[o]! & 1) && end - o < 2)) {
    d.short(L, 'PPP', 'PPP protocol field', o + 2, end);
    return;
  }
  // Protocol-field compression: an odd first byte is a one-byte protocol.
  const proto = b[o]! & 1 ? b[o]! : u16(b, o);
  const plen = b[o]! & 1 ? 1 : 2;
  const entry = PPP_PROTOCOLS.get(proto);
  if (L) {
    L.length = o + plen - off;
    L.fields.push(field('ppp.protocol', `Protocol: ${entry?.[0] ?? 'Unknown'} (${hex16(proto)})`, o, plen, proto));
  }
  d.info = entry?.[0] ?? `Unknown PPP protocol (${hex16(proto)})`;
  if (entry?.[1] !== undefined) dispatchEtherType(d, entry[1], o + plen, end, rend);
  else if (proto >= 0x8000) d.protocol = proto >= 0xc000 ? 'PPP LCP' : 'PPP';
}

/** Cisco HDLC: address, control, then an ethertype. */
export function dissectCiscoHdlc(d: Dissection, off: number, end: number, rend: number): void {
  const b = d.data;
  const L = d.treeLayer('chdlc', 'Cisco HDLC', off, Math.max(Math.min(end - off, 4), 0));
  d.protocol = 'CHDLC';
  if (end - off < 4) {
    d.short(L, 'CHDLC', 'Cisco HDLC header', off + 4, end);
    return;
  }
  const type = u16(b, off + 2);
  L?.fields.push(
    field(
      'chdlc.address',
      `Address: ${b[off] === 0x8f ? 'Multicast' : 'Unicast'} (0x${b[off]!.toString(16)})`,
      off,
      1,
      b[off]!,
    ),
    field('chdlc.protocol', `Protocol: ${hex16(type)}`, off + 2, 2, type),
  );
  dispatchEtherType(d, type, off + 4, end, rend);
}

/** Link type 50: PPP in HDLC framing, or Cisco HDLC when the address byte says so. */
export function dissectPppHdlc(d: Dissection, off: number, end: number, rend: number): void {
  if (end - off >= 1 && (d.data[off] === 0x0f || d.data[off] === 0x8f)) dissectCiscoHdlc(d, off, end, rend);
  else dissectPpp(d, off, end, rend);
}
