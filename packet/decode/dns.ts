// DNS (RFC 1035) over UDP and TCP port 53, and mDNS (RFC 6762) on 5353: header, questions and
// resource records (A, AAAA, CNAME, PTR, MX, TXT, NS, SOA, SRV, OPT decoded; others shown by
// type). Info as Wireshark's: "Standard query 0x1234 A example.com", "Standard query response
// 0x1234 A example.com A 1.2.3.4".
//
// Compression pointers must point strictly before the lowest offset the name has visited so far
// (the name's own start, then each pointer's target), so a name cannot loop; a name is at most
// 255 bytes on the wire and follows at most MAX_POINTERS pointers. Every count in the header is
// bounded by the bytes really present (each question or record takes at least 5 or 11 bytes).
//
// A message over UDP is paired with its query or response by the streams pass
// (dns-transactions.ts): a message decoded to its end shows its link as Wireshark's does.

import { u16, u32 } from './bytes.js';
import { type Dissection, field, sharedField } from './dissection.js';
import type { DnsPairing } from './dns-transactions.js';
import { bits, escapeBytes, hex8, hex16, hexBytes, ipv4, ipv6, seconds } from './format.js';
import type { Field, Layer } from './types.js';

const MAX_NAME_WIRE = 255;
const MAX_POINTERS = 64;
/** Info stops growing past this length (Wireshark's column limit is of this order). */
const MAX_INFO = 4096;

const OPCODES = [
  'Standard query',
  'Inverse query',
  'Server status request',
  'Unknown operation (3)',
  'Zone change notification',
  'Dynamic update',
  'DNS Stateful operation',
];
const RCODES = [
  'No error',
  'Format error',
  'Server failure',
  'No such name',
  'Not implemented',
  'Refused',
  'Name exists',
  'RRset exists',
  'RRset does not exist',
  'Not authoritative',
  'Name out of zone',
];

const TYPES: ReadonlyMap<number, string> = new Map([
  [1, 'A'],
  [2, 'NS'],
  [3, 'MD'],
  [4, 'MF'],
  [5, 'CNAME'],
  [6, 'SOA'],
  [7, 'MB'],
  [8, 'MG'],
  [9, 'MR'],
  [10, 'NULL'],
  [11, 'WKS'],
  [12, 'PTR'],
  [13, 'HINFO'],
  [14, 'MINFO'],
  [15, 'MX'],
  [16, 'TXT'],
  [17, 'RP'],
  [18, 'AFSDB'],
  [19, 'X25'],
  [20, 'ISDN'],
  [21, 'RT'],
  [22, 'NSAP'],
  [23, 'NSAP-PTR'],
  [24, 'SIG'],
  [25, 'KEY'],
  [26, 'PX'],
  [27, 'GPOS'],
  [28, 'AAAA'],
  [29, 'LOC'],
  [30, 'NXT'],
  [31, 'EID'],
  [32, 'NIMLOC'],
  [33, 'SRV'],
  [34, 'ATMA'],
  [35, 'NAPTR'],
  [36, 'KX'],
  [37, 'CERT'],
  [38, 'A6'],
  [39, 'DNAME'],
  [40, 'SINK'],
  [41, 'OPT'],
  [42, 'APL'],
  [43, 'DS'],
  [44, 'SSHFP'],
  [45, 'IPSECKEY'],
  [46, 'RRSIG'],
  [47, 'NSEC'],
  [48, 'DNSKEY'],
  [49, 'DHCID'],
  [50, 'NSEC3'],
  [51, 'NSEC3PARAM'],
  [52, 'TLSA'],
  [53, 'SMIMEA'],
  [55, 'HIP'],
  [56, 'NINFO'],
  [57, 'RKEY'],
  [58, 'TALINK'],
  [59, 'CDS'],
  [60, 'CDNSKEY'],
  [61, 'OPENPGPKEY'],
  [62, 'CSYNC'],
  [63, 'ZONEMD'],
  [64, 'SVCB'],
  [65, 'HTTPS'],
  [99, 'SPF'],
  [100, 'UINFO'],
  [101, 'UID'],
  [102, 'GID'],
  [103, 'UNSPEC'],
  [104, 'NID'],
  [105, 'L32'],
  [106, 'L64'],
  [107, 'LP'],
  [108, 'EUI48'],
  [109, 'EUI64'],
  [249, 'TKEY'],
  [250, 'TSIG'],
  [251, 'IXFR'],
  [252, 'AXFR'],
  [253, 'MAILB'],
  [254, 'MAILA'],
  [255, 'ANY'],
  [256, 'URI'],
  [257, 'CAA'],
  [258, 'AVC'],
  [259, 'DOA'],
  [260, 'AMTRELAY'],
  [32768, 'TA'],
  [32769, 'DLV'],
]);

