// ARP and RARP (RFC 826, RFC 903). Columns keep the link-layer addresses, as Wireshark's do.

import { u16 } from './bytes.js';
import { type Dissection, field } from './dissection.js';
import { hex16, hexColon, ipv4, mac } from './format.js';
import { etherTypeName } from './registry.js';

const OPCODES: ReadonlyMap<number, string> = new Map([
  [1, 'request'],
  [2, 'reply'],
  [3, 'reverse request'],
  [4, 'reverse reply'],
  [8, 'inverse request'],
  [9, 'inverse reply'],
]);

export function dissectArp(d: Dissection, off: number, end: number): void {
  const b = d.data;
  const L = d.treeLayer('arp', 'Address Resolution Protocol', off, Math.max(Math.min(end - off, 28), 0));
  d.protocol = 'ARP';
  d.info = '';
  if (end - off < 8) {
    d.short(L, 'ARP', 'ARP header', off + 8, end);
    return;
  }
  const htype = u16(b, off);
  const ptype = u16(b, off + 2);
  const hlen = b[off + 4]!;
  const plen = b[off + 5]!;
  const op = u16(b, off + 6);
  const opName = OPCODES.get(op) ?? 'unknown';
  if (op === 3 || op === 4) d.protocol = 'RARP';
  if (L) {
    L.fields.push(
      field('arp.hw.type', `Hardware type: ${htype === 1 ? 'Ethernet' : 'Unknown'} (${htype})`, off, 2, htype),
      field('arp.proto.type', `Protocol type: ${etherTypeName(ptype)} (${hex16(ptype)})`, off + 2, 2, ptype),
      field('arp.hw.size', `Hardware size: ${hlen}`, off + 4, 1, hlen),
      field('arp.proto.size', `Protocol size: ${plen}`, off + 5, 1, plen),
      field('arp.opcode', `Opcode: ${opName} (${op})`, off + 6, 2, op),
    );
    L.label = `Address Resolution Protocol (${opName})`;
  }
  const sha = off + 8;
  const spa = sha + hlen;
  const tha = spa + plen;
  const tpa = tha + hlen;
  const stop = tpa + plen;
  if (L) L.length = Math.min(stop, end) - off;
  if (stop > end) {
    d.short(L, 'ARP', 'ARP addresses', stop, end);
    return;
  }
  const ether = hlen === 6;
  const ip = ptype === 0x0800 && plen === 4;
  const hw = (o: number) => (ether ? mac(b, o) : hexColon(b, o, hlen));
  const pa = (o: number) => (ip ? ipv4(b, o) : hexColon(b, o, plen));
  const sHw = hw(sha);
  const sPa = pa(spa);
  const tHw = hw(tha);
  const tPa = pa(tpa);
  let zeroTha = true;
  for (let i = 0; i < hlen; i++)
    if (b[tha + i] !== 0) {
      zeroTha = false;
      break;
    }
  let sameIp = plen > 0;
  let zeroSpa = true;
  for (let i = 0; i < plen; i++) {
    if (b[spa + i] !== b[tpa + i]) sameIp = false;
    if (b[spa + i] !== 0) zeroSpa = false;
  }
  switch (op) {
    case 1:
      if (zeroSpa && zeroTha) d.info = `Who has ${tPa}? (ARP Probe)`;
      else if (sameIp && zeroTha) d.info = `ARP Announcement for ${sPa}`;
      else if (sameIp) d.info = `Gratuitous ARP for ${tPa} (Request)`;
      else d.info = `Who has ${tPa}? Tell ${sPa}`;
      break;
    case 2:
      d.info = sameIp ? `Gratuitous ARP for ${sPa} (Reply)` : `${sPa} is at ${sHw}`;
      break;
    case 3:
    case 8:
      d.info = `Who is ${tHw}? Tell ${sHw}`;
      break;
    case 4:
    case 9:
      d.info = `${tHw} is at ${tPa}`;
      break;
    default:
      d.info = `Unknown ARP opcode 0x${op.toString(16).padStart(4, '0')}`;
  }
  if (L) {
    const hwName = ether ? 'hw_mac' : 'hw';
    const paName = ip ? 'proto_ipv4' : 'proto';
    L.fields.push(
      field(`arp.src.${hwName}`, `Sender MAC address: ${sHw}`, sha, hlen, sHw),
      field(`arp.src.${paName}`, `Sender IP address: ${sPa}`, spa, plen, sPa),
      field(`arp.dst.${hwName}`, `Target MAC address: ${tHw}`, tha, hlen, tHw),
      field(`arp.dst.${paName}`, `Target IP address: ${tPa}`, tpa, plen, tPa),
    );
    if (op === 1 && sameIp && zeroTha) L.label = 'Address Resolution Protocol (ARP Announcement)';
  }
}
