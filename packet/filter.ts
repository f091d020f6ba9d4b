// Capture filters: the netobserv PCA form ("tcp,80") and a tcpdump/pcap-filter(7) subset, compiled to
// the kernel's rule table (an OR of rules, each an AND of conditions; see capture-abi.ts).
// Anything the kernel cannot evaluate exactly is rejected rather than approximated, so a filter never
// silently captures more or less than it says.

import { type AddrMatch, CAP_MAX_RULES, type CaptureRule, type Direction, type PortRange } from './capture-abi.js';
import { displayFilterAsCapture } from './filter-hints.js';
import { ipv6Text, parseIpv4Prefix, parseIpv6 } from './ip-address.js';

export class FilterError extends Error {
  readonly position?: number;
  constructor(message: string, position?: number) {
    super(message);
    this.name = 'FilterError';
    if (position !== undefined) this.position = position;
  }
}

const ETH_IP = 0x0800;
const ETH_IP6 = 0x86dd;
const ETH_ARP = 0x0806;
const ETH_RARP = 0x8035;
const PROTO_NUMBERS = new Map([
  ['icmp', 1],
  ['tcp', 6],
  ['udp', 17],
  ['icmp6', 58],
  ['icmpv6', 58],
  ['sctp', 132],
]);
const PORT_PROTOS = new Set([6, 17, 132]); // the kernel extracts ports only for these
const PORT_NAMES = new Map([
  ['http', 80],
  ['https', 443],
  ['domain', 53],
  ['ssh', 22],
]);
// Bounds the work spent on intermediate DNF terms; the final limit is CAP_MAX_RULES.
const MAX_TERMS = 256;
/** Deepest nesting (parentheses, negations) a capture or display filter may have: the parsers
 *  recurse once per level, and a filter pasted or sent by anyone must be an error, not a stack overflow. */
export const MAX_FILTER_NESTING = 100;
export const NESTED_TOO_DEEPLY = `filter nested too deeply (more than ${MAX_FILTER_NESTING} levels)`;

// ---- Tokens ----

interface Token {
  kind: 'word' | 'op' | 'end';
  text: string;
  pos: number;
  escaped?: boolean; // pcap's "\tcp": a name, never a keyword
}

const WORD_CHAR = /[A-Za-z0-9_.:-]/;
const ARITHMETIC_UNSUPPORTED = ' (packet-data and arithmetic expressions are not supported)';

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '&&' || two === '||') {
      out.push({ kind: 'op', text: two, pos: i });
      i += 2;
      continue;
    }
    if ('()!/'.includes(c)) {
      out.push({ kind: 'op', text: c, pos: i });
      i++;
      continue;
    }
    const escaped = c === '\\';
    let j = escaped ? i + 1 : i;
    while (j < text.length && WORD_CHAR.test(text[j]!)) j++;
    if (escaped && j === i + 1) throw new FilterError(`expected a name after "\\" at ${i}`, i);
    if (c === '%' && out.at(-1)?.text.includes(':') && out.at(-1)!.pos + out.at(-1)!.text.length === i) {
      throw new FilterError(`IPv6 zone index at ${i} is not supported; give the address without "%..."`, i);
    }
    if (j === i) {
      const hint = '[]&|<>=+*%^'.includes(c) ? ARITHMETIC_UNSUPPORTED : '';
      throw new FilterError(`unexpected character "${c}" at ${i}${hint}`, i);
    }
    out.push({ kind: 'word', text: text.slice(escaped ? i + 1 : i, j), pos: i, escaped });
    i = j;
  }
  out.push({ kind: 'end', text: '', pos: text.length });
  return out;
}

/** The keyword a token stands for, '' for values and the end. */
function key(t: Token): string {
  if (t.kind === 'op') return t.text === '&&' ? 'and' : t.text === '||' ? 'or' : t.text === '!' ? 'not' : t.text;
  return t.kind === 'word' && !t.escaped ? t.text.toLowerCase() : '';
}

const PROTO_QUALS = new Set(['ip', 'ip6', 'arp', 'tcp', 'udp', 'sctp', 'icmp', 'icmp6', 'icmpv6', 'ether']);
const KEYWORDS = new Set([
  ...PROTO_QUALS,
  'and',
  'or',
  'not',
  'proto',
  'src',
  'dst',
  'host',
  'net',
  'mask',
  'port',
  'portrange',
  'inbound',
  'outbound',
]);
// pcap-filter keywords with no kernel equivalent: named so the error says "unsupported", not "unknown".
const UNSUPPORTED = new Set([
  'rarp',
  'decnet',
  'atalk',
  'aarp',
  'iso',
  'esis',
  'isis',
  'clnp',
  'stp',
  'ipx',
  'netbeui',
  'lat',
  'moprc',
  'mopdl',
  'sca',
  'igmp',
  'igrp',
  'pim',
  'vrrp',
  'carp',
  'ah',
  'esp',
  'fddi',
  'tr',
  'wlan',
  'ppp',
  'slip',
  'link',
  'gateway',
  'broadcast',
  'multicast',
  'less',
  'greater',
  'len',
  'vlan',
  'mpls',
  'pppoed',
  'pppoes',
  'geneve',
  'vxlan',
  'protochain',
  'type',
  'subtype',
  'dir',
  'ra',
  'ta',
  'addr1',
  'addr2',
  'addr3',
  'addr4',
  'ifname',
  'on',
  'rnr',
  'rulenum',
  'reason',
  'rset',
  'srnr',
  'subrulenum',
  'action',
  'llc',
  'hsrp',
]);