const CLASSES: ReadonlyMap<number, string> = new Map([
  [1, 'IN'],
  [3, 'CH'],
  [4, 'HS'],
  [254, 'NONE'],
  [255, 'ANY'],
]);

function typeName(t: number): string {
  return TYPES.get(t) ?? `Unknown (${t})`;
}

function className(c: number): string {
  return `${CLASSES.get(c) ?? 'Unknown'} (${hex16(c)})`;
}

/** Shared state of one message's decode. */
interface Msg {
  d: Dissection;
  b: Uint8Array;
  /** Offset of the DNS header: pointers are relative to it. */
  start: number;
  /** End of the captured message bytes. */
  end: number;
  mdns: boolean;
  L: Layer | undefined;
  info: string;
  proto: string;
  /** Set when a name could not be read: the decode stops after the record. */
  bad: string | undefined;
}

/** What readName returns (one object reused per message). */
interface NameResult {
  name: string;
  next: number;
  wire: number;
}

export function dissectDnsUdp(d: Dissection, off: number, end: number, rend: number): boolean {
  dns(d, off, end, rend, false, false);
  return true;
}

export function dissectMdns(d: Dissection, off: number, end: number, rend: number): boolean {
  dns(d, off, end, rend, true, false);
  return true;
}

/** DNS over TCP: each message has a 2-byte length prefix. Only the first message is decoded. */
export function dissectDnsTcp(d: Dissection, off: number, end: number, rend: number): boolean {
  dns(d, off, end, rend, false, true);
  return true;
}

