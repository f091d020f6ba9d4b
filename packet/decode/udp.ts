// UDP (RFC 768). Info as Wireshark: "sport → dport Len=N", N from the length field.

import { u16 } from './bytes.js';
import { type Dissection, field, sharedField } from './dissection.js';
import { hex16 } from './format.js';
import { dispatchPorts, UDP_HEURISTICS, UDP_PORTS } from './registry.js';
import { udpPayloadEnd } from './stream-pass.js';

export function dissectUdp(d: Dissection, off: number, end: number, rend: number): void {
  const b = d.data;
  const avail = end - off;
  d.protocol = 'UDP';
  d.info = '';
  const L = d.treeLayer('udp', 'User Datagram Protocol', off, Math.max(Math.min(avail, 8), 0));
  if (avail < 4) {
    d.short(L, 'UDP', 'UDP header', off + 8, end);
    return;
  }
  const sport = u16(b, off);
  const dport = u16(b, off + 2);
  d.setPorts('udp', sport, dport);
  let info = `${sport} → ${dport}`;
  if (L) {
    L.label = `User Datagram Protocol, Src Port: ${sport}, Dst Port: ${dport}`;
    L.fields.push(
      sharedField('udp.srcport', off * 65536 + sport, () =>
        field('udp.srcport', `Source Port: ${sport}`, off, 2, sport),
      ),
      sharedField('udp.dstport', (off + 2) * 65536 + dport, () =>
        field('udp.dstport', `Destination Port: ${dport}`, off + 2, 2, dport),
      ),
    );
  }
  if (avail < 8) {
    if (avail >= 6) info += ` Len=${u16(b, off + 4) - 8}`;
    d.info = info;
    d.short(L, 'UDP', 'UDP header', off + 8, end);
    return;
  }
  const ulen = u16(b, off + 4);
  const ck = u16(b, off + 6);
  if (L) {
    L.fields.push(
      field('udp.length', `Length: ${ulen}`, off + 4, 2, ulen),
      field(
        'udp.checksum',
        `Checksum: ${hex16(ck)} ${ck === 0 ? '[zero-value ignored]' : '[unverified]'}`,
        off + 6,
        2,
        ck,
      ),
    );
  }
  if (ulen < 8) {
    d.info = `${info} [BAD UDP LENGTH ${ulen} < 8]`;
    d.malformed(L, 'UDP', `length ${ulen} is less than the 8-byte header`, off + 4, 2, false);
    return;
  }
  const pEnd = udpPayloadEnd(off, ulen, end, rend);
  if (d.streams !== undefined && d.convProto !== undefined) {
    const stream = d.streams.udp(d, sport, dport, off + 8, pEnd);
    if (L && stream !== undefined) L.fields.push(field('udp.stream', `[Stream index: ${stream}]`, off + 8, 0, stream));
  }
  let pRend = off + ulen;
  if (ulen > rend - off) {
    // A first fragment legitimately carries less than the datagram.
    // Wireshark flags it and carries on with the bytes there are.
    if (!d.fragmented) {
      info += ` [BAD UDP LENGTH ${ulen} > IP PAYLOAD LENGTH]`;
      L?.fields.push(field('_ws.expert', `[Bad length value ${ulen} > IP payload length]`, off + 4, 2));
    }
    pRend = rend;
  }
  info += ` Len=${ulen - 8}`;
  d.info = info;
  if (dispatchPorts(d, UDP_PORTS, UDP_HEURISTICS, off + 8, pEnd, pRend, sport, dport)) return;
  if (L && pEnd > off + 8)
    L.fields.push(field('udp.payload', `UDP payload (${pEnd - off - 8} bytes)`, off + 8, pEnd - off - 8));
}
