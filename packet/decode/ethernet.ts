// Ethernet II and IEEE 802.3 (link type 1), 802.1Q / 802.1ad VLAN tags.
// Source/Destination columns start as the MAC addresses; a network layer replaces them.

import { u16 } from './bytes.js';
import { type Dissection, field, SharedFields } from './dissection.js';
import { bits, hex16, mac } from './format.js';
import { macColumn } from './mac-names.js';
import { dispatchEtherType, etherTypeName } from './registry.js';
import type { Field } from './types.js';

export function dissectEthernet(d: Dissection, off: number, end: number, rend: number): void {
  const b = d.data;
  const avail = end - off;
  d.protocol = 'Ethernet';
  // Wireshark fills each column as soon as its bytes are there, naming well-known addresses.
  const dst = avail >= 6 ? mac(b, off) : '';
  const src = avail >= 12 ? mac(b, off + 6) : '';
  if (d.columns) {
    if (dst) d.dst = macColumn(dst);
    if (src) d.src = macColumn(src);
  }
  const L = d.treeLayer('eth', 'Ethernet II', off, Math.min(14, Math.max(avail, 0)));
  if (L) {
    if (avail >= 6) L.fields.push(macField('eth.dst', 'Destination', b, off));
    if (avail >= 12) L.fields.push(macField('eth.src', 'Source', b, off + 6));
  }
  if (avail < 14) {
    d.short(L, 'Ethernet', 'Ethernet header', off + 14, end);
    return;
  }
  const type = u16(b, off + 12);
  if (type <= 1500) {
    // IEEE 802.3: a length, then LLC; the length bounds the payload (the rest is padding).
    if (L) {
      L.label = `IEEE 802.3 Ethernet, Src: ${src}, Dst: ${dst}`;
      L.fields.push(field('eth.len', `Length: ${type}`, off + 12, 2, type));
    }
    const pend = Math.min(rend, off + 14 + type);
    dispatchEtherType(d, type, off + 14, Math.min(end, pend), pend);
    return;
  }
  d.info = 'Ethernet II';
  if (L) {
    L.label = `Ethernet II, Src: ${src}, Dst: ${dst}`;
    L.fields.push(field('eth.type', `Type: ${etherTypeName(type)} (${hex16(type)})`, off + 12, 2, type));
  }
  dispatchEtherType(d, type, off + 14, end, rend);
}

const macFields = [new SharedFields(), new SharedFields()];

function macField(name: string, what: string, b: Uint8Array, o: number): Field {
  // Key: the 48-bit address and the offset (< 2^5 distinct in practice, < 2^16 always) fit 2^53
  // only without the offset's high bits, so the offset picks the cache and the address the key.
  const key =
    ((b[o]! << 8) | b[o + 1]!) * 4294967296 +
    (((b[o + 2]! << 24) | (b[o + 3]! << 16) | (b[o + 4]! << 8) | b[o + 5]!) >>> 0);
  const cache = macFields[name === 'eth.dst' ? 0 : 1]!;
  return o < 64
    ? cache.get(key * 64 + o, () => macTree(name, what, mac(b, o), b, o))
    : macTree(name, what, mac(b, o), b, o);
}

function macTree(name: string, what: string, a: string, b: Uint8Array, o: number): Field {
  const lg = (b[o]! & 2) !== 0;
  const ig = (b[o]! & 1) !== 0;
  return field(name, `${what}: ${a}`, o, 6, a, [
    field(`${name}_resolved`, `Address: ${a}`, o, 6, a),
    field(
      `${name.slice(0, 3)}.lg`,
      `.... ..${lg ? 1 : 0}. .... .... .... .... = LG bit: ${lg ? 'Locally administered address (this is NOT the factory default)' : 'Globally unique address (factory default)'}`,
      o,
      1,
      lg,
    ),
    field(
      `${name.slice(0, 3)}.ig`,
      `.... ...${ig ? 1 : 0} .... .... .... .... = IG bit: ${ig ? 'Group address (multicast/broadcast)' : 'Individual address (unicast)'}`,
      o,
      1,
      ig,
    ),
  ]);
}

/** 802.1Q (0x8100) and 802.1ad (0x88a8, and the pre-standard 0x9100/0x9200) tags. */
export function dissectVlan(d: Dissection, off: number, end: number, rend: number): void {
  vlan(d, off, end, rend, false);
}

export function dissectQinq(d: Dissection, off: number, end: number, rend: number): void {
  vlan(d, off, end, rend, true);
}

function vlan(d: Dissection, off: number, end: number, rend: number, qinq: boolean): void {
  const b = d.data;
  const L = d.treeLayer(
    'vlan',
    qinq ? '802.1ad Provider Bridge (Q-in-Q)' : '802.1Q Virtual LAN',
    off,
    Math.min(4, Math.max(end - off, 0)),
  );
  d.protocol = 'VLAN';
  if (end - off < 2) {
    d.short(L, 'VLAN', 'VLAN tag', off + 4, end);
    return;
  }
  const tci = u16(b, off);
  const pri = tci >>> 13;
  const dei = (tci >>> 12) & 1;
  const id = tci & 0xfff;
  d.info = `PRI: ${pri}  DEI: ${dei}  ID: ${id}`;
  if (L) {
    L.label += `, PRI: ${pri}, DEI: ${dei}, ID: ${id}`;
    L.fields.push(
      field('vlan.priority', `${bits(tci, 15, 3)} = Priority: ${pri}`, off, 2, pri),
      field('vlan.dei', `${bits(tci, 12, 1)} = DEI: ${dei ? 'Eligible' : 'Ineligible'}`, off, 2, dei),
      field('vlan.id', `${bits(tci, 11, 12)} = ID: ${id}`, off, 2, id),
    );
  }
  if (end - off < 4) {
    d.short(L, 'VLAN', 'VLAN tag', off + 4, end);
    return;
  }
  const type = u16(b, off + 2);
  if (L) L.fields.push(field('vlan.etype', `Type: ${etherTypeName(type)} (${hex16(type)})`, off + 2, 2, type));
  if (type <= 1500) {
    const pend = Math.min(rend, off + 4 + type);
    dispatchEtherType(d, type, off + 4, Math.min(end, pend), pend);
    return;
  }
  dispatchEtherType(d, type, off + 4, end, rend);
}
