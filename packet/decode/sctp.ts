// SCTP (RFC 9260): common header and chunks. Info lists the chunk types as Wireshark does
// ("INIT ", "DATA (TSN=5) ", "SACK (Ack=1, Arwnd=65535) "). Chunk payloads are not decoded.

import { u16, u32 } from './bytes.js';
import { type Dissection, field } from './dissection.js';
import { hex8, hex16, hex32 } from './format.js';
import type { Field } from './types.js';

const CHUNKS: ReadonlyMap<number, string> = new Map([
  [0, 'DATA'],
  [1, 'INIT'],
  [2, 'INIT_ACK'],
  [3, 'SACK'],
  [4, 'HEARTBEAT'],
  [5, 'HEARTBEAT_ACK'],
  [6, 'ABORT'],
  [7, 'SHUTDOWN'],
  [8, 'SHUTDOWN_ACK'],
  [9, 'ERROR'],
  [10, 'COOKIE_ECHO'],
  [11, 'COOKIE_ACK'],
  [12, 'ECNE'],
  [13, 'CWR'],
  [14, 'SHUTDOWN_COMPLETE'],
  [15, 'AUTH'],
  [16, 'NR-SACK'],
  [64, 'I_DATA'],
  [128, 'ASCONF_ACK'],
  [130, 'RE_CONFIG'],
  [132, 'PAD'],
  [192, 'FORWARD_TSN'],
  [193, 'ASCONF'],
  [194, 'I_FORWARD_TSN'],
]);

/** Chunks beyond this many are counted, not decoded (a 64 KiB packet holds at most 16k). */
const MAX_CHUNKS = 512;

export function dissectSctp(d: Dissection, off: number, end: number, rend: number): void {
  const b = d.data;
  const avail = end - off;
  d.protocol = 'SCTP';
  d.info = '';
  const L = d.treeLayer('sctp', 'Stream Control Transmission Protocol', off, Math.max(Math.min(avail, 12), 0));
  if (avail < 12) {
    if (avail >= 4) d.setPorts('sctp', u16(b, off), u16(b, off + 2));
    d.short(L, 'SCTP', 'SCTP common header', off + 12, end);
    return;
  }
  const sport = u16(b, off);
  const dport = u16(b, off + 2);
  const vtag = u32(b, off + 4);
  d.setPorts('sctp', sport, dport);
  if (L) {
    L.label = `Stream Control Transmission Protocol, Src Port: ${sport}, Dst Port: ${dport}`;
    L.length = Math.min(rend, end) - off;
    L.fields.push(
      field('sctp.srcport', `Source port: ${sport}`, off, 2, sport),
      field('sctp.dstport', `Destination port: ${dport}`, off + 2, 2, dport),
      field('sctp.verification_tag', `Verification tag: ${hex32(vtag)}`, off + 4, 4, vtag),
      field('sctp.checksum', `Checksum: ${hex32(u32(b, off + 8))} [unverified]`, off + 8, 4, u32(b, off + 8)),
    );
  }
  let info = '';
  let o = off + 12;
  let n = 0;
  while (o < rend) {
    if (o + 4 > end) {
      d.info = info;
      d.short(L, 'SCTP', 'chunk header', o + 4, end);
      return;
    }
    const type = b[o]!;
    const flags = b[o + 1]!;
    const len = u16(b, o + 2);
    const name = CHUNKS.get(type) ?? 'RESERVED';
    info += `${name} `;
    if (len < 4) {
      d.info = info;
      d.malformed(L, 'SCTP', `chunk length ${len} is less than 4`, o + 2, 2);
      return;
    }
    if (o + len > end) {
      d.info = info;
      d.short(L, 'SCTP', `${name} chunk`, o + len, end);
      return;
    }
    const kids: Field[] | undefined = L
      ? [
          field('sctp.chunk_type', `Chunk type: ${name} (${type})`, o, 1, type),
          field('sctp.chunk_flags', `Chunk flags: ${hex8(flags)}`, o + 1, 1, flags),
          field('sctp.chunk_length', `Chunk length: ${len}`, o + 2, 2, len),
        ]
      : undefined;
    if ((type === 0 || type === 64) && len >= 16) {
      const tsn = u32(b, o + 4);
      info = `${info.slice(0, -1)} (TSN=${tsn}) `;
      if (kids) {
        kids.push(field('sctp.data_tsn', `Transmission sequence number (relative): ${tsn}`, o + 4, 4, tsn));
        if (type === 0) {
          kids.push(
            field('sctp.data_sid', `Stream identifier: ${hex16(u16(b, o + 8))}`, o + 8, 2, u16(b, o + 8)),
            field('sctp.data_ssn', `Stream sequence number: ${u16(b, o + 10)}`, o + 10, 2, u16(b, o + 10)),
            field(
              'sctp.data_payload_proto_id',
              `Payload protocol identifier: ${u32(b, o + 12)}`,
              o + 12,
              4,
              u32(b, o + 12),
            ),
            field('sctp.data_payload', `Chunk payload (${len - 16} bytes)`, o + 16, len - 16),
          );
        }
      }
    } else if (type === 3 && len >= 12) {
      const cum = u32(b, o + 4);
      const arwnd = u32(b, o + 8);
      info = `${info.slice(0, -1)} (Ack=${cum}, Arwnd=${arwnd}) `;
      kids?.push(
        field('sctp.sack_cumulative_tsn_ack', `Cumulative TSN ACK: ${cum}`, o + 4, 4, cum),
        field('sctp.sack_a_rwnd', `Advertised receiver window credit (a_rwnd): ${arwnd}`, o + 8, 4, arwnd),
      );
    } else if ((type === 1 || type === 2) && len >= 20 && kids) {
      kids.push(
        field('sctp.init_initiate_tag', `Initiate tag: ${hex32(u32(b, o + 4))}`, o + 4, 4, u32(b, o + 4)),
        field(
          'sctp.init_credit',
          `Advertised receiver window credit (a_rwnd): ${u32(b, o + 8)}`,
          o + 8,
          4,
          u32(b, o + 8),
        ),
        field('sctp.init_nr_out_streams', `Number of outbound streams: ${u16(b, o + 12)}`, o + 12, 2, u16(b, o + 12)),
        field('sctp.init_nr_in_streams', `Number of inbound streams: ${u16(b, o + 14)}`, o + 14, 2, u16(b, o + 14)),
        field('sctp.init_initial_tsn', `Initial TSN: ${u32(b, o + 16)}`, o + 16, 4, u32(b, o + 16)),
      );
    }
    if (L && kids)
      L.fields.push(
        field(
          'sctp.chunk',
          `${name} chunk${type === 0 && len >= 16 ? ` (ordered, complete segment, TSN: ${u32(b, o + 4)}, SID: ${u16(b, o + 8)}, SSN: ${u16(b, o + 10)}, PPID: ${u32(b, o + 12)}, payload length: ${len - 16} bytes)` : ''}`,
          o,
          len,
          type,
          kids,
        ),
      );
    o += (len + 3) & ~3;
    if (++n >= MAX_CHUNKS) {
      info += '… ';
      break;
    }
  }
  d.info = info;
}
