// ICMP (RFC 792). Info as Wireshark: the type name padded to 20 characters, the code's meaning in
// parentheses, echo-style identifiers and the IP TTL. The IP header quoted by an error message is
// decoded into the tree (not into the columns), as Wireshark does.

import { u16 } from './bytes.js';
import { Dissection, field } from './dissection.js';
import { HEX2, hex16, ipv4 } from './format.js';
import { ETHER_TYPES } from './registry.js';
import type { Field, Layer } from './types.js';

const TYPES: readonly (string | undefined)[] = [];
for (const [k, v] of [
  [0, 'Echo (ping) reply'],
  [3, 'Destination unreachable'],
  [4, 'Source quench (flow control)'],
  [5, 'Redirect'],
  [8, 'Echo (ping) request'],
  [9, 'Router advertisement'],
  [10, 'Router solicitation'],
  [11, 'Time-to-live exceeded'],
  [12, 'Parameter problem'],
  [13, 'Timestamp request'],
  [14, 'Timestamp reply'],
  [15, 'Information request'],
  [16, 'Information reply'],
  [17, 'Address mask request'],
  [18, 'Address mask reply'],
  [30, 'Traceroute'],
  [42, 'Extended Echo request'],
  [43, 'Extended Echo reply'],
] as const)
  (TYPES as (string | undefined)[])[k] = v;

const CODES: ReadonlyMap<number, readonly string[]> = new Map([
  [
    3,
    [
      'Network unreachable',
      'Host unreachable',
      'Protocol unreachable',
      'Port unreachable',
      'Fragmentation needed',
      'Source route failed',
      'Destination network unknown',
      'Destination host unknown',
      'Source host isolated',
      'Network administratively prohibited',
      'Host administratively prohibited',
      'Network unreachable for TOS',
      'Host unreachable for TOS',
      'Communication administratively filtered',
      'Host precedence violation',
      'Precedence cutoff in effect',
    ],
  ],
  [5, ['Redirect for network', 'Redirect for host', 'Redirect for TOS and network', 'Redirect for TOS and host']],
  [11, ['Time to live exceeded in transit', 'Fragment reassembly time exceeded']],
  [12, ['Pointer indicates the error', 'Required option missing', 'Bad length']],
]);

/** Types whose rest-of-header is identifier + sequence number. */
const ECHO_LIKE = new Set([0, 8, 13, 14, 15, 16, 17, 18]);
/** Types that quote the offending datagram. */
const ERRORS = new Set([3, 4, 5, 11, 12]);

/** Whether an ICMP message of `type` quotes a datagram (an error's): only such a message takes a
 *  part in the capture's streams (the streams pass's fast path leaves it to the decoders). */
export function icmpQuotes(type: number): boolean {
  return ERRORS.has(type);
}

function pad20(s: string): string {
  return s.length >= 20 ? s : s + '                    '.slice(s.length);
}

export function dissectIcmp(d: Dissection, off: number, end: number): void {
  const b = d.data;
  const avail = end - off;
  d.protocol = 'ICMP';
  d.info = '';
  if (d.convProto !== undefined) d.convProto = 'icmp';
  const L = d.treeLayer('icmp', 'Internet Control Message Protocol', off, Math.max(avail, 0));
  if (avail < 4) {
    d.short(L, 'ICMP', 'ICMP header', off + 4, end);
    return;
  }
  const type = b[off]!;
  const code = b[off + 1]!;
  const typeName = TYPES[type] ?? 'Unknown ICMP (obsolete or malformed?)';
  const codes = CODES.get(type);
  const codeName = codes
    ? (codes[code] ?? 'Unknown code')
    : type === 9
      ? code === 0
        ? 'Normal router advertisement'
        : code === 16
          ? 'Does not route common traffic'
          : ''
      : '';
  let info = pad20(typeName);
  if (codeName) info += ` (${codeName})`;
  if (L) {
    L.fields.push(
      field('icmp.type', `Type: ${type} (${typeName})`, off, 1, type),
      field('icmp.code', `Code: ${code}${codeName ? ` (${codeName})` : ''}`, off + 1, 1, code),
      field('icmp.checksum', `Checksum: ${hex16(u16(b, off + 2))}`, off + 2, 2, u16(b, off + 2)),
    );
  }
  if (ECHO_LIKE.has(type)) {
    if (avail < 8) {
      d.info = info;
      d.short(L, 'ICMP', 'ICMP echo header', off + 8, end);
      return;
    }
    const id = u16(b, off + 4);
    const seq = u16(b, off + 6);
    const seqLe = ((seq & 0xff) << 8) | (seq >> 8);
    info += ` id=0x${HEX2[id >> 8]}${HEX2[id & 0xff]}, seq=${seq}/${seqLe}`;
    if (d.ttl >= 0) info += `, ttl=${d.ttl}`;
    if (L) {
      L.fields.push(
        field('icmp.ident', `Identifier (BE): ${id} (${hex16(id)})`, off + 4, 2, id),
        field('icmp.seq', `Sequence Number (BE): ${seq} (${hex16(seq)})`, off + 6, 2, seq),
        field('icmp.seq_le', `Sequence Number (LE): ${seqLe} (${hex16(seqLe)})`, off + 6, 2, seqLe),
      );
      if (end > off + 8) L.fields.push(field('icmp.data', `Data (${end - off - 8} bytes)`, off + 8, end - off - 8));
    }
  } else if (L && avail >= 8) {
    if (type === 5)
      L.fields.push(field('icmp.redir_gw', `Gateway Address: ${ipv4(b, off + 4)}`, off + 4, 4, ipv4(b, off + 4)));
    else if (type === 3 && code === 4)
      L.fields.push(field('icmp.mtu', `MTU of next hop: ${u16(b, off + 6)}`, off + 6, 2, u16(b, off + 6)));
    else
      L.fields.push(
        field(
          'icmp.unused',
          `Unused: ${HEX2[b[off + 4]!]}${HEX2[b[off + 5]!]}${HEX2[b[off + 6]!]}${HEX2[b[off + 7]!]}`,
          off + 4,
          4,
        ),
      );
  }
  // The quoted datagram: into the tree, and, without one, still counted in the capture's streams.
  if (avail >= 8 && icmpQuotes(type) && end > off + 8 && (L || d.streams)) quoted(d, L, 0x0800, off + 8, end);
  d.info = info;
}

/**
 * Decodes the datagram an ICMP error quotes into `L`'s fields. A separate Dissection keeps the
 * columns and the conversation of the outer packet; the quote is usually cut short (IP header
 * plus 8 bytes), so its problems are not the packet's.
 */
export function quoted(d: Dissection, L: Layer | undefined, etherType: number, off: number, end: number): void {
  const dissect = ETHER_TYPES.get(etherType)?.dissect;
  if (!dissect) return;
  const inner = new Dissection(d.data, d.wireLength, L !== undefined, d.depth + 1);
  inner.streams = d.streams;
  inner.inError = true;
  dissect(inner, off, end, end);
  if (!L) return;
  const kids: Field[] = inner.layers.map((l) => field(l.protocol, l.label, l.offset, l.length, undefined, l.fields));
  for (const k of kids) L.fields.push(k);
}