function dns(d: Dissection, off: number, end: number, rend: number, mdns: boolean, tcp: boolean): void {
  const b = d.data;
  const proto = mdns ? 'MDNS' : 'DNS';
  d.protocol = proto;
  d.info = '';
  const L = d.treeLayer(
    mdns ? 'mdns' : 'dns',
    mdns ? 'Multicast Domain Name System' : 'Domain Name System',
    off,
    Math.max(end - off, 0),
  );
  if (tcp) {
    if (end - off < 2) {
      d.short(L, proto, 'DNS length', off + 2, end);
      return;
    }
    const len = u16(b, off);
    L?.fields.push(field('dns.length', `Length: ${len}`, off, 2, len));
    const mEnd = off + 2 + len;
    off += 2;
    if (mEnd < rend) rend = mEnd;
    if (mEnd < end) end = mEnd;
  }
  const m: Msg = { d, b, start: off, end, mdns, L, info: '', proto, bad: undefined };
  if (end - off < 4) {
    d.short(L, proto, 'DNS header', off + 12, end);
    return;
  }
  const id = u16(b, off);
  const flags = u16(b, off + 2);
  const response = (flags & 0x8000) !== 0;
  // Paired here, right after the ID and flags, as Wireshark pairs: a message cut short after them
  // still takes part in its transaction.
  const pairing = d.streams?.dns?.(id, response);
  if (d.transportOnly) return; // the streams pass pairs the message and needs nothing more of it
  const opcode = (flags >> 11) & 15;
  const rcode = flags & 15;
  m.info = (OPCODES[opcode] ?? `Unknown operation (${opcode})`) + (response ? ' response ' : ' ') + hex16(id);
  if (response && rcode !== 0) m.info += ` ${RCODES[rcode] ?? `Unknown error (${rcode})`}`;
  if (L) {
    L.label += response ? ' (response)' : ' (query)';
    L.fields.push(field('dns.id', `Transaction ID: ${hex16(id)}`, off, 2, id), flagsField(flags, off + 2, response));
  }
  if (end - off < 12) {
    d.info = m.info;
    d.short(L, proto, 'DNS header', off + 12, end);
    return;
  }
  // Past the header, what is left to read is fields and Info: a filter that reads neither stops here.
  if (!L && !d.columns) return;
  const qd = u16(b, off + 4);
  const an = u16(b, off + 6);
  const ns = u16(b, off + 8);
  const ar = u16(b, off + 10);
  L?.fields.push(
    field('dns.count.queries', `Questions: ${qd}`, off + 4, 2, qd),
    field(
      opcode === 5 ? 'dns.count.prerequisites' : 'dns.count.answers',
      `${opcode === 5 ? 'Prerequisites' : 'Answer RRs'}: ${an}`,
      off + 6,
      2,
      an,
    ),
    field('dns.count.auth_rr', `Authority RRs: ${ns}`, off + 8, 2, ns),
    field('dns.count.add_rr', `Additional RRs: ${ar}`, off + 10, 2, ar),
  );
  const nr: NameResult = { name: '', next: 0, wire: 0 };
  let o = off + 12;
  // Questions
  let kids: Field[] | undefined = L ? [] : undefined;
  for (let i = 0; i < qd; i++) {
    const r = question(m, o, nr, kids);
    if (r < 0) {
      finish(m, kids, 'dns.qry', 'Queries');
      return;
    }
    o = r;
    if (m.bad) {
      finish(m, kids, 'dns.qry', 'Queries');
      return;
    }
  }
  if (kids && qd) L!.fields.push(field('dns.queries', 'Queries', off + 12, o - off - 12, undefined, kids));
  const sections: [number, string, string][] = [
    [an, 'dns.answers', 'Answers'],
    [ns, 'dns.authorities', 'Authoritative nameservers'],
    [ar, 'dns.additionals', 'Additional records'],
  ];
  for (const [count, key, title] of sections) {
    kids = L ? [] : undefined;
    const s0 = o;
    for (let i = 0; i < count; i++) {
      const r = record(m, o, nr, kids);
      if (r < 0) {
        finish(m, kids, key, title);
        return;
      }
      o = r;
      if (m.bad) {
        finish(m, kids, key, title);
        return;
      }
    }
    if (kids && count) L!.fields.push(field(key, title, s0, o - s0, undefined, kids));
  }
  if (L) {
    if (pairing) L.fields.push(...transactionFields(pairing, off));
    L.length = o - L.offset;
  }
  d.info = m.info;
}

/** The message's place in its transaction, as Wireshark's tree ends with it (frame links "Go to
 *  Linked Packet" follows). */
function transactionFields(p: DnsPairing, at: number): Field[] {
  const frame = (name: string, label: string) => {
    const f = field(name, `[${label}: ${p.frame}]`, at, 0, p.frame);
    f.link = p.frame;
    return f;
  };
  const retransmission = () => field('dns.retransmission', '[Retransmission: True]', at, 0, true);
  switch (p.role) {
    case 'query':
      return p.frame === 0 ? [] : [frame('dns.response_in', 'Response In')];
    case 'response':
      return [
        frame('dns.response_to', 'Request In'),
        field('dns.time', `[Time: ${seconds(p.timeNs)} seconds]`, at, 0, p.timeNs / 1e9),
      ];
    case 'retransmittedQuery':
      return [frame('dns.retransmit_request_in', 'Retransmitted request. Original request in'), retransmission()];
    case 'retransmittedResponse':
      return [frame('dns.retransmit_response_in', 'Retransmitted response. Original response in'), retransmission()];
    case 'unsolicited':
      return [field('dns.unsolicited', '[Unsolicited: True]', at, 0, true)];
  }
}

/** Ends the decode after a problem: keeps what the section had and the Info built so far. */
function finish(m: Msg, kids: Field[] | undefined, _key: string, title: string): void {
  if (m.L && kids?.length) m.L.fields.push(field('dns.section', title, kids[0]!.offset, 0, undefined, kids));
  const problem = m.d.info; // short()/malformed() appended their mark to Info already
  m.d.info = m.info + problem;
}

function appendInfo(m: Msg, s: string): void {
  if (m.info.length < MAX_INFO) m.info += s;
}

