// PPP (link type 9, RFC 1661; HDLC-like framing of RFC 1662 when it starts ff 03), PPP in HDLC
// framing (50) and Cisco HDLC (104): only the header, then IPv4/IPv6 through the ethertype table.

import { u16, u32 } from './bytes.js';
import { type Dissection, field } from './dissection.js';
import { hex16, ipv4 } from './format.js';
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
  // On Cisco HDLC 0x8035 is SLARP, not the RARP it is on Ethernet.
  if (type === SLARP) dissectSlarp(d, off + 4, end);
  else dispatchEtherType(d, type, off + 4, end, rend);
}

const SLARP = 0x8035;
const SLARP_REQUEST = 0;
const SLARP_REPLY = 1;
const SLARP_KEEPALIVE = 2;

/** Cisco's Serial Line ARP: an address request or reply, or a line keepalive (Wireshark's
 *  packet-slarp.c: the same Info). */
function dissectSlarp(d: Dissection, off: number, end: number): void {
  const b = d.data;
  const L = d.treeLayer('slarp', 'Cisco SLARP', off, Math.max(end - off, 0));
  d.protocol = 'SLARP';
  if (end - off < 4) {
    d.short(L, 'SLARP', 'SLARP packet type', off + 4, end);
    return;
  }
  const type = u32(b, off);
  const names: Record<number, string> = {
    [SLARP_REQUEST]: 'Request',
    [SLARP_REPLY]: 'Reply',
    [SLARP_KEEPALIVE]: 'Line keepalive',
  };
  const name = names[type];
  L?.fields.push(field('slarp.ptype', `Packet type: ${name ?? 'Unknown'} (${type})`, off, 4, type));
  if (name === undefined) {
    d.info = `Unknown packet type 0x${type.toString(16).toUpperCase().padStart(8, '0')}`;
    return;
  }
  if (type === SLARP_KEEPALIVE) {
    if (end - off < 12) {
      d.short(L, 'SLARP', 'SLARP keepalive', off + 12, end);
      return;
    }
    const mine = u32(b, off + 4);
    const yours = u32(b, off + 8);
    L?.fields.push(
      field('slarp.mysequence', `Outgoing sequence number: ${mine}`, off + 4, 4, mine),
      field('slarp.yoursequence', `Returned sequence number: ${yours}`, off + 8, 4, yours),
    );
    d.info = `Line keepalive, outgoing sequence ${mine}, returned sequence ${yours}`;
    return;
  }
  if (end - off < 12) {
    d.short(L, 'SLARP', 'SLARP address and mask', off + 12, end);
    return;
  }
  const address = ipv4(b, off + 4);
  const mask = ipv4(b, off + 8);
  L?.fields.push(
    field('slarp.address', `Address: ${address}`, off + 4, 4, address),
    field('slarp.mask', `Netmask: ${mask}`, off + 8, 4, mask),
  );
  d.info = `${name}, from ${address}, mask ${mask}`;
}

/** Link type 50: PPP in HDLC framing, or Cisco HDLC when the address byte says so. */
export function dissectPppHdlc(d: Dissection, off: number, end: number, rend: number): void {
  if (end - off >= 1 && (d.data[off] === 0x0f || d.data[off] === 0x8f)) dissectCiscoHdlc(d, off, end, rend);
  else dissectPpp(d, off, end, rend);
}