/** A value (address, number, name) rather than the start of a primitive: pcap's "id". */
function isValue(t: Token): boolean {
  return t.kind === 'word' && (t.escaped === true || (!KEYWORDS.has(key(t)) && !UNSUPPORTED.has(key(t))));
}

function describe(t: Token): string {
  return t.kind === 'end' ? 'end of filter' : `"${t.text}"`;
}

// ---- AST ----

type Slot = 's' | 'd' | 'e'; // source, destination, either
type Atom =
  | { k: 'eth'; v: number }
  | { k: 'l4'; v: number }
  | { k: 'dir'; v: Direction }
  | { k: 'port'; slot: Slot; v: PortRange }
  | { k: 'addr'; slot: Slot; v: AddrMatch };
type Node = { op: 'and' | 'or'; a: Node; b: Node } | { op: 'atoms'; atoms: Atom[] };

type DirQual = 'src' | 'dst' | 'either' | 'both';
type Kind = 'host' | 'net' | 'port' | 'portrange' | 'proto' | 'default';
/** A primitive's qualifiers, which a bare value after and/or repeats (pcap-filter(7) abbreviation). */
interface Qual {
  proto?: string;
  dir?: DirQual;
  kind: Kind;
}

const EXPECTED: Record<Kind, string> = {
  host: 'an address',
  default: 'an address',
  net: 'a network (e.g. 10.0.0.0/8)',
  port: 'a port number',
  portrange: 'a port range (e.g. 1-1024)',
  proto: 'a protocol number or name',
};