/**
 * Reads a possibly compressed name at `o` into `out`; returns false after noting a problem
 * (truncation or a pointer past the message: malformed; a loop: the name says so, m.bad set).
 */
function readName(m: Msg, o: number, limitEnd: number, out: NameResult): boolean {
  const b = m.b;
  let name = '';
  let next = -1;
  let wire = 0;
  let hops = 0;
  let limit = o - m.start; // pointers must go strictly below this
  for (;;) {
    // Before the first pointer the name must stay inside limitEnd; a pointer's target anywhere
    // in the message.
    const bound = next < 0 ? limitEnd : m.end;
    if (o >= bound) {
      short(m, 'name', o + 1, bound);
      return false;
    }
    const len = b[o]!;
    if (len === 0) {
      if (next < 0) next = o + 1;
      wire++;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (o + 2 > bound) {
        short(m, 'name', o + 2, bound);
        return false;
      }
      const ptr = ((len & 0x3f) << 8) | b[o + 1]!;
      if (next < 0) next = o + 2;
      if (m.start + ptr >= m.end) {
        m.d.malformed(m.L, m.proto, `compression pointer ${ptr} beyond the message`, o, 2);
        return false;
      }
      if (ptr >= limit || ++hops > MAX_POINTERS) {
        const forward = ptr > o - m.start && hops <= MAX_POINTERS;
        const why =
          hops > MAX_POINTERS
            ? 'too many compression pointers'
            : forward
              ? `compression pointer ${ptr} points forward`
              : `compression pointer ${ptr} loops`;
        out.name = forward ? '<Name contains a forward pointer>' : '<Name contains a pointer that loops>';
        out.next = next;
        out.wire = wire;
        note(m, why, o, 2);
        return true;
      }
      limit = ptr;
      o = m.start + ptr;
      continue;
    }
    if (kind !== 0) {
      m.d.malformed(m.L, m.proto, `unsupported label type 0x${len.toString(16)}`, o, 1);
      return false;
    }
    wire += len + 1;
    if (wire > MAX_NAME_WIRE) {
      m.d.malformed(m.L, m.proto, `name longer than ${MAX_NAME_WIRE} bytes`, o, len + 1);
      return false;
    }
    if (o + 1 + len > bound) {
      short(m, 'name', o + 1 + len, bound);
      return false;
    }
    if (name.length) name += '.';
    name += escapeBytes(b, o + 1, o + 1 + len, 64);
    o += 1 + len;
  }
  out.name = name === '' ? '<Root>' : name;
  out.next = next;
  out.wire = wire;
  return true;
}

/** A name that cannot be read but whose end is known: noted, shown, and the decode stops. */
function note(m: Msg, why: string, o: number, n: number): void {
  m.bad = why;
  m.d.malformed(m.L, m.proto, why, o, n, false);
}

function short(m: Msg, what: string, need: number, end: number): void {
  m.d.short(m.L, m.proto, what, need, end);
}

function question(m: Msg, o: number, nr: NameResult, kids: Field[] | undefined): number {
  const b = m.b;
  if (!readName(m, o, m.end, nr)) return -1;
  const name = nr.name;
  const p = nr.next;
  if (p + 4 > m.end) {
    short(m, 'question', p + 4, m.end);
    return -1;
  }
  const type = u16(b, p);
  const cls = u16(b, p + 2);
  appendInfo(m, ` ${typeName(type)} ${name}`);
  if (m.mdns) appendInfo(m, cls & 0x8000 ? ', "QU" question' : ', "QM" question');
  if (kids) {
    const c = m.mdns ? cls & 0x7fff : cls;
    const k = [
      field('dns.qry.name', `Name: ${name}`, o, p - o, name),
      field('dns.qry.name.len', `[Name Length: ${name === '<Root>' ? 6 : name.length}]`, o, 0, name.length),
      field('dns.qry.type', `Type: ${typeName(type)} (${type})`, p, 2, type),
      field('dns.qry.class', `Class: ${className(c)}`, p + 2, 2, c),
    ];
    if (m.mdns)
      k.push(
        field(
          'dns.qry.qu',
          `"${cls & 0x8000 ? 'QU' : 'QM'}" question: ${cls & 0x8000 ? 'True' : 'False'}`,
          p + 2,
          2,
          (cls & 0x8000) !== 0,
        ),
      );
    kids.push(
      field('dns.qry', `${name}: type ${typeName(type)}, class ${CLASSES.get(c) ?? c}`, o, p + 4 - o, undefined, k),
    );
  }
  return p + 4;
}

