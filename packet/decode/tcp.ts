// TCP (RFC 9293): header, flags as Wireshark writes them ("[SYN, ACK]"), options (MSS, WS,
// SACK_PERM, SACK, TS, NOP, EOL). Decoded as part of a capture (a StreamContext, streams.ts), a
// segment also shows its stream, relative sequence numbers, its window scaled, and the analysis
// Wireshark gives it; decoded alone, its numbers are raw and its window unscaled (Wireshark with
// tcp.analyze_sequence_numbers off).

import { u16, u32 } from './bytes.js';
import { type Dissection, field, SharedFields, sharedField } from './dissection.js';
import { bits, hex16 } from './format.js';
import { dispatchPorts, TCP_HEURISTICS, TCP_PORTS } from './registry.js';
import { tcpFacts } from './stream-pass.js';
import { TCP_ANALYSED, TCP_ANALYSIS, type TcpView } from './streams.js';
import { analysisFields, analysisInfo, timestampFields } from './tcp-analysis-tree.js';
import type { Field } from './types.js';

/** Segments whose payload Wireshark hands to no protocol above TCP (tcp.no_subdissector_on_error,
 *  on by default; a keep-alive's byte is garbage): a resent or late segment would be taken for a
 *  new message, a request sent twice paired twice. */
const NOT_HANDED_ON = TCP_ANALYSIS.retransmission | TCP_ANALYSIS.outOfOrder | TCP_ANALYSIS.keepAlive;

// Bit 8 is AE (Accurate ECN, RFC 9768), formerly NS; Wireshark 4.0.17 writes AE.
const FLAG_NAMES = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR', 'AE'];
const flagCache: string[] = [];

/** "SYN, ACK" for the 12 flag bits, as Wireshark's Info writes them; cached per value. */
export function tcpFlagsText(flags: number): string {
  const hit = flagCache[flags];
  if (hit !== undefined) return hit;
  let s = '';
  for (let i = 0; i < 9; i++) if (flags & (1 << i)) s += (s ? ', ' : '') + FLAG_NAMES[i];
  if (flags & 0xe00) s += `${s ? ', ' : ''}Reserved`;
  if (s === '') s = '<None>';
  flagCache[flags] = s;
  return s;
}

const OPTION_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'End of Option List (EOL)'],
  [1, 'No-Operation (NOP)'],
  [2, 'Maximum segment size'],
  [3, 'Window scale'],
  [4, 'SACK permitted'],
  [5, 'SACK'],
  [8, 'Timestamps'],
  [19, 'MD5 signature'],
  [28, 'User Timeout'],
  [29, 'TCP-AO'],
  [30, 'Multipath TCP'],
  [34, 'TCP Fast Open Cookie'],
]);

