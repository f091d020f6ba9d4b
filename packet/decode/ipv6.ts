// IPv6 (RFC 8200) and its extension headers: hop-by-hop, routing, fragment, destination
// options, AH. Decoding stops at ESP (encrypted) and at "no next header".

import { u16, u32 } from './bytes.js';
import { type Dissection, field } from './dissection.js';
import { dsField } from './dsfield.js';
import { bits, hex8, hex32, ipv6 } from './format.js';
import { parseAh } from './ipsec.js';
import { ipProtoName } from './names.js';
import { dispatchIpProto } from './registry.js';
import type { Field } from './types.js';

const OPTION_NAMES: ReadonlyMap<number, string> = new Map([
  [0x00, 'Pad1'],
  [0x01, 'PadN'],
  [0x04, 'Tunnel Encapsulation Limit'],
  [0x05, 'Router Alert'],
  [0x07, 'CALIPSO'],
  [0x26, 'Quick-Start'],
  [0x31, 'SMF_DPD'],
  [0x63, 'RPL Option'],
  [0x6d, 'MPL Option'],
  [0x8b, 'ILNP Nonce'],
  [0xc2, 'Jumbo Payload'],
  [0xc9, 'Home Address'],
]);

const ROUTING_TYPES: ReadonlyMap<number, string> = new Map([
  [0, 'Source Route'],
  [1, 'Nimrod'],
  [2, 'Type 2 Routing'],
  [3, 'RPL Source Route'],
  [4, 'Segment Routing'],
]);

/** IPv6 by ethertype (Ethernet, VLAN, SLL…): bytes that are not IPv6 are left as data. */
export function dissectIpv6(d: Dissection, off: number, end: number, rend: number): void {
  ipv6Packet(d, off, end, rend, false);
}

/** IPv6 where nothing else could be there (raw IPv6 link type, IPv4 header saying version 6). */
export function dissectIpv6Direct(d: Dissection, off: number, end: number, rend: number): void {
  ipv6Packet(d, off, end, rend, true);
}