class Parser {
  private i = 0;
  // Qualifiers of the latest primitive, null where pcap has none to inherit (after "tcp", "inbound", at the start).
  private qual: Qual | null = null;
  /** Parentheses open at the current token. */
  private depth = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(k = 0): Token {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)]!;
  }
  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'end') this.i++;
    return t;
  }

  parse(): Node {
    const n = this.expr();
    const t = this.peek();
    if (t.kind !== 'end') {
      throw new FilterError(
        key(t) === ')' ? `unmatched ")" at ${t.pos}` : `expected "and" or "or" before ${describe(t)} at ${t.pos}`,
        t.pos,
      );
    }
    return n;
  }

  // pcap-filter(7): "Alternation and concatenation have equal precedence and associate left to right."
  private expr(): Node {
    let left = this.term();
    for (;;) {
      const op = key(this.peek());
      if (op !== 'and' && op !== 'or') return left;
      this.next();
      const right = isValue(this.peek()) ? this.inherited() : this.term();
      left = { op, a: left, b: right };
    }
  }

  private term(): Node {
    const t = this.peek();
    const k = key(t);
    if (k === 'not') {
      throw new FilterError(
        `"${t.text}" cannot be evaluated by the kernel filter; rewrite the filter without negation`,
        t.pos,
      );
    }
    if (k !== '(') return this.primitive();
    if (this.depth === MAX_FILTER_NESTING) throw new FilterError(`${NESTED_TOO_DEEPLY} at ${t.pos}`, t.pos);
    this.next();
    // As in pcap's grammar, a parenthesised group hands on the qualifiers that preceded it, not its own.
    const saved = this.qual;
    this.depth++;
    const e = this.expr();
    this.depth--;
    const close = this.peek();
    if (key(close) !== ')')
      throw new FilterError(
        `expected ")" to close "(" at ${t.pos}, found ${describe(close)} at ${close.pos}`,
        close.pos,
      );
    this.next();
    this.qual = saved;
    return e;
  }

  private inherited(): Node {
    const t = this.peek();
    if (this.qual === null) {
      throw new FilterError(
        `"${t.text}" at ${t.pos} needs a keyword such as host, net or port (there is no preceding host, net, port or proto primitive to abbreviate)`,
        t.pos,
      );
    }
    return this.value(this.qual, this.toks[this.i - 1]!);
  }

  private primitive(): Node {
    const first = this.peek();
    let proto: string | undefined;
    if (PROTO_QUALS.has(key(first))) {
      proto = key(first) === 'icmpv6' ? 'icmp6' : key(first);
      this.next();
    }
    if (key(this.peek()) === 'proto') return this.value({ proto, kind: 'proto' }, this.next());
    const dir = this.dirQual();
    const k = key(this.peek());
    let kind: Kind = 'default';
    if (k === 'host' || k === 'net' || k === 'port' || k === 'portrange') {
      kind = k;
      this.next();
    }
    if (dir === undefined && kind === 'default') {
      if (proto !== undefined) {
        this.qual = null;
        return leaf(protoAbbrev(proto, first));
      }
      return this.other();
    }
    const after = this.toks[this.i - 1]!;
    if (proto === 'ether')
      throw new FilterError(
        `"ether ${after.text}" is not supported: the kernel filter has no MAC address conditions`,
        first.pos,
      );
    return this.value({ proto, dir, kind }, after);
  }

  /** Primitives without qualifiers (inbound, outbound) and the errors for everything else at a primitive's start. */
  private other(): Node {
    const prev = this.toks[this.i - 1];
    const t = this.next();
    const k = key(t);
    if (k === 'inbound' || k === 'outbound') {
      this.qual = null;
      return leaf([{ k: 'dir', v: k === 'inbound' ? 'in' : 'out' }]);
    }
    if (UNSUPPORTED.has(k)) throw new FilterError(`"${t.text}" is not supported by the kernel filter`, t.pos);
    if (t.kind === 'end')
      throw new FilterError(`expected a filter primitive${prev ? ` after "${prev.text}"` : ''} at ${t.pos}`, t.pos);
    if (t.kind === 'word' && /^[0-9.:]+$/.test(t.text)) {
      const example = /^\d+$/.test(t.text) ? `port ${t.text}` : `host ${t.text}`;
      throw new FilterError(`"${t.text}" at ${t.pos} needs a keyword before it, e.g. "${example}"`, t.pos);
    }
    if (t.kind === 'word' && !KEYWORDS.has(k)) {
      throw new FilterError(
        `unknown keyword "${t.text}" at ${t.pos} (expected tcp, udp, sctp, icmp, icmp6, ip, ip6, arp, host, net, port, portrange, proto, src, dst, inbound or outbound)`,
        t.pos,
      );
    }
    throw new FilterError(`unexpected ${describe(t)} at ${t.pos}`, t.pos);
  }

  private dirQual(): DirQual | undefined {
    const k = key(this.peek());
    if (k !== 'src' && k !== 'dst') return undefined;
    this.next();
    const conj = key(this.peek());
    if ((conj === 'or' || conj === 'and') && key(this.peek(1)) === (k === 'src' ? 'dst' : 'src')) {
      this.next();
      this.next();
      return conj === 'or' ? 'either' : 'both';
    }
    return k;
  }

  /** Reads the value of a primitive whose qualifiers are q; `after` names the token it follows, for messages. */
  private value(q: Qual, after: Token): Node {
    const t = this.peek();
    if (t.kind !== 'word' || (q.kind === 'proto' ? ['and', 'or', 'not'].includes(key(t)) : !isValue(t))) {
      throw new FilterError(`expected ${EXPECTED[q.kind]} after "${after.text}" at ${t.pos}`, t.pos);
    }
    this.next();
    let atoms: Atom[];
    if (q.kind === 'proto') atoms = protoValue(q.proto, t);
    else if (q.kind === 'port' || q.kind === 'portrange') {
      if (q.proto !== undefined && !['tcp', 'udp', 'sctp'].includes(q.proto)) {
        throw new FilterError(`"${q.proto}" cannot qualify "${q.kind}" (use tcp, udp or sctp)`, t.pos);
      }
      const range = q.kind === 'port' ? { lo: parsePort(t), hi: parsePort(t) } : parsePortRange(t);
      atoms = slots(q.dir).map((slot): Atom => ({ k: 'port', slot, v: range }));
      if (q.proto !== undefined) atoms.unshift({ k: 'l4', v: PROTO_NUMBERS.get(q.proto)! });
    } else {
      if (q.proto === 'arp')
        throw new FilterError(
          `"arp" address conditions are not supported: the kernel filter matches addresses in IP headers only`,
          t.pos,
        );
      if (q.proto !== undefined && q.proto !== 'ip' && q.proto !== 'ip6') {
        throw new FilterError(`"${q.proto}" cannot qualify an address (only ip or ip6 can)`, t.pos);
      }
      const m = q.kind === 'net' ? this.net(t) : this.host(t);
      if ((q.proto === 'ip' && m.family === 6) || (q.proto === 'ip6' && m.family === 4)) {
        throw new FilterError(`"${q.proto}" contradicts the IPv${m.family} address "${t.text}"`, t.pos);
      }
      atoms = slots(q.dir).map((slot): Atom => ({ k: 'addr', slot, v: m }));
    }
    this.qual = q;
    return leaf(atoms);
  }

  private host(t: Token): AddrMatch {
    const m = parseAddress(t);
    const width = m.family === 4 ? 32 : 128;
    if (m.prefix !== width) {
      throw new FilterError(`"${t.text}" is not a complete IPv4 address (use "net ${t.text}" for a network)`, t.pos);
    }
    const k = key(this.peek());
    if (k === '/' || k === 'mask') {
      throw new FilterError(
        `a ${k === '/' ? 'prefix length' : 'mask'} needs "net" (e.g. net 10.0.0.0/8) at ${this.peek().pos}`,
        this.peek().pos,
      );
    }
    return m;
  }

  private net(t: Token): AddrMatch {
    const m = parseAddress(t);
    const width = m.family === 4 ? 32 : 128;
    let shown = t.text;
    const k = key(this.peek());
    if (k === '/') {
      this.next();
      const p = this.next();
      if (p.kind !== 'word' || !/^\d+$/.test(p.text))
        throw new FilterError(`expected a prefix length after "/" at ${p.pos}`, p.pos);
      m.prefix = Number(p.text);
      if (m.prefix > width)
        throw new FilterError(`prefix /${p.text} is out of range for IPv${m.family} (0-${width})`, p.pos);
      shown = `${t.text}/${p.text}`;
    } else if (k === 'mask') {
      this.next();
      const p = this.next();
      if (m.family !== 4)
        throw new FilterError(`"mask" applies to IPv4 networks only; write ${t.text}/LENGTH at ${p.pos}`, p.pos);
      const mask = p.kind === 'word' ? parseIpv4Prefix(p.text) : undefined;
      if (mask === undefined) throw new FilterError(`expected an IPv4 netmask after "mask" at ${p.pos}`, p.pos);
      m.prefix = maskPrefix(ipv4Bytes(mask.value), p);
      shown = `${t.text} mask ${p.text}`;
    } else if (m.family === 4 && /^\d+$/.test(t.text)) {
      // pcap reads a lone number as a class-A-style network only in this range (0 and >255 mean other things).
      const n = Number(t.text);
      if (n < 1 || n > 255)
        throw new FilterError(`network "${t.text}" is ambiguous; write it as a prefix, e.g. 10.0.0.0/8`, t.pos);
    }
    for (let bit = m.prefix; bit < width; bit++) {
      if (m.addr[bit >> 3]! & (0x80 >> (bit & 7))) throw new FilterError(`non-network bits set in "${shown}"`, t.pos);
    }
    return m;
  }
}

