// Hints for a filter typed in the other language: a capture filter (tcpdump's pcap-filter syntax,
// "port 80") typed as a display filter, or a display filter (Wireshark's syntax, "tcp.port == 80")
// typed as a capture filter. Each direction translates the common forms (protocols, ports,
// addresses, and/or/not, parentheses) and gives up on anything else: a hint is offered only where
// the equivalent is certain. The callers (display-filter.ts, filter.ts) compile a translation
// before they show it, so a hint never suggests something that is refused in turn.
//
// Imports neither filter engine: both import this file.

/** A boolean expression over leaves already written in the target language. */
type Node =
  | { op: 'and' | 'or'; a: Node; b: Node }
  | { op: 'not'; a: Node }
  /** `alternatives`: the leaf is itself an "or" ("tcp.port == 80 || udp.port == 80"). */
  | { op: 'leaf'; text: string; alternatives: boolean };

interface Syntax {
  and: string;
  or: string;
  not: string;
}

const CAPTURE_SYNTAX: Syntax = { and: ' and ', or: ' or ', not: 'not ' };
const DISPLAY_SYNTAX: Syntax = { and: ' && ', or: ' || ', not: '!' };

/** Writes a tree with a parenthesis wherever "and" meets "or": right under either language's precedence. */
function emit(n: Node, syntax: Syntax, parent?: 'and' | 'or' | 'not'): string {
  switch (n.op) {
    case 'leaf':
      return n.alternatives && parent !== undefined && parent !== 'or' ? `(${n.text})` : n.text;
    case 'not':
      return syntax.not + emit(n.a, syntax, 'not');
    default: {
      const text = emit(n.a, syntax, n.op) + syntax[n.op] + emit(n.b, syntax, n.op);
      return parent !== undefined && parent !== n.op ? `(${text})` : text;
    }
  }
}

// ---- Tokens: words, and the operators both languages share

const TOKEN = /\s*(==|!=|&&|\|\||[!()]|[A-Za-z0-9_.:/-]+)/y;

/** Longer than a filter anyone mistypes; bounds the translators' recursion on text pasted or sent by anyone. */
const MAX_TOKENS = 256;

/** The tokens of `text`, or undefined when it holds anything these translations do not know. */
function tokens(text: string): string[] | undefined {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (out.length === MAX_TOKENS) return undefined;
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) return text.slice(at).trim() === '' ? out : undefined;
    out.push(m[1]!);
  }
  return out;
}

const CONNECTIVES: Readonly<Record<string, 'and' | 'or' | 'not'>> = {
  and: 'and',
  '&&': 'and',
  or: 'or',
  '||': 'or',
  not: 'not',
  '!': 'not',
};

/** A cursor over tokens; `leaf` reads one leaf of the source language, undefined when it cannot. */
class Reader {
  private i = 0;
  constructor(
    private readonly toks: string[],
    private readonly leaf: (r: Reader) => Node | undefined,
  ) {}

  peek(k = 0): string | undefined {
    return this.toks[this.i + k];
  }
  next(): string | undefined {
    return this.toks[this.i++];
  }
  connective(): 'and' | 'or' | 'not' | undefined {
    const t = this.peek();
    return t === undefined ? undefined : CONNECTIVES[t.toLowerCase()];
  }
  atEnd(): boolean {
    return this.i >= this.toks.length;
  }

  /** Wireshark's precedence: "not" over "and" over "or". */
  displayOr(): Node | undefined {
    return this.chain('or', () => this.displayAnd());
  }
  private displayAnd(): Node | undefined {
    return this.chain('and', () => this.unary(() => this.displayOr()));
  }
  private chain(op: 'and' | 'or', term: () => Node | undefined): Node | undefined {
    let left = term();
    while (left && this.connective() === op) {
      this.next();
      const right = term();
      left = right && { op, a: left, b: right };
    }
    return left;
  }

  /** pcap-filter(7): "and" and "or" have equal precedence and associate left to right. */
  captureExpr(): Node | undefined {
    let left = this.unary(() => this.captureExpr());
    for (let op = this.connective(); left && (op === 'and' || op === 'or'); op = this.connective()) {
      this.next();
      const right = this.unary(() => this.captureExpr());
      left = right && { op, a: left, b: right };
    }
    return left;
  }

