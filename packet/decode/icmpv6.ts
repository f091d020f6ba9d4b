// ICMPv6 (RFC 4443) with Neighbor Discovery (RFC 4861) and MLD. Info as Wireshark's.

import { u16, u32 } from './bytes.js';
import { type Dissection, field } from './dissection.js';
import { HEX2, hex16, hexColon, ipv6, mac } from './format.js';
import { quoted } from './icmp.js';
import type { Field, Layer } from './types.js';

const TYPES: ReadonlyMap<number, string> = new Map([
  [1, 'Destination Unreachable'],
  [2, 'Packet Too Big'],
  [3, 'Time Exceeded'],
  [4, 'Parameter Problem'],
  [100, 'Private experimentation'],
  [101, 'Private experimentation'],
  [128, 'Echo (ping) request'],
  [129, 'Echo (ping) reply'],
  [130, 'Multicast Listener Query'],
  [131, 'Multicast Listener Report'],
  [132, 'Multicast Listener Done'],
  [133, 'Router Solicitation'],
  [134, 'Router Advertisement'],
  [135, 'Neighbor Solicitation'],
  [136, 'Neighbor Advertisement'],
  [137, 'Redirect'],
  [138, 'Router Renumbering'],
  [139, 'ICMP Node Information Query'],
  [140, 'ICMP Node Information Response'],
  [141, 'Inverse Neighbor Discovery Solicitation Message'],
  [142, 'Inverse Neighbor Discovery Advertisement Message'],
  [143, 'Multicast Listener Report Message v2'],
  [144, 'Home Agent Address Discovery Request Message'],
  [145, 'Home Agent Address Discovery Reply Message'],
  [146, 'Mobile Prefix Solicitation'],
  [147, 'Mobile Prefix Advertisement'],
  [148, 'Certification Path Solicitation Message'],
  [149, 'Certification Path Advertisement Message'],
  [151, 'Multicast Router Advertisement'],
  [152, 'Multicast Router Solicitation'],
  [153, 'Multicast Router Termination'],
  [155, 'RPL Control Message'],
]);

const CODES: ReadonlyMap<number, readonly string[]> = new Map([
  [
    1,
    [
      'no route to destination',
      'communication with destination administratively prohibited',
      'beyond scope of source address',
      'address unreachable',
      'Port unreachable',
      'source address failed ingress/egress policy',
      'reject route to destination',
      'Error in Source Routing Header',
    ],
  ],
  [3, ['hop limit exceeded in transit', 'fragment reassembly time exceeded']],
  [
    4,
    [
      'erroneous header field encountered',
      'unrecognized Next Header type encountered',
      'unrecognized IPv6 option encountered',
      'IPv6 First Fragment has incomplete IPv6 Header Chain',
    ],
  ],
]);

const OPTIONS: ReadonlyMap<number, string> = new Map([
  [1, 'Source link-layer address'],
  [2, 'Target link-layer address'],
  [3, 'Prefix information'],
  [4, 'Redirected header'],
  [5, 'MTU'],
  [7, 'Advertisement Interval'],
  [8, 'Home Agent Information'],
  [14, 'Nonce'],
  [24, 'Route Information'],
  [25, 'Recursive DNS Server'],
  [31, 'DNS Search List'],
]);

/** Fixed part after type/code/checksum, per ND message type (the options follow). */
const ND_FIXED: ReadonlyMap<number, number> = new Map([
  [133, 4],
  [134, 12],
  [135, 20],
  [136, 20],
  [137, 36],
]);