function leaf(atoms: Atom[]): Node {
  return { op: 'atoms', atoms };
}

/** The rule fields a src/dst qualifier selects; no qualifier means either. */
function slots(dir: DirQual | undefined): Slot[] {
  return dir === 'src' ? ['s'] : dir === 'dst' ? ['d'] : dir === 'both' ? ['s', 'd'] : ['e'];
}

function protoAbbrev(proto: string, t: Token): Atom[] {
  switch (proto) {
    case 'ip':
      return [{ k: 'eth', v: ETH_IP }];
    case 'ip6':
      return [{ k: 'eth', v: ETH_IP6 }];
    case 'arp':
      return [{ k: 'eth', v: ETH_ARP }];
    case 'icmp':
      return [
        { k: 'eth', v: ETH_IP },
        { k: 'l4', v: 1 },
      ];
    case 'icmp6':
      return [
        { k: 'eth', v: ETH_IP6 },
        { k: 'l4', v: 58 },
      ];
    case 'ether':
      throw new FilterError(`"ether" needs "proto" here (e.g. ether proto 0x88cc) at ${t.pos}`, t.pos);
    default:
      return [{ k: 'l4', v: PROTO_NUMBERS.get(proto)! }];
  }
}

function protoValue(proto: string | undefined, t: Token): Atom[] {
  const name = t.text.toLowerCase();
  if (proto === 'ether') {
    const named = new Map([
      ['ip', ETH_IP],
      ['ip6', ETH_IP6],
      ['arp', ETH_ARP],
    ]);
    const v = named.get(name) ?? (/^(\d+|0x[0-9a-f]+)$/.test(name) ? Number(name) : NaN);
    if (Number.isNaN(v))
      throw new FilterError(`unknown ethertype "${t.text}" (expected ip, ip6, arp or a number such as 0x88cc)`, t.pos);
    // pcap treats values up to 1500 as 802.3 lengths with LLC semantics, which the kernel does not model.
    if (v < 0x600 || v > 0xffff) throw new FilterError(`ethertype ${t.text} is out of range (0x0600-0xffff)`, t.pos);
    return [{ k: 'eth', v }];
  }
  if (proto !== undefined && proto !== 'ip' && proto !== 'ip6') {
    throw new FilterError(`"proto" can follow only ip, ip6 or ether, not "${proto}"`, t.pos);
  }
  let v: number;
  if (/^\d+$/.test(name)) {
    v = Number(name);
    if (v > 255) throw new FilterError(`protocol ${t.text} is out of range (0-255)`, t.pos);
  } else if (PROTO_NUMBERS.has(name)) {
    v = PROTO_NUMBERS.get(name)!;
  } else {
    throw new FilterError(
      `unknown protocol "${t.text}" (expected tcp, udp, sctp, icmp, icmp6, or a number 0-255)`,
      t.pos,
    );
  }
  const atoms: Atom[] = [{ k: 'l4', v }];
  if (proto !== undefined) atoms.unshift({ k: 'eth', v: proto === 'ip' ? ETH_IP : ETH_IP6 });
  return atoms;
}

// ---- Values ----

function parsePort(t: Token, text = t.text): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n > 65535) throw new FilterError(`port ${text} is out of range (0-65535)`, t.pos);
    return n;
  }
  const named = PORT_NAMES.get(text.toLowerCase());
  if (named !== undefined) return named;
  if (/^\d+-\d+$/.test(text)) throw new FilterError(`"${text}" is a range; write "portrange ${text}"`, t.pos);
  throw new FilterError(
    `unknown port "${text}" (give a number; the only names accepted are http, https, domain and ssh)`,
    t.pos,
  );
}

