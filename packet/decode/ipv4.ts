// IPv4 (RFC 791): header, options, fragments. A non-first fragment is shown as a fragment, as
// Wireshark does with reassembly off; a first fragment is decoded as far as its bytes go.

import { checksumStatus, onesSum, u16, u32 } from './bytes.js';
import { type Dissection, field, sharedField } from './dissection.js';
import { dsField } from './dsfield.js';
import { bits, DEC, hex8, hex16, ipv4 } from './format.js';
import { dissectIpv6Direct } from './ipv6.js';
import { ipProtoName } from './names.js';
import { dispatchIpProto } from './registry.js';

import type { Field, Layer } from './types.js';

const OPTIONS: ReadonlyMap<number, string> = new Map([
  [0, 'End of Options List (EOL)'],
  [1, 'No-Operation (NOP)'],
  [7, 'Record Route (RR)'],
  [68, 'Time Stamp (TS)'],
  [130, 'Security (SEC)'],
  [131, 'Loose Source Route (LSR)'],
  [133, 'Extended Security (E-SEC)'],
  [134, 'Commercial IP Security (CIPSO)'],
  [136, 'Stream ID (SID)'],
  [137, 'Strict Source Route (SSR)'],
  [148, 'Router Alert (RTRALT)'],
]);

export function dissectIpv4(d: Dissection, off: number, end: number, rend: number): void {
  const b = d.data;
  const avail = end - off;
  d.protocol = 'IPv4';
  d.info = '';
  const L = d.treeLayer('ip', 'Internet Protocol Version 4', off, Math.max(Math.min(avail, 20), 0));
  if (avail < 1) {
    d.short(L, 'IPv4', 'IPv4 header', off + 20, end);
    return;
  }
  const ver = b[off]! >> 4;
  const hl = (b[off]! & 15) * 4;
  if (L) {
    const k = off * 256 + b[off]!;
    L.fields.push(
      sharedField('ip.version', k, () =>
        field('ip.version', `${bits(b[off]!, 7, 4, 8)} = Version: ${ver}`, off, 1, ver),
      ),
      sharedField('ip.hdr_len', k, () =>
        field('ip.hdr_len', `${bits(b[off]!, 3, 4, 8)} = Header Length: ${hl} bytes (${hl >> 2})`, off, 1, hl),
      ),
    );
  }
  if (ver === 6) {
    // Wireshark hands an "IPv4" packet whose version says 6 to IPv6.
    // Its layer goes (recorded without fields too, in a filter's selective tree).
    const last = d.layers[d.layers.length - 1];
    if (last?.protocol === 'ip' && last.offset === off) d.layers.pop();
    dissectIpv6Direct(d, off, end, rend);
    return;
  }
  if (ver !== 4) {
    d.info = `Bogus IPv4 version (${ver}, must be 4)`;
    d.malformed(L, 'IPv4', d.info, off, 1, false);
    return;
  }
  if (hl < 20) {
    d.info = `Bogus IP header length (${hl}, must be at least 20)`;
    d.malformed(L, 'IPv4', d.info, off, 1, false);
    return;
  }
  if (avail < 20) {
    // Wireshark fills each address column as soon as its bytes are there.
    if (avail >= 16) d.src = ipv4(b, off + 12);
    d.short(L, 'IPv4', 'IPv4 header', off + 20, end);
    return;
  }
  let total = u16(b, off + 2);
  // A total length of 0 comes from TCP segmentation offload: the frame says how long it is.
  const tso = total === 0;
  if (tso) total = rend - off;
  const id = u16(b, off + 4);
  const flags = u16(b, off + 6);
  const ttl = b[off + 8]!;
  const proto = b[off + 9]!;
  const src = ipv4(b, off + 12);
  const dst = ipv4(b, off + 16);
  if (L) {
    L.label = `Internet Protocol Version 4, Src: ${src}, Dst: ${dst}`;
    const fl = flags >>> 13;
    const flagText = fl & 2 ? ", Don't fragment" : fl & 1 ? ', More fragments' : '';
    const ck = u16(b, off + 10);
    const raw = onesSum(b, off, off + Math.min(hl, avail));
    L.fields.push(
      dsField('ip.dsfield', 'Differentiated Services Field', b[off + 1]!, off + 1, 1),
      field('ip.len', `Total Length: ${tso ? `0 (TSO: ${total})` : total}`, off + 2, 2, total),
      field('ip.id', `Identification: ${hex16(id)} (${id})`, off + 4, 2, id),
      sharedField('ip.flags', (off + 6) * 256 + b[off + 6]!, () =>
        field(
          'ip.flags',
          `${bits(b[off + 6]!, 7, 3, 8)} = Flags: ${hex8(b[off + 6]! & 0xe0)}${flagText}`,
          off + 6,
          1,
          fl,
          [
            field(
              'ip.flags.rb',
              `${bits(b[off + 6]!, 7, 1, 8)} = Reserved bit: ${fl & 4 ? 'Set' : 'Not set'}`,
              off + 6,
              1,
              (fl & 4) !== 0,
            ),
            field(
              'ip.flags.df',
              `${bits(b[off + 6]!, 6, 1, 8)} = Don't fragment: ${fl & 2 ? 'Set' : 'Not set'}`,
              off + 6,
              1,
              (fl & 2) !== 0,
            ),
            field(
              'ip.flags.mf',
              `${bits(b[off + 6]!, 5, 1, 8)} = More fragments: ${fl & 1 ? 'Set' : 'Not set'}`,
              off + 6,
              1,
              (fl & 1) !== 0,
            ),
          ],
        ),
      ),
      sharedField('ip.frag_offset', (off + 6) * 65536 + flags, () =>
        field(
          'ip.frag_offset',
          `${bits(flags, 12, 13)} = Fragment Offset: ${(flags & 0x1fff) * 8}`,
          off + 6,
          2,
          (flags & 0x1fff) * 8,
        ),
      ),
      sharedField('ip.ttl', (off + 8) * 256 + ttl, () => field('ip.ttl', `Time to Live: ${ttl}`, off + 8, 1, ttl)),
      sharedField('ip.proto', (off + 9) * 256 + proto, () =>
        field('ip.proto', `Protocol: ${ipProtoName(proto)} (${proto})`, off + 9, 1, proto),
      ),
      field('ip.checksum', `Header Checksum: ${hex16(ck)} ${checksumStatus(raw, ck)}`, off + 10, 2, ck),
      sharedField('ip.src', (off + 12) * 4294967296 + u32(b, off + 12), () =>
        field('ip.src', `Source Address: ${src}`, off + 12, 4, src),
      ),
      sharedField('ip.dst', (off + 16) * 4294967296 + u32(b, off + 16), () =>
        field('ip.dst', `Destination Address: ${dst}`, off + 16, 4, dst),
      ),
    );
  }
  if (total < hl) {
    d.info = `Bogus IP length (${total}, less than header length ${hl})`;
    d.malformed(L, 'IPv4', d.info, off + 2, 2, false);
    return;
  }
  d.setNet(src, dst, false, off + 12);
  d.ttl = ttl;
  if (avail < hl) {
    d.short(L, 'IPv4', 'IPv4 options', off + hl, end);
    return;
  }
  if (L) {
    L.length = hl;
    if (hl > 20) options(d, L, off + 20, off + hl);
  }
  const pRend = Math.min(rend, off + total);
  const pEnd = Math.min(end, pRend);
  d.checkLength(L, 'IPv4', off, total);
  const fragOff = (flags & 0x1fff) * 8;
  if (fragOff > 0) {
    d.info = `Fragmented IP protocol (proto=${ipProtoName(proto)} ${proto}, off=${fragOff}, ID=${hex16(id).slice(2)})`;
    if (d.recordsLayers && pEnd > off + hl) d.dataLayer(off + hl, pEnd);
    return;
  }
  d.fragmented = (flags & 0x2000) !== 0;
  if (off + hl >= pRend) return;
  if (!dispatchIpProto(d, proto, off + hl, pEnd, pRend)) {
    d.info = `${ipProtoName(proto)} (${proto})`;
    if (d.recordsLayers && pEnd > off + hl) d.dataLayer(off + hl, pEnd);
  }
}