export function dissectTcp(d: Dissection, off: number, end: number, rend: number): void {
  const b = d.data;
  const avail = end - off;
  d.protocol = 'TCP';
  d.info = '';
  const L = d.treeLayer('tcp', 'Transmission Control Protocol', off, Math.max(Math.min(avail, 20), 0));
  if (avail < 4) {
    d.short(L, 'TCP', 'TCP header', off + 20, end);
    return;
  }
  const sport = u16(b, off);
  const dport = u16(b, off + 2);
  d.setPorts('tcp', sport, dport);
  let info = `${sport} → ${dport}`;
  if (L) {
    L.label = `Transmission Control Protocol, Src Port: ${sport}, Dst Port: ${dport}`;
    L.fields.push(
      sharedField('tcp.srcport', off * 65536 + sport, () =>
        field('tcp.srcport', `Source Port: ${sport}`, off, 2, sport),
      ),
      sharedField('tcp.dstport', (off + 2) * 65536 + dport, () =>
        field('tcp.dstport', `Destination Port: ${dport}`, off + 2, 2, dport),
      ),
    );
  }
  if (avail < 20) {
    d.info = info;
    d.short(L, 'TCP', 'TCP header', off + 20, end);
    return;
  }
  const seq = u32(b, off + 4);
  const ack = u32(b, off + 8);
  const hl = (b[off + 12]! >> 4) * 4;
  const flags = u16(b, off + 12) & 0xfff;
  const win = u16(b, off + 14);
  const urg = u16(b, off + 18);
  // Decoded as part of a capture, over IP: the segment's analysis from the capture's streams.
  const a = d.streams && d.convProto !== undefined ? d.streams.tcp(d, tcpFacts(b, off, end, rend)) : undefined;
  const analysed = a !== undefined && (a.bits & TCP_ANALYSED) !== 0;
  const shownSeq = analysed ? a.seq : seq;
  const shownAck = analysed && flags & 0x10 ? a.ack : ack;
  // SYNs are never scaled; a scale still unknown leaves the window as sent.
  const shownWin = analysed && !(flags & 0x02) && a.scale >= 0 ? win * 2 ** a.scale : win;
  info += ` [${tcpFlagsText(flags)}] Seq=${shownSeq}`;
  if (flags & 0x10) info += ` Ack=${shownAck}`;
  info += ` Win=${shownWin}`;
  if (flags & 0x20) info += ` Urg=${urg}`;
  if (L) {
    if (a) L.fields.push(field('tcp.stream', `[Stream index: ${a.stream}]`, off, 0, a.stream));
    L.fields.push(
      ...sequenceFields(
        off,
        seq,
        ack,
        flags,
        analysed ? a : undefined,
        d.fragmented || d.inError ? -1 : rend - off - hl,
      ),
      sharedField('tcp.hdr_len', (off + 12) * 256 + b[off + 12]!, () =>
        field(
          'tcp.hdr_len',
          `${bits(b[off + 12]!, 7, 4, 8)} .... = Header Length: ${hl} bytes (${hl >> 2})`,
          off + 12,
          1,
          hl,
        ),
      ),
      flagsField(flags, off + 12),
      sharedField('tcp.window_size_value', (off + 14) * 65536 + win, () =>
        field('tcp.window_size_value', `Window: ${win}`, off + 14, 2, win),
      ),
      ...windowFields(off, flags, shownWin, a),
      field('tcp.checksum', `Checksum: ${hex16(u16(b, off + 16))} [unverified]`, off + 16, 2, u16(b, off + 16)),
      sharedField('tcp.urgent_pointer', (off + 18) * 65536 + urg, () =>
        field('tcp.urgent_pointer', `Urgent Pointer: ${urg}`, off + 18, 2, urg),
      ),
    );
  }
  if (hl < 20) {
    d.info = `${info}, bogus TCP header length (${hl}, must be at least 20)`;
    d.malformed(L, 'TCP', `bogus header length ${hl}`, off + 12, 1, false);
    return;
  }
  const seglen = rend - off - hl;
  if (seglen < 0) {
    d.info = info;
    d.malformed(L, 'TCP', `header length ${hl} exceeds the segment (${rend - off} bytes)`, off + 12, 1);
    return;
  }
  info += ` Len=${seglen}`;
  if (L) {
    L.length = Math.min(hl, avail);
    L.label += `, Seq: ${shownSeq}${flags & 0x10 ? `, Ack: ${shownAck}` : ''}, Len: ${seglen}`;
    // A fragment's or a quoted segment's length is not known (Wireshark shows none).
    if (!d.fragmented && !d.inError)
      L.fields.splice(a ? 3 : 2, 0, field('tcp.len', `[TCP Segment Len: ${seglen}]`, off, 0, seglen));
  }
  if (hl > 20) {
    const oend = off + hl;
    const kids: Field[] | undefined = L ? [] : undefined;
    let o = off + 20;
    let cut = false;
    while (o < oend) {
      if (o >= end) {
        cut = true;
        break;
      }
      const kind = b[o]!;
      if (kind === 0) {
        kids?.push(
          sharedField('tcp.options.eol', o, () =>
            field('tcp.option_kind', `TCP Option - ${OPTION_NAMES.get(0)}`, o, 1, 0),
          ),
        );
        break;
      }
      if (kind === 1) {
        kids?.push(
          sharedField('tcp.options.nop', o, () =>
            field('tcp.options.nop', `TCP Option - ${OPTION_NAMES.get(1)}`, o, 1, 1),
          ),
        );
        o++;
        continue;
      }
      if (o + 1 >= oend) {
        kids?.push(field('_ws.expert', `[TCP Option kind ${kind}: length byte missing]`, o, 1));
        break;
      }
      if (o + 1 >= end) {
        cut = true;
        break;
      }
      const len = b[o + 1]!;
      if (len < 2 || o + len > oend) {
        kids?.push(field('_ws.expert', `[TCP Option kind ${kind}: bad length ${len}]`, o, Math.min(oend, end) - o));
        break;
      }
      if (o + len > end) {
        cut = true;
        break;
      }
      let kid: Field | undefined;
      if (kind === 2 && len === 4) {
        const mss = u16(b, o + 2);
        info += ` MSS=${mss}`;
        if (kids)
          kid = sharedField('tcp.options.mss', o * 65536 + mss, () =>
            option(o, kind, len, 'tcp.options.mss', `Maximum segment size: ${mss} bytes`, [
              field('tcp.options.mss_val', `MSS Value: ${mss}`, o + 2, 2, mss),
            ]),
          );
      } else if (kind === 3 && len === 3) {
        const shift = b[o + 2]!;
        const mult = 1 << Math.min(shift, 14);
        info += ` WS=${mult}`;
        if (kids)
          kid = sharedField('tcp.options.wscale', o * 256 + shift, () =>
            option(o, kind, len, 'tcp.options.wscale', `Window scale: ${shift} (multiply by ${mult})`, [
              field('tcp.options.wscale.shift', `Shift count: ${shift}`, o + 2, 1, shift),
              field('tcp.options.wscale.multiplier', `[Multiplier: ${mult}]`, o + 2, 1, mult),
            ]),
          );
      } else if (kind === 4 && len === 2) {
        info += ' SACK_PERM';
        if (kids)
          kid = sharedField('tcp.options.sack_perm', o, () =>
            option(o, kind, len, 'tcp.options.sack_perm', 'SACK permitted', [], true),
          );
      } else if (kind === 5 && len >= 2) {
        const sk: Field[] = [];
        let edges = '';
        for (let e = o + 2; e + 8 <= o + len; e += 8) {
          const le = u32(b, e);
          const re = u32(b, e + 4);
          info += ` SLE=${le} SRE=${re}`;
          if (kids) {
            edges += `${(edges ? ' ' : '') + le}-${re}`;
            sk.push(
              field('tcp.options.sack_le', `left edge = ${le}`, e, 4, le),
              field('tcp.options.sack_re', `right edge = ${re}`, e + 4, 4, re),
            );
          }
        }
        if (kids) kid = option(o, kind, len, 'tcp.options.sack', `SACK ${edges}`, sk);
      } else if (kind === 8 && len === 10) {
        const tsval = u32(b, o + 2);
        const tsecr = u32(b, o + 6);
        info += ` TSval=${tsval} TSecr=${tsecr}`;
        if (kids)
          kid = option(o, kind, len, 'tcp.options.timestamp', `Timestamps: TSval ${tsval}, TSecr ${tsecr}`, [
            field('tcp.options.timestamp.tsval', `Timestamp value: ${tsval}`, o + 2, 4, tsval),
            field('tcp.options.timestamp.tsecr', `Timestamp echo reply: ${tsecr}`, o + 6, 4, tsecr),
          ]);
      } else if (kids) {
        kid = option(o, kind, len, 'tcp.option_kind', OPTION_NAMES.get(kind) ?? `Unknown (${kind})`, [], kind);
      }
      if (kid) kids!.push(kid);
      o += len;
    }
    if (L && kids)
      L.fields.push(
        field('tcp.options', `Options: (${hl - 20} bytes)`, off + 20, Math.min(hl, avail) - 20, undefined, kids),
      );
    if (L && a) L.fields.push(timestampFields(a, off));
    if (cut) {
      // Wireshark's options end in an exception here, before it prints the analysis.
      d.info = info;
      d.short(L, 'TCP', 'TCP options', oend, end);
      return;
    }
  }
  if (L && a) {
    if (hl === 20) L.fields.push(timestampFields(a, off));
    L.fields.push(...analysisFields(a, off));
  }
  // Wireshark puts the analysis in front of whatever the payload's protocol writes.
  d.info = info;
  d.infoPrefix = analysisInfo(a);
  const poff = off + hl;
  if (seglen > 0) {
    if (!(a && a.bits & NOT_HANDED_ON) && dispatchPorts(d, TCP_PORTS, TCP_HEURISTICS, poff, end, rend, sport, dport))
      return;
    if (L && end > poff)
      L.fields.push(
        field('tcp.payload', `TCP payload (${end - poff} byte${end - poff === 1 ? '' : 's'})`, poff, end - poff),
      );
  }
}

