// Synthetic packets for the dev page: packet n (0-based) is a pure function of n, so a million rows
// cost nothing until they are shown. Twelve templates repeat; conversations rotate among 64
// clients. Some carry markup (`<img src=x onerror=…>`): the panel must show it as text.
import type { Field, Layer } from '../../packet/decode/types.js';
import type { PacketDetail, Row } from '../../packet/protocol.js';

export const TEMPLATES = 12;
export const CLIENTS = 64;
/** Virtual capture rate for the Time column: 100k packets per second. */
const SECONDS_PER_PACKET = 1e-5;

export const XSS_NAME = '<img src=x onerror=alert(1)>.example';
export const XSS_PATH = '/search?q=<script>alert(2)</script><img src=x onerror=alert(3)>';

function hash(n: number): number {
  let x = (n + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

interface Flow {
  /** Slots (templates) of one conversation; followConversation selects them. */
  slots: number[];
  protocol: 'tcp' | 'udp' | 'icmp' | 'icmpv6';
  server: string;
  port: number;
}

const FLOWS: Flow[] = [
  { slots: [0, 1, 2, 9], protocol: 'tcp', server: '93.184.216.34', port: 443 },
  { slots: [3, 4], protocol: 'udp', server: '1.1.1.1', port: 53 },
  { slots: [5, 6], protocol: 'tcp', server: '203.0.113.80', port: 80 },
  { slots: [7], protocol: 'icmp', server: '8.8.8.8', port: 0 },
  { slots: [10], protocol: 'udp', server: '142.250.74.100', port: 443 },
  { slots: [11], protocol: 'icmpv6', server: 'ff02::1:ff00:1', port: 0 },
];

/** The stream index of client `c`'s flow (tcp.stream or udp.stream, as the real host numbers
 *  streams: one per client and flow). */
export function streamIndex(flow: Flow, c: number): number {
  return c * FLOWS.length + FLOWS.indexOf(flow);
}

export function flowOf(slot: number): Flow | undefined {
  return FLOWS.find((f) => f.slots.includes(slot));
}

export function clientIp(c: number): string {
  return `10.1.${c >> 4}.${(c & 15) + 10}`;
}

function clientV6(c: number): string {
  return `fe80::a00:27ff:fe4e:${(0x6600 + c).toString(16)}`;
}

export function clientPort(c: number, slot: number): number {
  return 40000 + ((c * 7919 + (flowOf(slot)?.port ?? 0)) % 20000);
}

const QUIC_LENGTH = 1252;
const frameLengths: number[] = [];

/** Every template's frame has one length; found by building it once. */
function frameLength(slot: number): number {
  if (slot === 10) return QUIC_LENGTH;
  frameLengths[slot] ??= detail(slot, false).capturedLength;
  return frameLengths[slot];
}

interface Summary {
  source: string;
  destination: string;
  protocol: string;
  info: string;
  length: number;
  direction: 'in' | 'out';
}

/** Addresses and direction only (what building the bytes needs). */
function placeholder(slot: number, c: number): Omit<Summary, 'length'> {
  const flow = flowOf(slot);
  const ip = clientIp(c);
  const out = [0, 2, 3, 5, 7, 10].includes(slot);
  if (slot === 8)
    return {
      source: `08:00:27:4e:66:${(c + 16).toString(16)}`,
      destination: 'Broadcast',
      protocol: 'ARP',
      info: '',
      direction: 'in',
    };
  if (slot === 11)
    return { source: clientV6(c), destination: 'ff02::1:ff00:1', protocol: 'ICMPv6', info: '', direction: 'in' };
  return {
    source: out ? ip : flow!.server,
    destination: out ? flow!.server : ip,
    protocol: '',
    info: '',
    direction: out ? 'out' : 'in',
  };
}

/** What each template's row says (cheap: no bytes built). */
export function summary(n: number): Summary {
  const slot = n % TEMPLATES;
  const c = Math.floor(n / TEMPLATES) % CLIENTS;
  const r = hash(n);
  const ip = clientIp(c);
  const flow = flowOf(slot);
  const sport = clientPort(c, slot);
  const length = frameLength(slot);
  const out = (protocol: string, info: string): Summary => ({
    source: ip,
    destination: flow!.server,
    protocol,
    info,
    length,
    direction: 'out',
  });
  const inn = (protocol: string, info: string): Summary => ({
    source: flow!.server,
    destination: ip,
    protocol,
    info,
    length,
    direction: 'in',
  });
  const seq = r % 100000;
  switch (slot) {
    case 0:
      return out('TCP', `${sport} → 443 [SYN] Seq=0 Win=64240 Len=0 MSS=1460`);
    case 1:
      return inn('TCP', `443 → ${sport} [SYN, ACK] Seq=0 Ack=1 Win=65535 Len=0`);
    case 2:
      return out('TLSv1.3', 'Client Hello (SNI=example.com)');
    case 3:
      return out('DNS', `Standard query 0x${(r & 0xffff).toString(16).padStart(4, '0')} A ${XSS_NAME}`);
    case 4:
      return inn(
        'DNS',
        `Standard query response 0x${(r & 0xffff).toString(16).padStart(4, '0')} A ${XSS_NAME} A 192.0.2.${r & 255}`,
      );
    case 5:
      return out('HTTP', `GET ${XSS_PATH} HTTP/1.1`);
    case 6:
      return inn('HTTP', 'HTTP/1.1 200 OK  (text/html)');
    case 7:
      return out(
        'ICMP',
        `Echo (ping) request  id=0x${(c + 1).toString(16).padStart(4, '0')}, seq=${seq % 65536}/${((seq % 256) << 8) | ((seq >> 8) & 255)}, ttl=64`,
      );
    case 8:
      return {
        source: `08:00:27:4e:66:${(c + 16).toString(16)}`,
        destination: 'Broadcast',
        protocol: 'ARP',
        info: `Who has 10.1.0.1? Tell ${ip}`,
        length,
        direction: 'in',
      };
    case 9:
      return inn('TCP', `443 → ${sport} [ACK] Seq=1 Ack=${seq + 1} Win=501 Len=0`);
    case 10:
      return out('QUIC', `Initial, DCID=${r.toString(16).padStart(8, '0')}, PKN: 0, CRYPTO, PADDING`);
    default:
      return {
        source: clientV6(c),
        destination: 'ff02::1:ff00:1',
        protocol: 'ICMPv6',
        info: 'Neighbor Solicitation for fe80::1 from 08:00:27:4e:66:01',
        length,
        direction: 'in',
      };
  }
}

export function row(n: number, index: number): Row {
  const s = summary(n);
  const jitter = (hash(n) % 1000) * 1e-9;
  return {
    index,
    number: n + 1,
    time: n * SECONDS_PER_PACKET + jitter,
    source: s.source,
    destination: s.destination,
    protocol: s.protocol,
    length: s.length,
    info: s.info,
    direction: s.direction,
  };
}

/** Text the dev page's text search looks at, per template. */
export function searchableText(slot: number): string {
  const s = summary(slot);
  return `${s.protocol} ${s.info}`.toLowerCase();
}

/** Protocols in each template, as display filter words. */
export const TEMPLATE_PROTOCOLS: string[][] = [
  ['eth', 'ip', 'tcp'],
  ['eth', 'ip', 'tcp'],
  ['eth', 'ip', 'tcp', 'tls'],
  ['eth', 'ip', 'udp', 'dns'],
  ['eth', 'ip', 'udp', 'dns'],
  ['eth', 'ip', 'tcp', 'http'],
  ['eth', 'ip', 'tcp', 'http'],
  ['eth', 'ip', 'icmp'],
  ['eth', 'arp'],
  ['eth', 'ip', 'tcp'],
  ['eth', 'ip', 'udp', 'quic'],
  ['eth', 'ipv6', 'icmpv6'],
];

function httpRequest(): string {
  return `GET ${XSS_PATH} HTTP/1.1\r\nHost: <b>bold</b>.example\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n`;
}

function httpResponse(): string {
  return 'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 39\r\n\r\n<img src=x onerror=alert(4)>hello world';
}

// ---- bytes and the decode tree

class Writer {
  readonly data: number[] = [];
  get pos(): number {
    return this.data.length;
  }
  u8(v: number): number {
    const at = this.pos;
    this.data.push(v & 255);
    return at;
  }
  u16(v: number): number {
    const at = this.pos;
    this.data.push((v >> 8) & 255, v & 255);
    return at;
  }
  u32(v: number): number {
    const at = this.pos;
    this.data.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
    return at;
  }
  raw(bytes: ArrayLike<number>): number {
    const at = this.pos;
    for (let i = 0; i < bytes.length; i++) this.data.push(bytes[i]! & 255);
    return at;
  }
  text(s: string): number {
    return this.raw(Array.from(new TextEncoder().encode(s)));
  }
  patch16(at: number, v: number): void {
    this.data[at] = (v >> 8) & 255;
    this.data[at + 1] = v & 255;
  }
}

function f(
  name: string,
  label: string,
  offset: number,
  length: number,
  children?: Field[],
  value?: string | number | boolean,
): Field {
  const field: Field = { name, label, offset, length };
  if (value !== undefined) field.value = value;
  if (children) field.children = children;
  return field;
}

function macBytes(mac: string): number[] {
  return mac.split(':').map((x) => parseInt(x, 16));
}

function ipBytes(ip: string): number[] {
  return ip.split('.').map((x) => Number(x));
}

function v6Bytes(ip: string): number[] {
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const a = head ? head.split(':') : [];
  const b = tail ? tail.split(':') : [];
  const groups = [...a, ...Array<string>(8 - a.length - b.length).fill('0'), ...b];
  return groups.flatMap((g) => {
    const v = parseInt(g || '0', 16);
    return [(v >> 8) & 255, v & 255];
  });
}

function eth(w: Writer, src: string, dst: string, type: number): Layer {
  const d = w.raw(macBytes(dst));
  const s = w.raw(macBytes(src));
  const t = w.u16(type);
  const typeName = type === 0x0800 ? 'IPv4' : type === 0x86dd ? 'IPv6' : 'ARP';
  return {
    protocol: 'eth',
    label: `Ethernet II, Src: ${src}, Dst: ${dst}`,
    offset: 0,
    length: 14,
    fields: [
      f('eth.dst', `Destination: ${dst}`, d, 6, undefined, dst),
      f('eth.src', `Source: ${src}`, s, 6, undefined, src),
      f('eth.type', `Type: ${typeName} (0x${type.toString(16).padStart(4, '0')})`, t, 2, undefined, type),
    ],
  };
}

function ipv4(w: Writer, src: string, dst: string, proto: number, id: number): { layer: Layer; finish(): void } {
  const start = w.pos;
  w.u8(0x45);
  w.u8(0);
  const len = w.u16(0);
  w.u16(id & 0xffff);
  w.u16(0x4000);
  w.u8(64);
  w.u8(proto);
  w.u16(0xb1e6);
  w.raw(ipBytes(src));
  w.raw(ipBytes(dst));
  const protoName = proto === 6 ? 'TCP' : proto === 17 ? 'UDP' : 'ICMP';
  const layer: Layer = {
    protocol: 'ip',
    label: `Internet Protocol Version 4, Src: ${src}, Dst: ${dst}`,
    offset: start,
    length: 20,
    fields: [],
  };
  return {
    layer,
    finish() {
      const total = w.pos - start;
      w.patch16(len, total);
      layer.fields = [
        f('ip.version', '0100 .... = Version: 4', start, 1, undefined, 4),
        f('ip.hdr_len', '.... 0101 = Header Length: 20 bytes (5)', start, 1, undefined, 20),
        f('ip.dsfield', 'Differentiated Services Field: 0x00 (DSCP: CS0, ECN: Not-ECT)', start + 1, 1),
        f('ip.len', `Total Length: ${total}`, len, 2, undefined, total),
        f('ip.id', `Identification: 0x${(id & 0xffff).toString(16).padStart(4, '0')} (${id & 0xffff})`, start + 4, 2),
        f('ip.flags', "010. .... = Flags: 0x2, Don't fragment", start + 6, 2, [
          f('ip.flags.rb', '0... .... = Reserved bit: Not set', start + 6, 1, undefined, false),
          f('ip.flags.df', ".1.. .... = Don't fragment: Set", start + 6, 1, undefined, true),
          f('ip.flags.mf', '..0. .... = More fragments: Not set', start + 6, 1, undefined, false),
          f('ip.frag_offset', '...0 0000 0000 0000 = Fragment Offset: 0', start + 6, 2, undefined, 0),
        ]),
        f('ip.ttl', 'Time to Live: 64', start + 8, 1, undefined, 64),
        f('ip.proto', `Protocol: ${protoName} (${proto})`, start + 9, 1, undefined, proto),
        f('ip.checksum', 'Header Checksum: 0xb1e6 [validation disabled]', start + 10, 2),
        f('ip.src', `Source Address: ${src}`, start + 12, 4, undefined, src),
        f('ip.dst', `Destination Address: ${dst}`, start + 16, 4, undefined, dst),
      ];
    },
  };
}

const TCP_FLAGS: [number, string, string][] = [
  [0x10, 'ACK', 'tcp.flags.ack'],
  [0x08, 'PSH', 'tcp.flags.push'],
  [0x04, 'RST', 'tcp.flags.reset'],
  [0x02, 'SYN', 'tcp.flags.syn'],
  [0x01, 'FIN', 'tcp.flags.fin'],
];

/** "[SEQ/ACK analysis]" naming the frame a segment acknowledges (Go to Linked Packet goes there). */
function acksFrame(frame: number, at: number): Field {
  const acks = f(
    'tcp.analysis.acks_frame',
    `[This is an ACK to the segment in frame: ${frame}]`,
    at,
    0,
    undefined,
    frame,
  );
  acks.link = frame;
  return f('tcp.analysis', '[SEQ/ACK analysis]', at, 0, [acks]);
}

function tcp(
  w: Writer,
  sport: number,
  dport: number,
  seq: number,
  ack: number,
  flags: number,
  win: number,
  mss: boolean,
  payloadLength: number,
): Layer {
  const start = w.pos;
  const headerLength = mss ? 24 : 20;
  w.u16(sport);
  w.u16(dport);
  w.u32(seq);
  w.u32(ack);
  w.u8((headerLength / 4) << 4);
  w.u8(flags);
  w.u16(win);
  w.u16(0x3c2a);
  w.u16(0);
  const fields: Field[] = [];
  const names = TCP_FLAGS.filter(([bit]) => flags & bit).map(([, name]) => name);
  fields.push(
    f('tcp.srcport', `Source Port: ${sport}`, start, 2, undefined, sport),
    f('tcp.dstport', `Destination Port: ${dport}`, start + 2, 2, undefined, dport),
    f('tcp.seq', `Sequence Number: ${seq}    (relative sequence number)`, start + 4, 4, undefined, seq),
    f('tcp.ack', `Acknowledgment Number: ${ack}    (relative ack number)`, start + 8, 4, undefined, ack),
    f(
      'tcp.hdr_len',
      `${(headerLength / 4).toString(2).padStart(4, '0')} .... = Header Length: ${headerLength} bytes (${headerLength / 4})`,
      start + 12,
      1,
      undefined,
      headerLength,
    ),
    f(
      'tcp.flags',
      `Flags: 0x${flags.toString(16).padStart(3, '0')} (${names.join(', ')})`,
      start + 12,
      2,
      TCP_FLAGS.map(([bit, name, fname]) =>
        f(fname, `${name}: ${flags & bit ? 'Set' : 'Not set'}`, start + 13, 1, undefined, Boolean(flags & bit)),
      ),
    ),
    f('tcp.window_size_value', `Window: ${win}`, start + 14, 2, undefined, win),
    f('tcp.checksum', 'Checksum: 0x3c2a [unverified]', start + 16, 2),
    f('tcp.urgent_pointer', 'Urgent Pointer: 0', start + 18, 2, undefined, 0),
  );
  if (mss) {
    const o = w.pos;
    w.u8(2);
    w.u8(4);
    w.u16(1460);
    fields.push(
      f('tcp.options', 'Options: (4 bytes), Maximum segment size', o, 4, [
        f('tcp.option_kind', 'Kind: Maximum Segment Size (2)', o, 1, undefined, 2),
        f('tcp.option_len', 'Length: 4', o + 1, 1, undefined, 4),
        f('tcp.options.mss_val', 'MSS Value: 1460', o + 2, 2, undefined, 1460),
      ]),
    );
  }
  return {
    protocol: 'tcp',
    label: `Transmission Control Protocol, Src Port: ${sport}, Dst Port: ${dport}, Seq: ${seq}, Ack: ${ack}, Len: ${payloadLength}`,
    offset: start,
    length: headerLength,
    fields,
  };
}

function udp(w: Writer, sport: number, dport: number, payloadLength: number): Layer {
  const start = w.pos;
  const length = 8 + payloadLength;
  w.u16(sport);
  w.u16(dport);
  w.u16(length);
  w.u16(0x9a4e);
  return {
    protocol: 'udp',
    label: `User Datagram Protocol, Src Port: ${sport}, Dst Port: ${dport}`,
    offset: start,
    length: 8,
    fields: [
      f('udp.srcport', `Source Port: ${sport}`, start, 2, undefined, sport),
      f('udp.dstport', `Destination Port: ${dport}`, start + 2, 2, undefined, dport),
      f('udp.length', `Length: ${length}`, start + 4, 2, undefined, length),
      f('udp.checksum', 'Checksum: 0x9a4e [unverified]', start + 6, 2),
    ],
  };
}

function dnsName(name: string): number[] {
  const out: number[] = [];
  for (const label of name.split('.')) {
    const bytes = Array.from(new TextEncoder().encode(label));
    out.push(bytes.length, ...bytes);
  }
  out.push(0);
  return out;
}

function dns(w: Writer, id: number, response: boolean, answer: string): Layer {
  const start = w.pos;
  w.u16(id);
  w.u16(response ? 0x8180 : 0x0100);
  w.u16(1);
  w.u16(response ? 1 : 0);
  w.u16(0);
  w.u16(0);
  const q = w.pos;
  const nameBytes = dnsName(XSS_NAME);
  w.raw(nameBytes);
  w.u16(1);
  w.u16(1);
  const fields: Field[] = [
    f('dns.id', `Transaction ID: 0x${id.toString(16).padStart(4, '0')}`, start, 2, undefined, id),
    f(
      'dns.flags',
      `Flags: 0x${(response ? 0x8180 : 0x0100).toString(16).padStart(4, '0')} Standard query${response ? ' response, No error' : ''}`,
      start + 2,
      2,
      [
        f(
          'dns.flags.response',
          `${response ? 1 : 0}... .... .... .... = Response: Message is a ${response ? 'response' : 'query'}`,
          start + 2,
          2,
          undefined,
          response,
        ),
        f(
          'dns.flags.recdesired',
          '.... ...1 .... .... = Recursion desired: Do query recursively',
          start + 2,
          2,
          undefined,
          true,
        ),
      ],
    ),
    f('dns.count.queries', 'Questions: 1', start + 4, 2, undefined, 1),
    f('dns.count.answers', `Answer RRs: ${response ? 1 : 0}`, start + 6, 2, undefined, response ? 1 : 0),
    f('dns.count.auth_rr', 'Authority RRs: 0', start + 8, 2, undefined, 0),
    f('dns.count.add_rr', 'Additional RRs: 0', start + 10, 2, undefined, 0),
    f('dns.queries', 'Queries', q, w.pos - q, [
      f('dns.qry', `${XSS_NAME}: type A, class IN`, q, w.pos - q, [
        f('dns.qry.name', `Name: ${XSS_NAME}`, q, nameBytes.length, undefined, XSS_NAME),
        f('dns.qry.type', 'Type: A (1) (Host Address)', q + nameBytes.length, 2, undefined, 1),
        f('dns.qry.class', 'Class: IN (0x0001)', q + nameBytes.length + 2, 2, undefined, 1),
      ]),
    ]),
  ];
  if (response) {
    const a = w.pos;
    w.u16(0xc00c);
    w.u16(1);
    w.u16(1);
    w.u32(300);
    w.u16(4);
    const addr = w.raw(ipBytes(answer));
    fields.push(
      f('dns.answers', 'Answers', a, 16, [
        f('dns.resp', `${XSS_NAME}: type A, class IN, addr ${answer}`, a, 16, [
          f('dns.resp.name', `Name: ${XSS_NAME}`, a, 2, undefined, XSS_NAME),
          f('dns.resp.ttl', 'Time to live: 300 (5 minutes)', a + 6, 4, undefined, 300),
          f('dns.a', `Address: ${answer}`, addr, 4, undefined, answer),
        ]),
      ]),
    );
  }
  return {
    protocol: 'dns',
    label: `Domain Name System (${response ? 'response' : 'query'})`,
    offset: start,
    length: w.pos - start,
    fields,
  };
}

function http(w: Writer, text: string): Layer {
  const start = w.pos;
  w.text(text);
  const fields: Field[] = [];
  let at = start;
  const [head, body] = text.split('\r\n\r\n') as [string, string | undefined];
  const lines = head.split('\r\n');
  lines.forEach((line, i) => {
    const length = new TextEncoder().encode(`${line}\r\n`).length;
    const name =
      i === 0
        ? line.startsWith('HTTP/')
          ? 'http.response.line'
          : 'http.request.line'
        : `http.header.${line.split(':')[0]!.toLowerCase()}`;
    fields.push(f(name, `${line}\\r\\n`, at, length, undefined, line));
    at += length;
  });
  fields.push(f('http.blank', '\\r\\n', at, 2));
  at += 2;
  if (body)
    fields.push(
      f('http.file_data', `File Data: ${body.length} bytes`, at, body.length, [
        f('text', body, at, body.length, undefined, body),
      ]),
    );
  return { protocol: 'http', label: 'Hypertext Transfer Protocol', offset: start, length: w.pos - start, fields };
}

function tls(w: Writer, r: number): Layer {
  const start = w.pos;
  w.u8(22);
  w.u16(0x0301);
  w.u16(68);
  const hs = w.pos;
  w.u8(1);
  w.u8(0);
  w.u16(64);
  const random = w.pos;
  for (let i = 0; i < 32; i++) w.u8(hash(r + i));
  const rest = w.pos;
  w.text('\u0000\u0000\u0010\u0000\u000eexample.com');
  while (w.pos < hs + 68) w.u8(0);
  return {
    protocol: 'tls',
    label: 'Transport Layer Security',
    offset: start,
    length: w.pos - start,
    fields: [
      f('tls.record', 'TLSv1.3 Record Layer: Handshake Protocol: Client Hello', start, w.pos - start, [
        f('tls.record.content_type', 'Content Type: Handshake (22)', start, 1, undefined, 22),
        f('tls.record.version', 'Version: TLS 1.0 (0x0301)', start + 1, 2, undefined, 0x0301),
        f('tls.record.length', 'Length: 68', start + 3, 2, undefined, 68),
        f('tls.handshake', 'Handshake Protocol: Client Hello', hs, w.pos - hs, [
          f('tls.handshake.type', 'Handshake Type: Client Hello (1)', hs, 1, undefined, 1),
          f('tls.handshake.length', 'Length: 64', hs + 1, 3, undefined, 64),
          f('tls.handshake.random', 'Random: (32 bytes)', random, 32),
          f('tls.handshake.extensions_server_name', 'Server Name: example.com', rest + 5, 11, undefined, 'example.com'),
        ]),
      ]),
    ],
  };
}

function icmpEcho(w: Writer, id: number, seq: number): Layer {
  const start = w.pos;
  w.u8(8);
  w.u8(0);
  w.u16(0xf7ff);
  w.u16(id);
  w.u16(seq);
  const data = w.pos;
  for (let i = 0; i < 56; i++) w.u8(0x10 + i);
  return {
    protocol: 'icmp',
    label: 'Internet Control Message Protocol',
    offset: start,
    length: w.pos - start,
    fields: [
      f('icmp.type', 'Type: 8 (Echo (ping) request)', start, 1, undefined, 8),
      f('icmp.code', 'Code: 0', start + 1, 1, undefined, 0),
      f('icmp.checksum', 'Checksum: 0xf7ff [correct]', start + 2, 2),
      f('icmp.ident', `Identifier (BE): ${id} (0x${id.toString(16).padStart(4, '0')})`, start + 4, 2, undefined, id),
      f('icmp.seq', `Sequence Number (BE): ${seq}`, start + 6, 2, undefined, seq),
      f('data', 'Data (56 bytes)', data, 56),
    ],
  };
}

function arp(w: Writer, mac: string, ip: string): Layer {
  const start = w.pos;
  w.u16(1);
  w.u16(0x0800);
  w.u8(6);
  w.u8(4);
  w.u16(1);
  const smac = w.raw(macBytes(mac));
  const sip = w.raw(ipBytes(ip));
  const tmac = w.raw([0, 0, 0, 0, 0, 0]);
  const tip = w.raw(ipBytes('10.1.0.1'));
  return {
    protocol: 'arp',
    label: 'Address Resolution Protocol (request)',
    offset: start,
    length: 28,
    fields: [
      f('arp.hw.type', 'Hardware type: Ethernet (1)', start, 2, undefined, 1),
      f('arp.proto.type', 'Protocol type: IPv4 (0x0800)', start + 2, 2, undefined, 0x800),
      f('arp.hw.size', 'Hardware size: 6', start + 4, 1, undefined, 6),
      f('arp.proto.size', 'Protocol size: 4', start + 5, 1, undefined, 4),
      f('arp.opcode', 'Opcode: request (1)', start + 6, 2, undefined, 1),
      f('arp.src.hw_mac', `Sender MAC address: ${mac}`, smac, 6, undefined, mac),
      f('arp.src.proto_ipv4', `Sender IP address: ${ip}`, sip, 4, undefined, ip),
      f('arp.dst.hw_mac', 'Target MAC address: 00:00:00:00:00:00', tmac, 6),
      f('arp.dst.proto_ipv4', 'Target IP address: 10.1.0.1', tip, 4, undefined, '10.1.0.1'),
    ],
  };
}

/** Wireshark's detail for packet n: real bytes, and fields that point into them. */
export function detail(n: number, withSummary = true): PacketDetail {
  const slot = n % TEMPLATES;
  const c = Math.floor(n / TEMPLATES) % CLIENTS;
  const r = hash(n);
  const s: Summary = withSummary ? summary(n) : { ...placeholder(slot, c), length: 0 };
  const w = new Writer();
  const layers: Layer[] = [];
  const problems: string[] = [];
  const clientMac = `08:00:27:4e:66:${(c + 16).toString(16)}`;
  const gatewayMac = '52:54:00:12:35:02';
  const out = s.direction === 'out';
  const flow = flowOf(slot);
  const sport = clientPort(c, slot);
  const ipv4Packet = (proto: number, body: () => Layer[]) => {
    layers.push(eth(w, out ? clientMac : gatewayMac, out ? gatewayMac : clientMac, 0x0800));
    const ip = ipv4(w, s.source, s.destination, proto, r);
    layers.push(ip.layer);
    layers.push(...body());
    ip.finish();
  };
  const tcpPorts = (): [number, number] => (out ? [sport, flow!.port] : [flow!.port, sport]);
  switch (slot) {
    case 0:
    case 1:
    case 9:
      ipv4Packet(6, () => {
        const [a, b] = tcpPorts();
        const flags = slot === 0 ? 0x02 : slot === 1 ? 0x12 : 0x10;
        const t = tcp(
          w,
          a,
          b,
          slot === 9 ? 1 : 0,
          slot === 0 ? 0 : 1 + (slot === 9 ? r % 100000 : 0),
          flags,
          slot === 9 ? 501 : 64240,
          slot === 0,
          0,
        );
        // The SYN/ACK acknowledges the SYN just before it (packet number n, as this is n + 1), as
        // the real host's analysis says.
        if (slot === 1) t.fields.push(acksFrame(n, t.offset));
        return [t];
      });
      break;
    case 2:
      ipv4Packet(6, () => {
        const [a, b] = tcpPorts();
        const t = tcp(w, a, b, 1, 1, 0x18, 502, false, 73);
        return [t, tls(w, r)];
      });
      break;
    case 3:
    case 4:
      ipv4Packet(17, () => {
        const [a, b] = tcpPorts();
        const u = udp(w, a, b, 0);
        const d = dns(w, r & 0xffff, slot === 4, `192.0.2.${r & 255}`);
        w.patch16(u.offset + 4, 8 + d.length);
        u.fields[2]!.label = `Length: ${8 + d.length}`;
        return [u, d];
      });
      break;
    case 5:
    case 6:
      ipv4Packet(6, () => {
        const [a, b] = tcpPorts();
        const text = slot === 5 ? httpRequest() : httpResponse();
        const t = tcp(w, a, b, 1, 1, 0x18, 502, false, text.length);
        return [t, http(w, text)];
      });
      break;
    case 7:
      ipv4Packet(1, () => [icmpEcho(w, c + 1, (r % 100000) % 65536)]);
      break;
    case 8:
      layers.push(eth(w, clientMac, 'ff:ff:ff:ff:ff:ff', 0x0806));
      layers.push(arp(w, clientMac, clientIp(c)));
      break;
    case 10: {
      ipv4Packet(17, () => {
        const [a, b] = tcpPorts();
        const u = udp(w, a, b, 1252 - 42);
        const q = w.pos;
        w.u8(0xc3);
        w.u32(1);
        w.u8(8);
        w.u32(r);
        w.u32(hash(r));
        for (let i = 0; i < 10; i++) w.u8(hash(r + i + 100));
        return [
          u,
          {
            protocol: 'quic',
            label: 'QUIC IETF',
            offset: q,
            length: w.pos - q,
            fields: [
              f('quic.header_form', '1... .... = Header Form: Long Header (1)', q, 1, undefined, true),
              f('quic.version', 'Version: 1 (0x00000001)', q + 1, 4, undefined, 1),
              f('quic.dcil', 'Destination Connection ID Length: 8', q + 5, 1, undefined, 8),
              f(
                'quic.dcid',
                `Destination Connection ID: ${r.toString(16).padStart(8, '0')}${hash(r).toString(16).padStart(8, '0')}`,
                q + 6,
                8,
              ),
            ],
          },
        ];
      });
      problems.push(
        `QUIC: the packet was cut at ${w.pos} of ${QUIC_LENGTH} bytes (snaplen): the payload is not decoded.`,
      );
      break;
    }
    default: {
      layers.push(eth(w, clientMac, '33:33:ff:00:00:01', 0x86dd));
      const start = w.pos;
      w.u32(0x60000000);
      w.u16(32);
      w.u8(58);
      w.u8(255);
      const src = w.raw(v6Bytes(s.source));
      const dst = w.raw(v6Bytes('ff02::1:ff00:1'));
      layers.push({
        protocol: 'ipv6',
        label: `Internet Protocol Version 6, Src: ${s.source}, Dst: ff02::1:ff00:1`,
        offset: start,
        length: 40,
        fields: [
          f('ipv6.version', '0110 .... = Version: 6', start, 1, undefined, 6),
          f('ipv6.plen', 'Payload Length: 32', start + 4, 2, undefined, 32),
          f('ipv6.nxt', 'Next Header: ICMPv6 (58)', start + 6, 1, undefined, 58),
          f('ipv6.hlim', 'Hop Limit: 255', start + 7, 1, undefined, 255),
          f('ipv6.src', `Source Address: ${s.source}`, src, 16, undefined, s.source),
          f('ipv6.dst', 'Destination Address: ff02::1:ff00:1', dst, 16, undefined, 'ff02::1:ff00:1'),
        ],
      });
      const i = w.pos;
      w.u8(135);
      w.u8(0);
      w.u16(0x1234);
      w.u32(0);
      const target = w.raw(v6Bytes('fe80::1'));
      w.u8(1);
      w.u8(1);
      w.raw(macBytes('08:00:27:4e:66:01'));
      layers.push({
        protocol: 'icmpv6',
        label: 'Internet Control Message Protocol v6',
        offset: i,
        length: w.pos - i,
        fields: [
          f('icmpv6.type', 'Type: Neighbor Solicitation (135)', i, 1, undefined, 135),
          f('icmpv6.code', 'Code: 0', i + 1, 1, undefined, 0),
          f('icmpv6.checksum', 'Checksum: 0x1234 [correct]', i + 2, 2),
          f('icmpv6.nd.ns.target_address', 'Target Address: fe80::1', target, 16, undefined, 'fe80::1'),
          f('icmpv6.opt', 'ICMPv6 Option (Source link-layer address : 08:00:27:4e:66:01)', target + 16, 8),
        ],
      });
    }
  }
  const bytes = Uint8Array.from(w.data);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  const conversation =
    flow && flow.protocol !== 'icmpv6'
      ? {
          protocol: flow.protocol,
          a: `${clientIp(c)}${flow.port ? `:${sport}` : ''}`,
          b: `${flow.server}${flow.port ? `:${flow.port}` : ''}`,
        }
      : undefined;
  return {
    number: n + 1,
    time: n * SECONDS_PER_PACKET,
    timestampNs: (1_764_316_380_000_000_000n + BigInt(n) * 10_000n).toString(),
    length: slot === 10 ? QUIC_LENGTH : bytes.length,
    capturedLength: bytes.length,
    interfaceName: 'eth0',
    direction: s.direction,
    decoded: {
      summary: { source: s.source, destination: s.destination, protocol: s.protocol, info: s.info },
      layers,
      problems,
      ...(conversation ? { conversation } : {}),
    },
    bytes: btoa(binary),
  };
}