function parsePortRange(t: Token): PortRange {
  const parts = t.text.split('-');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
    throw new FilterError(`invalid port range "${t.text}" (expected LOW-HIGH, e.g. 1-1024)`, t.pos);
  }
  const lo = parsePort(t, parts[0]);
  const hi = parsePort(t, parts[1]);
  if (lo > hi) throw new FilterError(`port range ${t.text} is reversed; write ${hi}-${lo}`, t.pos);
  return { lo, hi };
}

/** An address literal; IPv4 short forms get the prefix pcap gives them (8 bits per octet written). */
function parseAddress(t: Token): AddrMatch {
  if (t.text.includes(':')) {
    const addr = parseIpv6(t.text);
    if (addr === undefined) throw new FilterError(`invalid IPv6 address "${t.text}"`, t.pos);
    return { family: 6, addr, prefix: 128 };
  }
  if (/^[\d.]+$/.test(t.text)) {
    const v4 = parseIpv4Prefix(t.text);
    if (v4 === undefined) throw new FilterError(`invalid IPv4 address "${t.text}"`, t.pos);
    return { family: 4, addr: ipv4Bytes(v4.value), prefix: 8 * v4.parts };
  }
  throw new FilterError(`host names are not resolved; give an IPv4 or IPv6 address instead of "${t.text}"`, t.pos);
}