  private unary(group: () => Node | undefined): Node | undefined {
    if (this.connective() === 'not') {
      this.next();
      const a = this.unary(group);
      return a && { op: 'not', a };
    }
    if (this.peek() === '(') {
      this.next();
      const inner = group();
      return inner && this.next() === ')' ? inner : undefined;
    }
    return this.leaf(this);
  }
}

/**
 * Translates `text` when it holds at least one token only its language has (`specific`): text both
 * languages read alike ("tcp", nested too deeply) failed for another reason than the language.
 */
function translate(
  text: string,
  specific: (token: string) => boolean,
  read: (r: Reader) => Node | undefined,
  syntax: Syntax,
  leaf: Reader['leaf'],
): string | undefined {
  const toks = tokens(text);
  if (!toks?.some(specific)) return undefined;
  const reader = new Reader(toks, leaf);
  const tree = read(reader);
  return tree && reader.atEnd() ? emit(tree, syntax) : undefined;
}

const leaf = (text: string, alternatives = false): Node => ({ op: 'leaf', text, alternatives });

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/;
const IPV6 = /^[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*(\/\d{1,3})?$/;
const PORT = /^\d{1,5}$/;
const PORT_RANGE = /^(\d{1,5})-(\d{1,5})$/;

// ---- Capture filter → display filter

/** pcap-filter protocol names and their display-filter names. */
const CAPTURE_PROTOCOLS: ReadonlyMap<string, string> = new Map([
  ['tcp', 'tcp'],
  ['udp', 'udp'],
  ['sctp', 'sctp'],
  ['icmp', 'icmp'],
  ['icmp6', 'icmpv6'],
  ['icmpv6', 'icmpv6'],
  ['ip', 'ip'],
  ['ip6', 'ipv6'],
  ['arp', 'arp'],
]);
const PORT_PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);
const CAPTURE_KEYWORDS = new Set(['src', 'dst', 'port', 'portrange', 'host', 'net']);

/** One primitive: [protocol] [src|dst] (port N | portrange A-B | host ADDR | net CIDR | ADDR), or a protocol. */
// Names are taken in lower case only, as people write them: "TCP" is a misspelt display filter.
function capturePrimitive(r: Reader): Node | undefined {
  let proto = r.peek();
  if (proto !== undefined && CAPTURE_PROTOCOLS.has(proto)) r.next();
  else proto = undefined;
  const dir = r.peek() === 'src' || r.peek() === 'dst' ? r.next()! : '';
  const kind = r.peek();
  if (kind === 'port' || kind === 'portrange') {
    r.next();
    return portLeaf(proto, dir, kind, r.next());
  }
  if (kind === 'host' || kind === 'net') {
    r.next();
    return addressLeaf(proto, dir, r.next());
  }
  if (dir !== '') return addressLeaf(proto, dir, r.next()); // "src 10.0.0.1"
  return proto === undefined ? undefined : leaf(CAPTURE_PROTOCOLS.get(proto)!);
}

function portLeaf(proto: string | undefined, dir: string, kind: string, value: string | undefined): Node | undefined {
  if (value === undefined || (proto !== undefined && !PORT_PROTOCOLS.has(proto))) return undefined;
  const range = PORT_RANGE.exec(value);
  const test =
    kind === 'port' && PORT.test(value) && Number(value) <= 65535
      ? `== ${Number(value)}`
      : kind === 'portrange' && range && Number(range[1]) <= Number(range[2]) && Number(range[2]) <= 65535
        ? `in {${Number(range[1])}..${Number(range[2])}}`
        : undefined;
  if (test === undefined) return undefined;
  const field = dir === '' ? 'port' : `${dir}port`;
  const protos = proto === undefined ? ['tcp', 'udp'] : [proto];
  return leaf(protos.map((p) => `${p}.${field} ${test}`).join(' || '), protos.length > 1);
}

