// TCP (RFC 9293): header, flags as Wireshark writes them ("[SYN, ACK]"), raw sequence numbers,
// options (MSS, WS, SACK_PERM, SACK, TS, NOP, EOL). No stream state: windows are shown unscaled
// and sequence numbers raw (Wireshark with tcp.relative_sequence_numbers off).

import { u16, u32 } from './bytes.js';
import { type Dissection, field, SharedFields, sharedField } from './dissection.js';
import { bits, hex16 } from './format.js';
import { dispatchPorts, TCP_HEURISTICS, TCP_PORTS } from './registry.js';
import type { Field } from './types.js';

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
  info += ` [${tcpFlagsText(flags)}] Seq=${seq}`;
  if (flags & 0x10) info += ` Ack=${ack}`;
  info += ` Win=${win}`;
  if (flags & 0x20) info += ` Urg=${urg}`;
  if (L) {
    L.fields.push(
      field('tcp.seq', `Sequence Number (raw): ${seq}`, off + 4, 4, seq),
      field('tcp.ack', `Acknowledgment Number (raw): ${ack}`, off + 8, 4, ack),
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
    L.label += `, Seq: ${seq}${flags & 0x10 ? `, Ack: ${ack}` : ''}, Len: ${seglen}`;
    L.fields.push(field('tcp.len', `[TCP Segment Len: ${seglen}]`, off, 0, seglen));
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
    if (cut) {
      d.info = info;
      d.short(L, 'TCP', 'TCP options', oend, end);
      return;
    }
  }
  d.info = info;
  const poff = off + hl;
  if (seglen > 0) {
    if (dispatchPorts(d, TCP_PORTS, TCP_HEURISTICS, poff, end, rend, sport, dport)) return;
    if (L && end > poff)
      L.fields.push(
        field('tcp.payload', `TCP payload (${end - poff} byte${end - poff === 1 ? '' : 's'})`, poff, end - poff),
      );
  }
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