function options(d: Dissection, L: Layer, o: number, end: number): void {
  const b = d.data;
  const kids: Field[] = [];
  const start = o;
  while (o < end) {
    const type = b[o]!;
    const name = OPTIONS.get(type) ?? `Unknown (${DEC[type]})`;
    if (type === 0) {
      kids.push(field('ip.opt.type', `IP Option - ${name}`, o, 1, type));
      if (end - o - 1 > 0) kids.push(field('ip.opt.padding', `Padding: ${end - o - 1} bytes`, o + 1, end - o - 1));
      break;
    }
    if (type === 1) {
      kids.push(field('ip.opt.type', `IP Option - ${name}`, o, 1, type));
      o++;
      continue;
    }
    if (o + 1 >= end) {
      kids.push(field('_ws.expert', `[IP Option - ${name}: length byte missing]`, o, 1));
      break;
    }
    const len = b[o + 1]!;
    if (len < 2 || o + len > end) {
      kids.push(field('_ws.expert', `[IP Option - ${name}: bad length ${len}]`, o, end - o));
      break;
    }
    kids.push(
      field('ip.opt.type', `IP Option - ${name} (${len} bytes)`, o, len, type, [
        field('ip.opt.type', `Type: ${type}`, o, 1, type),
        field('ip.opt.len', `Length: ${len}`, o + 1, 1, len),
      ]),
    );
    o += len;
  }
  L.fields.push(field('ip.options', `Options: (${end - start} bytes)`, start, end - start, undefined, kids));
}