function ipv6Packet(d: Dissection, off: number, end: number, rend: number, direct: boolean): void {
  const b = d.data;
  const avail = end - off;
  d.protocol = 'IPv6';
  d.info = '';
  const L = d.treeLayer('ipv6', 'Internet Protocol Version 6', off, Math.max(Math.min(avail, 40), 0));
  if (direct && avail >= 1 && b[off]! >> 4 !== 6) {
    d.info = `Bogus IPv6 version (${b[off]! >> 4}, must be 6)`;
    d.malformed(L, 'IPv6', d.info, off, 1, false);
    return;
  }
  if (avail < 40 || b[off]! >> 4 !== 6) {
    if (direct || (avail < 40 && end >= d.length && d.length < d.wireLength)) {
      d.short(L, 'IPv6', 'IPv6 header', off + 40, end);
      return;
    }
    // Wireshark's IPv6 decoder refuses such bytes; the row then shows the bare ethertype.
    d.protocol = '0x86dd';
    d.info = 'IPv6';
    const why =
      avail < 40
        ? `header needs 40 bytes, ${Math.max(avail, 0)} present`
        : `bogus IP version (${b[off]! >> 4}, must be 6)`;
    d.malformed(L, 'IPv6', why, off, Math.max(Math.min(avail, 40), 0), false);
    return;
  }
  const w0 = u32(b, off);
  const tclass = (w0 >>> 20) & 0xff;
  const flow = w0 & 0xfffff;
  const plen = u16(b, off + 4);
  let nxt = b[off + 6]!;
  const hlim = b[off + 7]!;
  const src = ipv6(b, off + 8);
  const dst = ipv6(b, off + 24);
  d.setNet(src, dst, true, off + 8);
  d.ttl = hlim;
  if (L) {
    L.label = `Internet Protocol Version 6, Src: ${src}, Dst: ${dst}`;
    const tcf = dsField('ipv6.tclass', 'Traffic Class', tclass, off, 2);
    L.fields.push(
      field('ipv6.version', `0110 .... = Version: 6`, off, 1, 6),
      tcf,
      field(
        'ipv6.flow',
        `.... ${bits(flow, 19, 20, 20)} = Flow Label: 0x${flow.toString(16).padStart(5, '0')}`,
        off + 1,
        3,
        flow,
      ),
      field('ipv6.plen', `Payload Length: ${plen}`, off + 4, 2, plen),
      field('ipv6.nxt', `Next Header: ${ipProtoName(nxt)} (${nxt})`, off + 6, 1, nxt),
      field('ipv6.hlim', `Hop Limit: ${hlim}`, off + 7, 1, hlim),
      field('ipv6.src', `Source Address: ${src}`, off + 8, 16, src),
      field('ipv6.dst', `Destination Address: ${dst}`, off + 24, 16, dst),
    );
  }
  let claimed = 40 + plen;
  let pRend = Math.min(rend, off + claimed);
  if (plen === 0 && rend > off + 40) {
    // Payload length 0 with a payload: a jumbogram (RFC 2675) says its length in a hop-by-hop
    // option; without one Wireshark reports the packet as malformed.
    const jumbo = nxt === 0 ? jumboLength(b, off + 40, end) : -1;
    if (jumbo < 0) {
      d.malformed(L, 'IPv6', 'payload length 0 without a Jumbo Payload option', off + 4, 2);
      return;
    }
    claimed = 40 + jumbo;
    pRend = Math.min(rend, off + claimed);
  }
  const pEnd = Math.min(end, pRend);
  d.checkLength(L, 'IPv6', off, claimed);
  let o = off + 40;
  // Each extension header is at least 8 bytes, so this loop ends within the packet.
  for (;;) {
    if (nxt === 0 || nxt === 60 || nxt === 43) {
      const name = nxt === 0 ? 'hopopts' : nxt === 60 ? 'dstopts' : 'routing';
      const title =
        nxt === 0 ? 'IPv6 Hop-by-Hop Option' : nxt === 60 ? 'Destination Options for IPv6' : 'Routing Header for IPv6';
      if (pEnd - o < 2) {
        d.short(L, 'IPv6', title, o + 8, pEnd);
        return;
      }
      const len = (b[o + 1]! + 1) * 8;
      if (o + len > pEnd) {
        d.short(L, 'IPv6', title, o + len, pEnd);
        return;
      }
      const next = b[o]!;
      if (nxt === 43 && b[o + 3]! > 0) finalDestination(d, o, len);
      if (L) {
        const kids: Field[] = [
          field(`ipv6.${name}.nxt`, `Next Header: ${ipProtoName(next)} (${next})`, o, 1, next),
          field(`ipv6.${name}.len`, `Length: ${b[o + 1]!}`, o + 1, 1, b[o + 1]!),
          field(`ipv6.${name}.len_oct`, `[Length: ${len} bytes]`, o + 1, 1, len),
        ];
        if (nxt === 43) {
          const type = b[o + 2]!;
          kids.push(
            field('ipv6.routing.type', `Type: ${ROUTING_TYPES.get(type) ?? 'Unknown'} (${type})`, o + 2, 1, type),
            field('ipv6.routing.segleft', `Segments Left: ${b[o + 3]!}`, o + 3, 1, b[o + 3]!),
          );
          if (type === 0 || type === 2) {
            for (let a = o + 8; a + 16 <= o + len; a += 16)
              kids.push(field('ipv6.routing.src.addr', `Address: ${ipv6(b, a)}`, a, 16, ipv6(b, a)));
          } else if (type === 4) {
            for (let a = o + 8; a + 16 <= o + len && a < o + 8 + 16 * (b[o + 4]! + 1); a += 16)
              kids.push(field('ipv6.routing.srh.addr', `Address: ${ipv6(b, a)}`, a, 16, ipv6(b, a)));
          }
        } else {
          options(d, kids, o + 2, o + len);
        }
        L.fields.push(field(`ipv6.${name}`, `${title}`, o, len, undefined, kids));
      }
      nxt = next;
      o += len;
      continue;
    }
    if (nxt === 44) {
      if (pEnd - o < 8) {
        d.short(L, 'IPv6', 'Fragment Header for IPv6', o + 8, pEnd);
        return;
      }
      const next = b[o]!;
      const w = u16(b, o + 2);
      const fo = w & 0xfff8;
      const more = (w & 1) !== 0;
      const id = u32(b, o + 4);
      if (L) {
        L.fields.push(
          field('ipv6.fraghdr', 'Fragment Header for IPv6', o, 8, undefined, [
            field('ipv6.fraghdr.nxt', `Next header: ${ipProtoName(next)} (${next})`, o, 1, next),
            field('ipv6.fraghdr.offset', `${bits(w, 15, 13)} = Offset: ${fo >> 3} (${fo} bytes)`, o + 2, 2, fo),
            field('ipv6.fraghdr.more', `${bits(w, 0, 1)} = More Fragments: ${more ? 'Yes' : 'No'}`, o + 2, 2, more),
            field('ipv6.fraghdr.ident', `Identification: ${hex32(id)}`, o + 4, 4, id),
          ]),
        );
      }
      o += 8;
      if (fo !== 0) {
        d.info = `IPv6 fragment (off=${fo} more=${more ? 'y' : 'n'} ident=${hex32(id)} nxt=${next})`;
        if (d.recordsLayers && pEnd > o) d.dataLayer(o, pEnd);
        return;
      }
      if (more) d.fragmented = true;
      nxt = next;
      continue;
    }
    if (nxt === 51) {
      const len = parseAh(d, o, pEnd);
      if (len < 0) return;
      nxt = b[o]!;
      o += len;
      continue;
    }
    break;
  }
  if (nxt === 59) {
    d.info = 'IPv6 no next header';
    return;
  }
  if (o >= pRend) return;
  if (!dispatchIpProto(d, nxt, o, pEnd, pRend)) {
    d.info = `Unknown IP Protocol: ${ipProtoName(nxt)} (${nxt})`;
    if (d.recordsLayers && pEnd > o) d.dataLayer(o, pEnd);
  }
}