function addressLeaf(proto: string | undefined, dir: string, value: string | undefined): Node | undefined {
  if (value === undefined) return undefined;
  const family = IPV4.test(value) ? 'ip' : IPV6.test(value) ? 'ipv6' : undefined;
  if (family === undefined) return undefined;
  if (proto !== undefined && CAPTURE_PROTOCOLS.get(proto) !== family) return undefined;
  return leaf(`${family}.${dir === '' ? 'addr' : dir} == ${value}`);
}

/**
 * The display filter equivalent to a capture filter ("port 80" → "tcp.port == 80 || udp.port ==
 * 80"), or undefined when `text` is not a capture filter this recognises.
 */
export function captureFilterAsDisplay(text: string): string | undefined {
  const specific = (t: string) => CAPTURE_KEYWORDS.has(t) || (CAPTURE_PROTOCOLS.get(t) ?? t) !== t;
  return translate(text, specific, (r) => r.captureExpr(), DISPLAY_SYNTAX, capturePrimitive);
}

// ---- Display filter → capture filter

const DISPLAY_PROTOCOLS: ReadonlyMap<string, string> = new Map([
  ['tcp', 'tcp'],
  ['udp', 'udp'],
  ['sctp', 'sctp'],
  ['icmp', 'icmp'],
  ['icmpv6', 'icmp6'],
  ['ip', 'ip'],
  ['ipv6', 'ip6'],
  ['arp', 'arp'],
]);
const PORT_FIELDS: ReadonlyMap<string, string> = new Map([
  ['port', ''],
  ['srcport', 'src '],
  ['dstport', 'dst '],
]);
const ADDRESS_FIELDS: ReadonlyMap<string, string> = new Map([
  ['addr', ''],
  ['src', 'src '],
  ['dst', 'dst '],
]);

/** One relation "FIELD == VALUE" on a port or address field, or a protocol name. */
function displayRelation(r: Reader): Node | undefined {
  const name = r.next()?.toLowerCase();
  if (name === undefined) return undefined;
  if (r.peek() !== '==' && r.peek()?.toLowerCase() !== 'eq') {
    const proto = DISPLAY_PROTOCOLS.get(name);
    return proto === undefined ? undefined : leaf(proto);
  }
  r.next();
  const value = r.next();
  const parts = name.split('.');
  const [proto, field] = parts.length === 2 ? parts : ['', ''];
  if (value === undefined || proto === undefined || field === undefined) return undefined;
  const portDir = PORT_FIELDS.get(field);
  if (portDir !== undefined && PORT_PROTOCOLS.has(proto) && PORT.test(value) && Number(value) <= 65535)
    return leaf(`${proto} ${portDir}port ${Number(value)}`);
  const addressDir = ADDRESS_FIELDS.get(field);
  const fits = proto === 'ip' ? IPV4.test(value) : proto === 'ipv6' ? IPV6.test(value) : false;
  if (addressDir === undefined || !fits) return undefined;
  return leaf(`${addressDir}${value.includes('/') ? 'net' : 'host'} ${value}`);
}

/**
 * The capture filter equivalent to a display filter ("tcp.port == 80" → "tcp port 80"), or
 * undefined when `text` is not a display filter this recognises.
 */
export function displayFilterAsCapture(text: string): string | undefined {
  const specific = (t: string) => t === '==' || t.toLowerCase() === 'eq' || (DISPLAY_PROTOCOLS.get(t) ?? t) !== t;
  return translate(text, specific, (r) => r.displayOr(), CAPTURE_SYNTAX, displayRelation);
}

// ---- Near names

/** Levenshtein distance, giving up (returning limit + 1) once it exceeds `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      row.push(d);
      if (d < best) best = d;
    }
    if (best > limit) return limit + 1;
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The known name closest to `word` ("rame.len" → "frame.len", "TCP" → "tcp"), or undefined when
 * none is close: one edit for short names, two from eight characters on, so a guess is rarely
 * far-fetched.
 */
export function closestName(word: string, names: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  const limit = w.length >= 8 ? 2 : 1;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const name of names) {
    const d = editDistance(w, name.toLowerCase(), Math.min(limit, bestDistance));
    if (d < bestDistance || (d === bestDistance && best !== undefined && name < best)) {
      best = name;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}