export function dissectIcmpv6(d: Dissection, off: number, end: number): void {
  const b = d.data;
  const avail = end - off;
  d.protocol = 'ICMPv6';
  d.info = '';
  if (d.convProto !== undefined) d.convProto = 'icmpv6';
  const L = d.treeLayer('icmpv6', 'Internet Control Message Protocol v6', off, Math.max(avail, 0));
  if (avail < 4) {
    d.short(L, 'ICMPv6', 'ICMPv6 header', off + 4, end);
    return;
  }
  const type = b[off]!;
  const code = b[off + 1]!;
  const typeName = TYPES.get(type) ?? `Unknown (${type})`;
  const codes = CODES.get(type);
  const codeName = codes ? (codes[code] ?? 'Unknown') : '';
  let info = typeName;
  if (codeName) info += ` (${codeName})`;
  if (L) {
    L.fields.push(
      field('icmpv6.type', `Type: ${typeName} (${type})`, off, 1, type),
      field('icmpv6.code', `Code: ${code}${codeName ? ` (${codeName})` : ''}`, off + 1, 1, code),
      field('icmpv6.checksum', `Checksum: ${hex16(u16(b, off + 2))} [unverified]`, off + 2, 2, u16(b, off + 2)),
    );
  }
  if (type === 128 || type === 129) {
    if (avail < 8) {
      d.info = info;
      d.short(L, 'ICMPv6', 'echo header', off + 8, end);
      return;
    }
    const id = u16(b, off + 4);
    const seq = u16(b, off + 6);
    info += ` id=0x${HEX2[id >> 8]}${HEX2[id & 0xff]}, seq=${seq}`;
    if (d.ttl >= 0) info += `, hop limit=${d.ttl}`;
    if (L) {
      L.fields.push(
        field('icmpv6.echo.identifier', `Identifier: ${hex16(id)}`, off + 4, 2, id),
        field('icmpv6.echo.sequence_number', `Sequence: ${seq}`, off + 6, 2, seq),
      );
      if (end > off + 8) L.fields.push(field('icmpv6.data', `Data (${end - off - 8} bytes)`, off + 8, end - off - 8));
    }
    d.info = info;
    return;
  }
  const fixed = ND_FIXED.get(type);
  if (fixed !== undefined) {
    if (avail < 4 + fixed) {
      d.info = info;
      d.short(L, 'ICMPv6', `${typeName} message`, off + 4 + fixed, end);
      return;
    }
    const kids = L ? L.fields : undefined;
    let target = '';
    if (type === 135 || type === 136 || type === 137) {
      target = ipv6(b, off + 8);
      const key = type === 135 ? 'ns' : type === 136 ? 'na' : 'rd';
      kids?.push(field(`icmpv6.nd.${key}.target_address`, `Target Address: ${target}`, off + 8, 16, target));
      if (type === 137) {
        const dst = ipv6(b, off + 24);
        kids?.push(field('icmpv6.nd.rd.destination_address', `Destination Address: ${dst}`, off + 24, 16, dst));
      }
    }
    if (type === 136 && kids) {
      const f = u32(b, off + 4);
      kids.push(
        field(
          'icmpv6.nd.na.flag.r',
          `Router: ${f & 0x80000000 ? 'Set' : 'Not set'}`,
          off + 4,
          4,
          (f & 0x80000000) !== 0,
        ),
        field(
          'icmpv6.nd.na.flag.s',
          `Solicited: ${f & 0x40000000 ? 'Set' : 'Not set'}`,
          off + 4,
          4,
          (f & 0x40000000) !== 0,
        ),
        field(
          'icmpv6.nd.na.flag.o',
          `Override: ${f & 0x20000000 ? 'Set' : 'Not set'}`,
          off + 4,
          4,
          (f & 0x20000000) !== 0,
        ),
      );
    }
    if (type === 134 && kids) {
      kids.push(
        field('icmpv6.nd.ra.cur_hop_limit', `Cur hop limit: ${b[off + 4]!}`, off + 4, 1, b[off + 4]!),
        field('icmpv6.nd.ra.router_lifetime', `Router lifetime (s): ${u16(b, off + 6)}`, off + 6, 2, u16(b, off + 6)),
        field('icmpv6.nd.ra.reachable_time', `Reachable time (ms): ${u32(b, off + 8)}`, off + 8, 4, u32(b, off + 8)),
        field('icmpv6.nd.ra.retrans_timer', `Retrans timer (ms): ${u32(b, off + 12)}`, off + 12, 4, u32(b, off + 12)),
      );
    }
    const lla = options(d, L, off + 4 + fixed, end);
    if (lla === null) {
      d.info = info;
      return;
    }
    if (type === 135) {
      info += ` for ${target}`;
      if (lla.src) info += ` from ${lla.src}`;
    } else if (type === 136) {
      const f = b[off + 4]!;
      let fl = '';
      if (f & 0x80) fl += 'rtr';
      if (f & 0x40) fl += `${fl ? ', ' : ''}sol`;
      if (f & 0x20) fl += `${fl ? ', ' : ''}ovr`;
      info += ` ${target}`;
      if (fl) info += ` (${fl})`;
      if (lla.tgt) info += ` is at ${lla.tgt}`;
    } else if ((type === 133 || type === 134) && lla.src) {
      info += ` from ${lla.src}`;
    }
    d.info = info;
    return;
  }
  if (L && avail >= 8 && type === 2)
    L.fields.push(field('icmpv6.mtu', `MTU: ${u32(b, off + 4)}`, off + 4, 4, u32(b, off + 4)));
  // The quoted datagram: into the tree, and, without one, still counted in the capture's streams.
  if (avail >= 8 && icmpv6Quotes(type) && end > off + 8 && (L || d.streams)) quoted(d, L, 0x86dd, off + 8, end);
  d.info = info;
}