/** TLV options of hop-by-hop and destination options headers (tree mode). */
function options(d: Dissection, kids: Field[], o: number, end: number): void {
  const b = d.data;
  while (o < end) {
    const type = b[o]!;
    const name = OPTION_NAMES.get(type) ?? `Unknown (${hex8(type)})`;
    if (type === 0) {
      kids.push(field('ipv6.opt.type', `Pad1`, o, 1, 0));
      o++;
      continue;
    }
    if (o + 2 > end || o + 2 + b[o + 1]! > end) {
      kids.push(field('_ws.expert', `[Option ${name}: length beyond the header]`, o, end - o));
      return;
    }
    const len = b[o + 1]!;
    const kid = field('ipv6.opt', name, o, 2 + len, type, [
      field('ipv6.opt.type', `Type: ${name} (${type})`, o, 1, type),
      field('ipv6.opt.length', `Length: ${len}`, o + 1, 1, len),
    ]);
    if (type === 5 && len === 2)
      kid.children!.push(field('ipv6.opt.router_alert', `Router Alert: ${u16(b, o + 2)}`, o + 2, 2, u16(b, o + 2)));
    kids.push(kid);
    o += 2 + len;
  }
}

/**
 * With segments left, the packet's final destination is in the routing header, and Wireshark's
 * Destination column shows it: the last address of a type 0 or 2 header, the first segment of
 * a segment routing header (type 4).
 */
function finalDestination(d: Dissection, o: number, len: number): void {
  const b = d.data;
  const type = b[o + 2]!;
  let a = -1;
  if ((type === 0 || type === 2) && len >= 24) a = o + 8 + Math.floor((len - 8) / 16 - 1) * 16;
  else if (type === 4 && len >= 24) a = o + 8;
  if (a < 0) return;
  d.dst = d.netDst = ipv6(b, a);
}

/** The Jumbo Payload option's length in a hop-by-hop header at `o`, or -1. */
function jumboLength(b: Uint8Array, o: number, end: number): number {
  if (o + 2 > end) return -1;
  const stop = Math.min(end, o + (b[o + 1]! + 1) * 8);
  for (let p = o + 2; p < stop; ) {
    const type = b[p]!;
    if (type === 0) {
      p++;
      continue;
    }
    if (p + 2 > stop) return -1;
    const len = b[p + 1]!;
    if (type === 0xc2 && len === 4 && p + 6 <= stop) return u32(b, p + 2);
    p += 2 + len;
  }
  return -1;
}