function ipv4Bytes(value: number): Uint8Array {
  return Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

function maskPrefix(mask: Uint8Array, t: Token): number {
  let prefix = 0;
  while (prefix < 32 && mask[prefix >> 3]! & (0x80 >> (prefix & 7))) prefix++;
  for (let bit = prefix; bit < 32; bit++) {
    if (mask[bit >> 3]! & (0x80 >> (bit & 7))) {
      throw new FilterError(`mask ${t.text} is not contiguous; the kernel filter matches address prefixes only`, t.pos);
    }
  }
  return prefix;
}

// ---- The PCA form ----

function parsePca(text: string): CaptureRule[] {
  const comma = text.indexOf(',');
  const extra = text.indexOf(',', comma + 1);
  if (extra >= 0) throw new FilterError(`expected PROTO,PORT (e.g. tcp,80): unexpected "," at ${extra}`, extra);
  const protoText = text.slice(0, comma).trim();
  const portText = text.slice(comma + 1).trim();
  if (protoText === '') throw new FilterError(`expected a protocol before "," at ${comma}`, comma);
  const protoPos = text.indexOf(protoText);
  const portPos = comma + 1 + text.slice(comma + 1).indexOf(portText);
  if (portText === '')
    throw new FilterError(`expected a port number after "${protoText}," at ${text.length}`, text.length);
  const proto = protoText.toLowerCase();
  if (!['tcp', 'udp', 'sctp', 'icmp', 'icmp6'].includes(proto)) {
    throw new FilterError(`unknown protocol "${protoText}" (expected tcp, udp, sctp, icmp or icmp6)`, protoPos);
  }
  if (proto === 'icmp' || proto === 'icmp6')
    throw new FilterError(`${proto} has no ports; write "${proto}" alone`, portPos);
  if (!/^\d+$/.test(portText)) throw new FilterError(`invalid port "${portText}" (expected a number 0-65535)`, portPos);
  const port = parsePort({ kind: 'word', text: portText, pos: portPos });
  return [{ l4proto: PROTO_NUMBERS.get(proto)!, port: { lo: port, hi: port } }];
}

// ---- Normalising one conjunction ----

interface SlotOps<T> {
  within(a: T, b: T): boolean; // every value in a is in b
  intersect(a: T, b: T): T | null;
  show(v: T): string;
}

const RANGES: SlotOps<PortRange> = {
  within: (a, b) => a.lo >= b.lo && a.hi <= b.hi,
  intersect: (a, b) => {
    const lo = Math.max(a.lo, b.lo);
    const hi = Math.min(a.hi, b.hi);
    return lo <= hi ? { lo, hi } : null;
  },
  show: (r) => (r.lo === r.hi ? `port ${r.lo}` : `portrange ${r.lo}-${r.hi}`),
};

const CIDRS: SlotOps<AddrMatch> = {
  within: (a, b) => {
    if (a.family !== b.family || a.prefix < b.prefix) return false;
    for (let bit = 0; bit < b.prefix; bit++) {
      const mask = 0x80 >> (bit & 7);
      if ((a.addr[bit >> 3]! & mask) !== (b.addr[bit >> 3]! & mask)) return false;
    }
    return true;
  },
  // Prefixes never partially overlap: they nest or are disjoint.
  intersect: (a, b) => (CIDRS.within(a, b) ? a : CIDRS.within(b, a) ? b : null),
  show: formatAddr,
};

type SlotAtom<T> = { slot: Slot; v: T };
/** never: cannot match (why); split: an either condition to expand; otherwise the folded s/d/e values. */
interface Resolved<T> {
  never?: string;
  split?: SlotAtom<T>;
  s?: T;
  d?: T;
  e?: T;
}

/**
 * Folds the conditions on one source/destination/either slot family. The rule has a single "either"
 * field, so two unrelated either conditions are reported as a split: the caller expands one of them
 * into its source and destination alternatives (exact, since "either X" is "src X or dst X").
 */
function resolveSlots<T>(atoms: SlotAtom<T>[], ops: SlotOps<T>): Resolved<T> {
  const fold = (slot: Slot): { v?: T; never?: string } => {
    let v: T | undefined;
    for (const a of atoms.filter((x) => x.slot === slot)) {
      const next = v === undefined ? a.v : ops.intersect(v, a.v);
      if (next === null) return { never: `${ops.show(v!)} and ${ops.show(a.v)} do not overlap` };
      v = next;
    }
    return { v };
  };
  const sf = fold('s');
  const df = fold('d');
  if (sf.never !== undefined) return { never: sf.never };
  if (df.never !== undefined) return { never: df.never };
  let s = sf.v;
  let d = df.v;
  let either = atoms.filter((x) => x.slot === 'e');
  // An either condition met by the source (or destination) is implied; one the source cannot meet
  // must hold on the destination (and vice versa).
  for (let changed = true; changed; ) {
    changed = false;
    for (const a of either) {
      const sIn = s !== undefined && ops.within(s, a.v);
      const dIn = d !== undefined && ops.within(d, a.v);
      const sOut = s !== undefined && ops.intersect(s, a.v) === null;
      const dOut = d !== undefined && ops.intersect(d, a.v) === null;
      if (!sIn && !dIn && !sOut && !dOut) continue;
      if (sOut && dOut) return { never: `${ops.show(a.v)} fits neither the source nor the destination condition` };
      if (!sIn && !dIn) {
        if (sOut) d = d === undefined ? a.v : ops.intersect(d, a.v)!;
        else s = s === undefined ? a.v : ops.intersect(s, a.v)!;
      }
      either = either.filter((x) => x !== a);
      changed = true;
      break;
    }
  }
  // "either A and either B" with A inside B is just "either A".
  either = either.filter(
    (a, i) => !either.some((b, j) => j !== i && ops.within(b.v, a.v) && (!ops.within(a.v, b.v) || j < i)),
  );
  if (either.length > 1) return { split: either[0]! };
  return { s, d, e: either[0]?.v };
}

const ETH_NAMES: Record<number, string> = { [ETH_IP]: 'ip', [ETH_IP6]: 'ip6', [ETH_ARP]: 'arp' };
const ethName = (v: number) => ETH_NAMES[v] ?? `ether proto 0x${v.toString(16).padStart(4, '0')}`;
const protoName = (v: number) => (({ 6: 'tcp', 17: 'udp', 132: 'sctp' }) as Record<number, string>)[v] ?? `proto ${v}`;
// For messages only: formatRules must not write icmp for l4proto 1 alone, since icmp also means IPv4.
const protoLabel = (v: number) => (v === 1 ? 'icmp' : v === 58 ? 'icmp6' : protoName(v));

/** One conjunction of atoms → the rules (usually one, none if it cannot match) that express it exactly. */
function normalise(atoms: Atom[], why: string[]): CaptureRule[] {
  const never = (reason: string): CaptureRule[] => {
    why.push(reason);
    return [];
  };
  const single = <T>(k: 'eth' | 'l4' | 'dir', show: (v: T) => string): { v?: T; clash?: string } => {
    const vs = [...new Set(atoms.filter((a) => a.k === k).map((a) => a.v as T))];
    return vs.length > 1 ? { clash: `${show(vs[0]!)} and ${show(vs[1]!)} exclude each other` } : { v: vs[0] };
  };
  const eth = single<number>('eth', ethName);
  const l4 = single<number>('l4', protoLabel);
  const dir = single<Direction>('dir', (v) => (v === 'in' ? 'inbound' : 'outbound'));
  const clash = eth.clash ?? l4.clash ?? dir.clash;
  if (clash !== undefined) return never(clash);

  const ports = atoms.filter((a): a is Extract<Atom, { k: 'port' }> => a.k === 'port');
  const addrs = atoms.filter((a): a is Extract<Atom, { k: 'addr' }> => a.k === 'addr');
  const families = new Set(addrs.map((a) => a.v.family));
  if (families.size > 1) return never('an IPv4 and an IPv6 address condition cannot both hold');
  const family = addrs[0]?.v.family;
  let ethertype = eth.v;
  if (family !== undefined && ethertype !== undefined) {
    if (ethertype === ETH_ARP || ethertype === ETH_RARP) {
      // pcap would match the addresses inside ARP payloads; the kernel cannot, so refuse rather than drop.
      throw new FilterError(
        `address conditions cannot be combined with ${ethName(ethertype)}: the kernel filter matches addresses in IP headers only`,
      );
    }
    if (ethertype !== (family === 4 ? ETH_IP : ETH_IP6))
      return never(`${ethName(ethertype)} packets have no IPv${family} addresses`);
    ethertype = undefined; // implied: an IPv4 address condition matches IPv4 packets only
  }
  const isIp = ethertype === undefined || ethertype === ETH_IP || ethertype === ETH_IP6;
  if (l4.v !== undefined && !isIp) return never(`${ethName(ethertype!)} packets carry no IP protocol`);
  if (ports.length > 0 && (!isIp || (l4.v !== undefined && !PORT_PROTOS.has(l4.v)))) {
    return never(
      `ports exist only for tcp, udp and sctp, not ${l4.v !== undefined ? protoLabel(l4.v) : ethName(ethertype!)}`,
    );
  }

  const p = resolveSlots(ports, RANGES);
  const a = resolveSlots(addrs, CIDRS);
  const impossible = p.never ?? a.never;
  if (impossible !== undefined) return never(impossible);
  const split = p.split ?? a.split;
  if (split !== undefined) {
    const rest = atoms.filter((x) => x !== split);
    return (['s', 'd'] as const).flatMap((slot) => normalise([...rest, { ...split, slot } as Atom], why));
  }
  const rule: CaptureRule = {};
  if (ethertype !== undefined) rule.ethertype = ethertype;
  if (l4.v !== undefined) rule.l4proto = l4.v;
  if (dir.v !== undefined) rule.direction = dir.v;
  if (p.s) rule.sport = p.s;
  if (p.d) rule.dport = p.d;
  if (p.e) rule.port = p.e;
  if (a.s) rule.saddr = a.s;
  if (a.d) rule.daddr = a.d;
  if (a.e) rule.addr = a.e;
  return [rule];
}

function ruleAtoms(r: CaptureRule): Atom[] {
  const out: Atom[] = [];
  if (r.ethertype !== undefined) out.push({ k: 'eth', v: r.ethertype });
  if (r.l4proto !== undefined) out.push({ k: 'l4', v: r.l4proto });
  if (r.direction !== undefined) out.push({ k: 'dir', v: r.direction });
  if (r.sport) out.push({ k: 'port', slot: 's', v: r.sport });
  if (r.dport) out.push({ k: 'port', slot: 'd', v: r.dport });
  if (r.port) out.push({ k: 'port', slot: 'e', v: r.port });
  if (r.saddr) out.push({ k: 'addr', slot: 's', v: r.saddr });
  if (r.daddr) out.push({ k: 'addr', slot: 'd', v: r.daddr });
  if (r.addr) out.push({ k: 'addr', slot: 'e', v: r.addr });
  return out;
}

/** a ⇒ b: every packet matching rule a matches rule b (sound, not complete). */
function implies(a: CaptureRule, b: CaptureRule): boolean {
  const family = (a.saddr ?? a.daddr ?? a.addr)?.family;
  const eth = a.ethertype ?? (family === 4 ? ETH_IP : family === 6 ? ETH_IP6 : undefined);
  const inside = <T>(ops: SlotOps<T>, want: T | undefined, ...have: (T | undefined)[]) =>
    want === undefined || have.some((h) => h !== undefined && ops.within(h, want));
  return (
    (b.ethertype === undefined || b.ethertype === eth) &&
    (b.l4proto === undefined || b.l4proto === a.l4proto) &&
    (b.direction === undefined || b.direction === a.direction) &&
    inside(RANGES, b.sport, a.sport) &&
    inside(RANGES, b.dport, a.dport) &&
    inside(RANGES, b.port, a.port, a.sport, a.dport) &&
    inside(CIDRS, b.saddr, a.saddr) &&
    inside(CIDRS, b.daddr, a.daddr) &&
    inside(CIDRS, b.addr, a.addr, a.saddr, a.daddr)
  );
}

/** Adds r to an OR of rules unless a rule already covers it; drops the rules r covers (dedup included). */
function addRule(rules: CaptureRule[], r: CaptureRule): void {
  if (rules.some((x) => implies(r, x))) return;
  const at = rules.findIndex((x) => implies(x, r));
  if (at < 0) {
    rules.push(r);
    return;
  }
  rules[at] = r;
  for (let i = rules.length - 1; i > at; i--) if (implies(rules[i]!, r)) rules.splice(i, 1);
}

function tooComplex(): FilterError {
  return new FilterError(
    `filter is too complex: it expands to more than ${MAX_TERMS} alternatives before simplification (the kernel filter holds at most ${CAP_MAX_RULES} rules)`,
  );
}

/** Disjunctive normal form: and distributes over or; every term is normalised as soon as it is formed.
 *  A chain "a or b or c …" is a left-leaning tree as long as the chain: it is walked in a loop, so
 *  recursion only goes as deep as the parentheses (MAX_FILTER_NESTING). */
function dnf(root: Node, why: string[]): CaptureRule[] {
  const spine: Exclude<Node, { op: 'atoms' }>[] = [];
  let n = root;
  while (n.op !== 'atoms') {
    spine.push(n);
    n = n.a;
  }
  let out = atomRules(n.atoms, why);
  for (let i = spine.length - 1; i >= 0; i--) {
    const node = spine[i]!;
    out = combine(node.op, out, dnf(node.b, why), why);
  }
  return out;
}

function atomRules(atoms: Atom[], why: string[]): CaptureRule[] {
  const out: CaptureRule[] = [];
  for (const r of normalise(atoms, why)) addRule(out, r);
  return out;
}

function combine(op: 'and' | 'or', a: CaptureRule[], b: CaptureRule[], why: string[]): CaptureRule[] {
  const out: CaptureRule[] = op === 'or' ? a : [];
  if (op === 'or') {
    for (const r of b) addRule(out, r);
  } else {
    if (a.length * b.length > MAX_TERMS) throw tooComplex();
    for (const x of a)
      for (const y of b) for (const r of normalise([...ruleAtoms(x), ...ruleAtoms(y)], why)) addRule(out, r);
  }
  if (out.length > MAX_TERMS) throw tooComplex();
  return out;
}

/** The kernel rules of a capture filter. Throws FilterError, with the capture filter to use when
 *  `text` is a display filter ("tcp.port == 80" → "tcp port 80"). */
export function parseFilter(text: string): CaptureRule[] {
  try {
    return compileRules(text);
  } catch (e) {
    if (!(e instanceof FilterError)) throw e;
    throw withDisplayFilterHint(text, e);
  }
}

function withDisplayFilterHint(text: string, e: FilterError): FilterError {
  const capture = displayFilterAsCapture(text);
  if (capture === undefined) return e;
  try {
    compileRules(capture);
  } catch {
    return e; // no equivalent the kernel takes ("!tcp"): the error alone
  }
  // The display filter's "==" is not an arithmetic expression: that aside would mislead here.
  const reason = e.message.replace(ARITHMETIC_UNSUPPORTED, '');
  return new FilterError(`${reason}. This is a display filter; as a capture filter: ${capture}`, e.position);
}

function compileRules(text: string): CaptureRule[] {
  if (text.trim() === '') return [];
  if (text.includes(',')) return parsePca(text);
  const why: string[] = [];
  const rules = dnf(new Parser(tokenize(text)).parse(), why);
  if (rules.length === 0)
    throw new FilterError(`the filter can never match any packet: ${why[0] ?? 'its conditions contradict each other'}`);
  if (rules.length > CAP_MAX_RULES) {
    throw new FilterError(
      `the filter needs ${rules.length} kernel rules but at most ${CAP_MAX_RULES} are available; use portrange or net instead of listing values, or split the expression`,
    );
  }
  return rules;
}

// ---- Formatting ----

function formatAddr(m: AddrMatch): string {
  const text = m.family === 4 ? Array.from(m.addr.subarray(0, 4)).join('.') : ipv6Text(m.addr);
  return m.prefix === (m.family === 4 ? 32 : 128) ? `host ${text}` : `net ${text}/${m.prefix}`;
}

function formatRule(r: CaptureRule): string[] {
  const parts: string[] = [];
  const family = (r.saddr ?? r.daddr ?? r.addr)?.family;
  const eth = r.ethertype ?? (family === 4 ? ETH_IP : family === 6 ? ETH_IP6 : undefined);
  if (r.l4proto === 1 && eth === ETH_IP) parts.push('icmp');
  else if (r.l4proto === 58 && eth === ETH_IP6) parts.push('icmp6');
  else {
    if (r.ethertype !== undefined) parts.push(ethName(r.ethertype));
    if (r.l4proto !== undefined) parts.push(protoName(r.l4proto));
  }
  const slots = [
    ['src ', r.saddr, r.sport],
    ['dst ', r.daddr, r.dport],
    ['', r.addr, r.port],
  ] as const;
  for (const [prefix, addr] of slots) if (addr) parts.push(prefix + formatAddr(addr));
  for (const [prefix, , port] of slots) if (port) parts.push(prefix + RANGES.show(port));
  if (r.direction !== undefined) parts.push(r.direction === 'in' ? 'inbound' : 'outbound');
  return parts;
}

/** A tcpdump-style expression that parseFilter turns back into the same rules; "" for no rules (match all). */
export function formatRules(rules: readonly CaptureRule[]): string {
  const terms = rules.map(formatRule);
  if (terms.length === 0 || terms.some((t) => t.length === 0)) return ''; // an empty rule matches everything
  if (terms.length === 1) return terms[0]!.join(' and ');
  return terms.map((t) => (t.length === 1 ? t[0]! : `(${t.join(' and ')})`)).join(' or ');
}

/** The capture form's check as the user types: the filter as the kernel will read it, or why not. */
export function checkCaptureFilter(filter: string): { ok: true; normalized: string } | { ok: false; error: string } {
  try {
    return { ok: true, normalized: formatRules(parseFilter(filter)) };
  } catch (e) {
    if (!(e instanceof FilterError)) throw e;
    return { ok: false, error: e.message };
  }
}

/** A filter as a tcpdump expression: the PCA form (tcp,80) becomes its equivalent (tcp port 80). */
function asExpression(text: string): string {
  return text.includes(',') ? formatRules(parsePca(text)) : text.trim();
}

/**
 * The effective filter of a capture with an exclusion, as one pcap-filter(7) expression (for
 * people and pcapng if_filter; our own parser refuses "not"): "(FILTER) and not (EXCLUSION)",
 * or "not (EXCLUSION)" when FILTER is empty; FILTER unchanged without an exclusion. FILTER is
 * parenthesised: pcap gives and/or equal precedence, most readers (and Wireshark) do not.
 */
export function describeWithExclusion(filter: string, exclusion: string): string {
  if (exclusion.trim() === '') return filter;
  const not = `not (${asExpression(exclusion)})`;
  return filter.trim() === '' ? not : `(${asExpression(filter)}) and ${not}`;
}
