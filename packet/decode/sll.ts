// Linux "cooked" captures: SLL (link type 113, 16-byte header) and SLL2 (276, 20 bytes).
// https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html, …/LINKTYPE_LINUX_SLL2.html

import { u16, u32 } from './bytes.js';
import { type Dissection, field } from './dissection.js';
import { hex16, hexColon, mac } from './format.js';
import { dispatchEtherType, etherTypeName, LLC } from './registry.js';
import type { Layer } from './types.js';

/** Linux's ARPHRD_NETLINK: a cooked capture of netlink messages, no IP. */
export const ARPHRD_NETLINK = 824;

const PACKET_TYPES = ['Unicast to us', 'Broadcast', 'Multicast', 'Unicast to another host', 'Sent by us'];

const ARPHRD: ReadonlyMap<number, string> = new Map([
  [1, 'Ethernet'],
  [24, 'IEEE 1394'],
  [32, 'InfiniBand'],
  [512, 'PPP'],
  [772, 'Loopback'],
  [776, 'IPv6-in-IPv4'],
  [778, 'GRE'],
  [801, 'IEEE 802.11'],
  [824, 'Netlink'],
  [65534, 'None'],
]);

function packetType(t: number): string {
  return PACKET_TYPES[t] ?? `Unknown (${t})`;
}

/** SLL v1: pkttype(2) hatype(2) halen(2) addr(8) protocol(2). */
export function dissectSll(d: Dissection, off: number, end: number, rend: number): void {
  const b = d.data;
  const L = d.treeLayer('sll', 'Linux cooked capture v1', off, Math.min(16, Math.max(end - off, 0)));
  d.protocol = 'SLL';
  if (end - off < 16) {
    d.short(L, 'SLL', 'Linux cooked header', off + 16, end);
    return;
  }
  const pkttype = u16(b, off);
  const hatype = u16(b, off + 2);
  const halen = u16(b, off + 4);
  const proto = u16(b, off + 14);
  setSource(d, off + 6, halen, hatype);
  d.info = packetType(pkttype);
  if (L) {
    L.fields.push(
      field('sll.pkttype', `Packet type: ${packetType(pkttype)} (${pkttype})`, off, 2, pkttype),
      field(
        'sll.hatype',
        `Link-layer address type: ${ARPHRD.get(hatype) ?? 'Unknown'} (${hatype})`,
        off + 2,
        2,
        hatype,
      ),
      field('sll.halen', `Link-layer address length: ${halen}`, off + 4, 2, halen),
    );
    addressField(d, L, off + 6, halen, hatype);
    L.fields.push(protocolField(proto, off + 14));
  }
  payload(d, proto, hatype, off + 16, end, rend);
}

/** SLL v2: protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1) halen(1) addr(8). */
export function dissectSll2(d: Dissection, off: number, end: number, rend: number): void {
  const b = d.data;
  const L = d.treeLayer('sll', 'Linux cooked capture v2', off, Math.min(20, Math.max(end - off, 0)));
  d.protocol = 'SLL';
  if (end - off < 20) {
    d.short(L, 'SLL', 'Linux cooked v2 header', off + 20, end);
    return;
  }
  const proto = u16(b, off);
  const ifindex = u32(b, off + 4);
  const hatype = u16(b, off + 8);
  const pkttype = b[off + 10]!;
  const halen = b[off + 11]!;
  setSource(d, off + 12, halen, hatype);
  d.info = packetType(pkttype);
  if (L) {
    L.fields.push(
      protocolField(proto, off),
      field('sll.reserved', `Reserved: ${hex16(u16(b, off + 2))}`, off + 2, 2, u16(b, off + 2)),
      field('sll.ifindex', `Interface index: ${ifindex}`, off + 4, 4, ifindex),
      field(
        'sll.hatype',
        `Link-layer address type: ${ARPHRD.get(hatype) ?? 'Unknown'} (${hatype})`,
        off + 8,
        2,
        hatype,
      ),
      field('sll.pkttype', `Packet type: ${packetType(pkttype)} (${pkttype})`, off + 10, 1, pkttype),
      field('sll.halen', `Link-layer address length: ${halen}`, off + 11, 1, halen),
    );
    addressField(d, L, off + 12, halen, hatype);
  }
  payload(d, proto, hatype, off + 20, end, rend);
}

function setSource(d: Dissection, o: number, halen: number, hatype: number): void {
  const n = Math.min(halen, 8);
  d.src = n === 6 && hatype !== 65534 ? mac(d.data, o) : n > 0 ? hexColon(d.data, o, n) : '';
  d.dst = '';
}

function addressField(d: Dissection, L: Layer, o: number, halen: number, hatype: number): void {
  const n = Math.min(halen, 8);
  if (n === 6 && hatype !== 65534)
    L.fields.push(field('sll.src.eth', `Source: ${mac(d.data, o)}`, o, 6, mac(d.data, o)));
  else if (n > 0)
    L.fields.push(field('sll.src.other', `Source: ${hexColon(d.data, o, n)}`, o, n, hexColon(d.data, o, n)));
  if (n < 8) L.fields.push(field('sll.unused', `Unused: ${hexColon(d.data, o + n, 8 - n)}`, o + n, 8 - n));
}

function protocolField(proto: number, o: number): ReturnType<typeof field> {
  const name = proto === 1 ? 'Novell 802.3' : proto === 4 ? '802.2 LLC' : etherTypeName(proto);
  return field('sll.etype', `Protocol: ${name} (${hex16(proto)})`, o, 2, proto);
}

function payload(d: Dissection, proto: number, hatype: number, off: number, end: number, rend: number): void {
  if (hatype === ARPHRD_NETLINK) {
    d.protocol = 'Netlink';
    return;
  }
  // Protocol values below 0x0600 are Linux's ETH_P_* pseudo types, not lengths.
  if (proto === 4) {
    LLC.dissect?.(d, off, end, rend);
    return;
  }
  if (proto < 0x600) {
    d.protocol = 'SLL';
    return;
  }
  dispatchEtherType(d, proto, off, end, rend);
}