function record(m: Msg, o: number, nr: NameResult, kids: Field[] | undefined): number {
  const b = m.b;
  if (!readName(m, o, m.end, nr)) return -1;
  const name = nr.name;
  const p = nr.next;
  if (p + 10 > m.end) {
    if (p + 2 <= m.end) appendInfo(m, ` ${typeName(u16(b, p))}`);
    short(m, 'resource record', p + 10, m.end);
    return -1;
  }
  const type = u16(b, p);
  const cls = u16(b, p + 2);
  const ttl = u32(b, p + 4);
  const rdlen = u16(b, p + 8);
  const rd = p + 10;
  const rdEnd = rd + rdlen;
  const tname = typeName(type);
  const flush = m.mdns && type !== 41 && (cls & 0x8000) !== 0;
  appendInfo(m, ` ${tname}${flush ? ', cache flush' : ''}`);
  const c = m.mdns && type !== 41 ? cls & 0x7fff : cls;
  const k: Field[] | undefined = kids
    ? [
        field('dns.resp.name', `Name: ${name}`, o, p - o, name),
        field('dns.resp.type', `Type: ${tname} (${type})`, p, 2, type),
      ]
    : undefined;
  if (k) {
    if (type === 41) {
      k.push(
        field('dns.rr.udp_payload_size', `UDP payload size: ${cls}`, p + 2, 2, cls),
        field('dns.resp.ext_rcode', `Higher bits in extended RCODE: ${hex8(ttl >>> 24)}`, p + 4, 1, ttl >>> 24),
        field('dns.resp.edns0_version', `EDNS0 version: ${(ttl >>> 16) & 0xff}`, p + 5, 1, (ttl >>> 16) & 0xff),
        field('dns.resp.z', `Z: ${hex16(ttl & 0xffff)}`, p + 6, 2, ttl & 0xffff, [
          field(
            'dns.resp.z.do',
            `${bits(ttl & 0xffff, 15, 1)} = DO bit: ${ttl & 0x8000 ? 'Accepts DNSSEC security RRs' : 'Cannot handle DNSSEC security RRs'}`,
            p + 6,
            2,
            (ttl & 0x8000) !== 0,
          ),
        ]),
      );
    } else {
      k.push(field('dns.resp.class', `Class: ${className(c)}`, p + 2, 2, c));
      if (m.mdns) k.push(field('dns.resp.cache_flush', `Cache flush: ${flush ? 'True' : 'False'}`, p + 2, 2, flush));
      k.push(field('dns.resp.ttl', `Time to live: ${ttl}`, p + 4, 4, ttl));
    }
    k.push(field('dns.resp.len', `Data length: ${rdlen}`, p + 8, 2, rdlen));
  }
  if (rdEnd > m.end) {
    short(m, `${tname} record data`, rdEnd, m.end);
    return -1;
  }
  let desc = '';
  switch (type) {
    case 1:
      if (rdlen !== 4) return badRdata(m, tname, rd, rdlen);
      desc = ipv4(b, rd);
      appendInfo(m, ` ${desc}`);
      k?.push(field('dns.a', `Address: ${desc}`, rd, 4, desc));
      desc = `addr ${desc}`;
      break;
    case 28:
      if (rdlen !== 16) return badRdata(m, tname, rd, rdlen);
      desc = ipv6(b, rd);
      appendInfo(m, ` ${desc}`);
      k?.push(field('dns.aaaa', `AAAA Address: ${desc}`, rd, 16, desc));
      desc = `addr ${desc}`;
      break;
    case 2:
    case 5:
    case 12:
    case 39: {
      if (!rdataName(m, rd, rdEnd, nr)) return -1;
      appendInfo(m, ` ${nr.name}`);
      const [key, label, short] =
        type === 2
          ? ['dns.ns', 'Name Server', 'ns']
          : type === 5
            ? ['dns.cname', 'CNAME', 'cname']
            : type === 12
              ? ['dns.ptr.domain_name', 'Domain Name', 'domain name']
              : ['dns.dname', 'DNAME', 'dname'];
      k?.push(field(key, `${label}: ${nr.name}`, rd, rdlen, nr.name));
      desc = `${short} ${nr.name}`;
      break;
    }
    case 15: {
      if (rdlen < 3) return badRdata(m, tname, rd, rdlen);
      const pref = u16(b, rd);
      if (!rdataName(m, rd + 2, rdEnd, nr)) return -1;
      appendInfo(m, ` ${pref} ${nr.name}`);
      k?.push(
        field('dns.mx.preference', `Preference: ${pref}`, rd, 2, pref),
        field('dns.mx.mail_exchange', `Mail Exchange: ${nr.name}`, rd + 2, rdlen - 2, nr.name),
      );
      desc = `preference ${pref}, mx ${nr.name}`;
      break;
    }
    case 6: {
      if (!rdataName(m, rd, rdEnd, nr)) return -1;
      const mname = nr.name;
      appendInfo(m, ` ${mname}`);
      const r2 = nr.next;
      if (!rdataName(m, r2, rdEnd, nr)) return -1;
      const rname = nr.name;
      const q = nr.next;
      if (q + 20 > rdEnd) return badRdata(m, tname, rd, rdlen);
      k?.push(
        field('dns.soa.mname', `Primary name server: ${mname}`, rd, r2 - rd, mname),
        field('dns.soa.rname', `Responsible authority's mailbox: ${rname}`, r2, q - r2, rname),
        field('dns.soa.serial_number', `Serial Number: ${u32(b, q)}`, q, 4, u32(b, q)),
        field('dns.soa.refresh_interval', `Refresh Interval: ${u32(b, q + 4)}`, q + 4, 4, u32(b, q + 4)),
        field('dns.soa.retry_interval', `Retry Interval: ${u32(b, q + 8)}`, q + 8, 4, u32(b, q + 8)),
        field('dns.soa.expire_limit', `Expire limit: ${u32(b, q + 12)}`, q + 12, 4, u32(b, q + 12)),
        field('dns.soa.minimum_ttl', `Minimum TTL: ${u32(b, q + 16)}`, q + 16, 4, u32(b, q + 16)),
      );
      desc = `mname ${mname}`;
      break;
    }
    case 33: {
      if (rdlen < 7) return badRdata(m, tname, rd, rdlen);
      const prio = u16(b, rd);
      const weight = u16(b, rd + 2);
      const port = u16(b, rd + 4);
      if (!rdataName(m, rd + 6, rdEnd, nr)) return -1;
      appendInfo(m, ` ${prio} ${weight} ${port} ${nr.name}`);
      k?.push(
        field('dns.srv.priority', `Priority: ${prio}`, rd, 2, prio),
        field('dns.srv.weight', `Weight: ${weight}`, rd + 2, 2, weight),
        field('dns.srv.port', `Port: ${port}`, rd + 4, 2, port),
        field('dns.srv.target', `Target: ${nr.name}`, rd + 6, rdlen - 6, nr.name),
      );
      desc = `priority ${prio}, weight ${weight}, port ${port}, target ${nr.name}`;
      break;
    }
    case 16:
      if (k) {
        for (let t = rd; t < rdEnd; ) {
          const n = b[t]!;
          if (t + 1 + n > rdEnd) {
            k.push(field('_ws.expert', '[TXT string runs past the record data]', t, rdEnd - t));
            break;
          }
          const s = escapeBytes(b, t + 1, t + 1 + n, 255);
          k.push(field('dns.txt.length', `TXT Length: ${n}`, t, 1, n), field('dns.txt', `TXT: ${s}`, t + 1, n, s));
          t += 1 + n;
        }
      }
      break;
    case 41:
      if (k) {
        for (let t = rd; t + 4 <= rdEnd; ) {
          const code = u16(b, t);
          const len = u16(b, t + 2);
          if (t + 4 + len > rdEnd) break;
          k.push(
            field('dns.opt', `Option: ${code}, ${len} bytes`, t, 4 + len, code, [
              field('dns.opt.code', `Option Code: ${code}`, t, 2, code),
              field('dns.opt.len', `Option Length: ${len}`, t + 2, 2, len),
              field(
                'dns.opt.data',
                `Option Data: ${hexBytes(b, t + 4, Math.min(len, 64))}${len > 64 ? '…' : ''}`,
                t + 4,
                len,
              ),
            ]),
          );
          t += 4 + len;
        }
      }
      break;
    default:
      if (k && rdlen)
        k.push(field('dns.data', `Data: ${hexBytes(b, rd, Math.min(rdlen, 64))}${rdlen > 64 ? '…' : ''}`, rd, rdlen));
  }
  if (kids && k) {
    const head =
      type === 41
        ? `${name}: type OPT`
        : `${name}: type ${tname}, class ${CLASSES.get(c) ?? c}${flush ? ', cache flush' : ''}`;
    kids.push(field('dns.resp', desc ? `${head}, ${desc}` : head, o, rdEnd - o, undefined, k));
  }
  return rdEnd;
}