/**
 * ND options (type, length in 8-byte units). Returns the link-layer addresses found, or null
 * after noting a malformed option.
 */
function options(d: Dissection, L: Layer | undefined, o: number, end: number): { src?: string; tgt?: string } | null {
  const b = d.data;
  const out: { src?: string; tgt?: string } = {};
  while (o + 2 <= end) {
    const type = b[o]!;
    const len = b[o + 1]! * 8;
    const name = OPTIONS.get(type) ?? `Unknown (${type})`;
    if (len === 0) {
      d.malformed(L, 'ICMPv6', `option ${name} with length 0`, o + 1, 1);
      return null;
    }
    if (o + len > end) {
      d.short(L, 'ICMPv6', `option ${name}`, o + len, end);
      return null;
    }
    const kids: Field[] | undefined = L
      ? [
          field('icmpv6.opt.type', `Type: ${name} (${type})`, o, 1, type),
          field('icmpv6.opt.length', `Length: ${b[o + 1]!} (${len} bytes)`, o + 1, 1, b[o + 1]!),
        ]
      : undefined;
    let label = `ICMPv6 Option (${name})`;
    if ((type === 1 || type === 2) && len >= 8) {
      const a = len === 8 ? mac(b, o + 2) : hexColon(b, o + 2, len - 2);
      if (type === 1) out.src = a;
      else out.tgt = a;
      label += ` : ${a}`;
      kids?.push(field('icmpv6.opt.linkaddr', `Link-layer address: ${a}`, o + 2, len - 2, a));
    } else if (type === 5 && len === 8 && kids) {
      kids.push(field('icmpv6.opt.mtu', `MTU: ${u32(b, o + 4)}`, o + 4, 4, u32(b, o + 4)));
    } else if (type === 3 && len === 32 && kids) {
      const prefix = ipv6(b, o + 16);
      label += ` : ${prefix}/${b[o + 2]!}`;
      kids.push(
        field('icmpv6.opt.prefix.length', `Prefix Length: ${b[o + 2]!}`, o + 2, 1, b[o + 2]!),
        field('icmpv6.opt.prefix', `Prefix: ${prefix}`, o + 16, 16, prefix),
      );
    }
    L?.fields.push(field('icmpv6.opt', label, o, len, undefined, kids));
    o += len;
  }
  return out;
}

/** Whether an ICMPv6 message of `type` quotes a datagram (the errors, types 1 to 4; as icmpQuotes). */
export function icmpv6Quotes(type: number): boolean {
  return type >= 1 && type <= 4;
}