/** Sequence, next sequence and acknowledgement numbers: relative with their raw values beside
 *  them when the segment was analysed, else as sent. */
function sequenceFields(
  off: number,
  seq: number,
  ack: number,
  flags: number,
  a: TcpView | undefined,
  seglen: number,
): Field[] {
  const relative = a !== undefined;
  const out = [
    field(
      'tcp.seq',
      `Sequence Number: ${relative ? `${a.seq}    (relative sequence number)` : seq}`,
      off + 4,
      4,
      a?.seq ?? seq,
    ),
    field('tcp.seq_raw', `Sequence Number (raw): ${seq}`, off + 4, 4, seq),
  ];
  if (seglen >= 0) {
    const next = ((a?.seq ?? seq) + seglen + (flags & 0x03 ? 1 : 0)) >>> 0;
    out.push(
      field(
        'tcp.nxtseq',
        `[Next Sequence Number: ${next}${relative ? '    (relative sequence number)' : ''}]`,
        off,
        0,
        next,
      ),
    );
  }
  const shownAck = relative && flags & 0x10 ? a.ack : ack;
  out.push(
    field(
      'tcp.ack',
      `Acknowledgment Number: ${shownAck}${relative && flags & 0x10 ? '    (relative ack number)' : ''}`,
      off + 8,
      4,
      shownAck,
    ),
    field('tcp.ack_raw', `Acknowledgment number (raw): ${ack}`, off + 8, 4, ack),
  );
  return out;
}