/** A name inside record data: it must end inside the data. */
function rdataName(m: Msg, o: number, rdEnd: number, nr: NameResult): boolean {
  if (!readName(m, o, rdEnd, nr)) return false;
  if (m.bad) return false;
  return true;
}

function badRdata(m: Msg, tname: string, rd: number, rdlen: number): number {
  m.d.malformed(m.L, m.proto, `${tname} record data of ${rdlen} bytes is malformed`, rd, rdlen);
  return -1;
}

function flagsField(flags: number, o: number, response: boolean): Field {
  return sharedField('dns.flags', o * 65536 + flags, () => flagsTree(flags, o, response));
}

function flagsTree(flags: number, o: number, response: boolean): Field {
  const opcode = (flags >> 11) & 15;
  const rcode = flags & 15;
  const bit = (n: number, key: string, text: string, on: string, offText: string) =>
    field(
      `dns.flags.${key}`,
      `${bits(flags, n, 1)} = ${text}: ${(flags >> n) & 1 ? on : offText}`,
      o,
      2,
      ((flags >> n) & 1) === 1,
    );
  const kids: Field[] = [
    bit(15, 'response', 'Response', 'Message is a response', 'Message is a query'),
    field(
      'dns.flags.opcode',
      `${bits(flags, 14, 4)} = Opcode: ${OPCODES[opcode] ?? 'Unknown'} (${opcode})`,
      o,
      2,
      opcode,
    ),
  ];
  if (response)
    kids.push(
      bit(
        10,
        'authoritative',
        'Authoritative',
        'Server is an authority for domain',
        'Server is not an authority for domain',
      ),
    );
  kids.push(
    bit(9, 'truncated', 'Truncated', 'Message is truncated', 'Message is not truncated'),
    bit(8, 'recdesired', 'Recursion desired', 'Do query recursively', "Don't do query recursively"),
  );
  if (response)
    kids.push(
      bit(7, 'recavail', 'Recursion available', 'Server can do recursive queries', "Server can't do recursive queries"),
    );
  kids.push(bit(6, 'z', 'Z', 'reserved (1)', 'reserved (0)'));
  if (response)
    kids.push(
      bit(
        5,
        'authenticated',
        'Answer authenticated',
        'Answer/authority portion was authenticated by the server',
        'Answer/authority portion was not authenticated by the server',
      ),
    );
  kids.push(bit(4, 'checkdisable', 'Non-authenticated data', 'Acceptable', 'Unacceptable'));
  if (response)
    kids.push(
      field(
        'dns.flags.rcode',
        `${bits(flags, 3, 4)} = Reply code: ${RCODES[rcode] ?? 'Unknown'} (${rcode})`,
        o,
        2,
        rcode,
      ),
    );
  const summary = `${OPCODES[opcode] ?? 'Unknown operation'}${response ? ' response' : ''}${response && rcode ? `, ${RCODES[rcode] ?? 'Unknown error'}` : response ? ', No error' : ''}`;
  return field('dns.flags', `Flags: ${hex16(flags)} ${summary}`, o, 2, flags, kids);
}