/** The window as scaled by the handshake, and the scale in force (not on a SYN). */
function windowFields(off: number, flags: number, window: number, a: TcpView | undefined): Field[] {
  const out = [field('tcp.window_size', `[Calculated window size: ${window}]`, off + 14, 2, window)];
  if (a && !(flags & 0x02)) {
    const factor = a.scale >= 0 ? 2 ** a.scale : a.scale;
    const why = a.scale === -1 ? ' (unknown)' : a.scale === -2 ? ' (no window scaling used)' : '';
    out.push(
      field('tcp.window_size_scalefactor', `[Window size scaling factor: ${factor}${why}]`, off + 14, 2, factor),
    );
  }
  return out;
}

const flagFields = new SharedFields();

/** One option's subtree: kind and length first, then what the option holds. */
function option(
  o: number,
  kind: number,
  len: number,
  name: string,
  text: string,
  kids: Field[],
  value?: string | number | boolean,
): Field {
  const kindName = OPTION_NAMES.get(kind) ?? `Unknown (${kind})`;
  return field(name, `TCP Option - ${text}`, o, len, value, [
    field('tcp.option_kind', `Kind: ${kindName} (${kind})`, o, 1, kind),
    field('tcp.option_len', `Length: ${len}`, o + 1, 1, len),
    ...kids,
  ]);
}

function flagsField(flags: number, o: number): Field {
  return flagFields.get(o * 4096 + flags, () => flagsTree(flags, o));
}

function flagsTree(flags: number, o: number): Field {
  const bit = (n: number, name: string, key: string) => {
    const set = (flags >> n) & 1;
    return field(`tcp.flags.${key}`, `${bits(flags, n, 1, 12)} = ${name}: ${set ? 'Set' : 'Not set'}`, o, 2, set === 1);
  };
  const str = ['F', 'S', 'R', 'P', 'A', 'U', 'E', 'C', 'N']
    .map((c, i) => (flags & (1 << i) ? c : '·'))
    .reverse()
    .join('');
  return field('tcp.flags', `Flags: 0x${flags.toString(16).padStart(3, '0')} (${tcpFlagsText(flags)})`, o, 2, flags, [
    field(
      'tcp.flags.res',
      `${bits(flags, 11, 3, 12)} = Reserved: ${flags & 0xe00 ? 'Set' : 'Not set'}`,
      o,
      2,
      (flags & 0xe00) !== 0,
    ),
    bit(8, 'Accurate ECN', 'ae'),
    bit(7, 'Congestion Window Reduced (CWR)', 'cwr'),
    bit(6, 'ECN-Echo', 'ece'),
    bit(5, 'Urgent', 'urg'),
    bit(4, 'Acknowledgment', 'ack'),
    bit(3, 'Push', 'push'),
    bit(2, 'Reset', 'reset'),
    bit(1, 'Syn', 'syn'),
    bit(0, 'Fin', 'fin'),
    field('tcp.flags.str', `[TCP Flags: ···${str}]`, o, 2, `···${str}`),
  ]);
}
