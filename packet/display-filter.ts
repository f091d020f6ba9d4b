// Display filters in Wireshark's syntax, over decoded packets; in text-search mode (the filter
// bar's toggle) a case-insensitive text search over the Source, Destination, Protocol and Info
// columns instead. Text that does not parse is an error, never a silent search: the error says
// what the text looks like (a capture filter, "=" for "==", a misspelt field) or, for plain words,
// that text search is a toggle away.
//
//   tcp                              protocol present
//   tcp.port == 443                  any value equal (tcp.port: src or dst; ip.addr, udp.port, …)
//   ip.addr == 10.0.0.0/8            CIDR
//   tcp.flags.syn == 1 and !tcp.flags.ack
//   dns.qry.name contains "example"  case-sensitive substring
//   http.host matches "^api\."       regular expression, case-insensitive unless "(?-i)"
//   tcp.port in {80 443 8000..8080}  set membership
//   frame.len > 100, frame.number <= 10, info contains "GET" (_ws.col.info)
//   k8s.pod == "web-0", k8s.namespace == "default"   the packet's pod (its interface's name, else
//                                   its process's comment)
//   proc.pid == 1234, proc.name == "node", proc.cmdline contains "server", container.id
//                                   the packet's process (packet/process-comment.ts)
//   debug.paused                     captured while a debugged process was paused (extension/debug/)
//   frame.marked                     marked in the table (Mark Packet, Ctrl+M), as Wireshark's
//   frame.ignored                    ignored (Ignore Packet, Ctrl+D), as Wireshark's
//
// Semantics follow Wireshark 4.0: a relation is false when the field is absent; "a != b" is
// true when the field is present and no value equals b; "and" binds tighter than "or"; "not"
// tighter than both.
//
// compileDisplayFilter() parses once into closures; match() then walks the packet's fields with
// no allocation. Regular expressions run on a Pike VM (Thompson NFA simulation): time linear in
// the text for every pattern (no backtracking, no catastrophic cases), the program size and the
// text examined both bounded.
//
// Runs in Node and in the browser.

import { FIELD_KINDS, type FieldKind, PROTOCOL_NAMES } from './decode/fields.js';
import { ipv6 as formatIpv6 } from './decode/format.js';
import type { DecodedPacket, Field } from './decode/types.js';
import { captureFilterAsDisplay, closestName } from './filter-hints.js';
import { parseIpv4, parseIpv6 } from './ip-address.js';
import type { PodRef } from './k8s-pod.js';
import { PROCESS_FIELDS, type ProcessField, type ProcessInfo, processPod } from './process-comment.js';

/** Deepest nesting (parentheses, negations) a display filter may have: the parser recurses once
 *  per level, and a filter pasted or sent by anyone must be an error, not a stack overflow. */
export const MAX_FILTER_NESTING = 100;
export const NESTED_TOO_DEEPLY = `filter nested too deeply (more than ${MAX_FILTER_NESTING} levels)`;

export class DisplayFilterError extends Error {
  /** 0-based offset of the offending text in the filter. */
  readonly position: number;
  readonly length: number;
  /** What is wrong, without the column or the hint. */
  readonly reason: string;
  /** The likely fix, a sentence ("Did you mean frame.len?"), also at the end of the message. */
  readonly hint?: string;
  /** Set when the filter is well formed but names a field or protocol our decoders do not know:
   *  Wireshark may know it (the caller can ask it instead). */
  unknownName?: string;

  constructor(reason: string, position: number, length = 1, hint?: string) {
    super(`${reason} (column ${position + 1})${hint ? `. ${hint}` : ''}`);
    this.name = 'DisplayFilterError';
    this.position = position;
    this.length = length;
    this.reason = reason;
    if (hint) this.hint = hint;
  }

  withHint(hint: string | undefined): DisplayFilterError {
    if (hint === undefined) return this;
    const e = new DisplayFilterError(this.reason, this.position, this.length, hint);
    if (this.unknownName !== undefined) e.unknownName = this.unknownName;
    return e;
  }
}

export interface DisplayFilterOptions {
  /** Text-search mode: the whole text is searched for in the columns, never read as an expression. */
  textSearch?: boolean;
}

export interface FilterMeta {
  number: number;
  length: number;
  /** The pod of the packet's interface (packet/k8s-pod.ts), when it belongs to one. */
  pod?: PodRef;
  /** The packet's process, from its comments (packet/process-comment.ts); given by the caller
   *  when the filter's needsProcess says it reads one. */
  process?: ProcessInfo;
  /** Captured while the debugged process was paused (a capture tied to a debug session). */
  paused?: boolean;
  /** Marked in the table (Mark Packet). */
  marked?: boolean;
  /** Ignored (Ignore Packet): decoded as a frame alone. */
  ignored?: boolean;
}

export interface CompiledDisplayFilter {
  /** expression: a display filter; text: a column search; none: empty (everything matches). */
  mode: 'expression' | 'text' | 'none';
  /**
   * False when match() reads only the summary and the meta (text searches, columns, frame.len,
   * frame.number, k8s.pod): a caller may then pass `{ summary: summarizePacket(…), layers: [],
   * problems: [] }` instead of a full decodePacket(), several times cheaper.
   */
  needsTree: boolean;
  /**
   * When the tree is needed: the layers whose fields match() reads. A caller may then pass
   * decodePacket(…, fieldLayers), a tree with every layer but only those layers' fields, several
   * times cheaper than the whole tree. Undefined: match() needs the whole tree.
   */
  fieldLayers?: ReadonlySet<string>;
  /** True when match() reads the summary's text (Source, Destination, Protocol, Info): only then
   *  need a selective tree's decoders build it. */
  readsColumns: boolean;
  /** True when match() reads the packet's process (proc.*, container.*, k8s.*): only then need a
   *  caller parse the packet's comments into `meta.process`. */
  needsProcess: boolean;
  match(p: DecodedPacket, meta: FilterMeta): boolean;
}

type Pred = (p: DecodedPacket, meta: FilterMeta) => boolean;
type ValueTest = (v: string | number | boolean) => boolean;

// ---------------------------------------------------------------------------------------------
// Fields the filter knows beyond the decoded ones

/** Names that stand for several fields ("either end"). */
const ALIASES: ReadonlyMap<string, readonly string[]> = new Map([
  ['ip.addr', ['ip.src', 'ip.dst']],
  ['ipv6.addr', ['ipv6.src', 'ipv6.dst']],
  ['eth.addr', ['eth.src', 'eth.dst']],
  ['tcp.port', ['tcp.srcport', 'tcp.dstport']],
  ['udp.port', ['udp.srcport', 'udp.dstport']],
  ['sctp.port', ['sctp.srcport', 'sctp.dstport']],
  ['arp.src.proto', ['arp.src.proto_ipv4', 'arp.src.proto']],
  ['arp.dst.proto', ['arp.dst.proto_ipv4', 'arp.dst.proto']],
]);

/** Values that come from the table row rather than the tree. */
type Column = 'info' | 'protocol' | 'source' | 'destination' | 'number' | 'length';
const COLUMNS: ReadonlyMap<string, Column> = new Map([
  ['_ws.col.info', 'info'],
  ['info', 'info'],
  ['_ws.col.protocol', 'protocol'],
  ['_ws.col.source', 'source'],
  ['_ws.col.def_src', 'source'],
  ['_ws.col.destination', 'destination'],
  ['_ws.col.def_dst', 'destination'],
  ['frame.number', 'number'],
  ['frame.len', 'length'],
]);

/** Values that come from the packet's interface, its pod, rather than its bytes: our own fields
 *  (Wireshark has none for pods). Absent for packets of an interface that is not a pod's. */
const POD_FIELDS: ReadonlyMap<string, (pod: PodRef) => string> = new Map([
  ['k8s.pod', (p: PodRef) => p.pod],
  ['k8s.namespace', (p: PodRef) => p.namespace],
]);

/** Values of the packet's process (packet/process-comment.ts), absent for a packet without one. */
const PROCESS_FIELD_NAMES: ReadonlyMap<string, ProcessField> = new Map(PROCESS_FIELDS.map((f) => [f.name, f]));
/** Our own field of a capture tied to a debug session: present (true) only on packets captured while
 *  the debuggee was paused, so `debug.paused` alone selects them and `!debug.paused` the others. */
const PAUSED_FIELD = 'debug.paused';
/** Wireshark's: present (true) only on the packets marked, as in Wireshark's tree. */
const MARKED_FIELD = 'frame.marked';
/** Wireshark's: present (true) only on the packets ignored. */
const IGNORED_FIELD = 'frame.ignored';
/** The fields read from the meta's flags, each present only when its flag is set. */
const FLAG_FIELDS: ReadonlyMap<string, (meta: FilterMeta) => boolean | undefined> = new Map([
  [PAUSED_FIELD, (meta: FilterMeta) => meta.paused],
  [MARKED_FIELD, (meta: FilterMeta) => meta.marked],
  [IGNORED_FIELD, (meta: FilterMeta) => meta.ignored],
]);

const PROTOCOL_ALIASES: ReadonlyMap<string, string> = new Map([
  ['ssl', 'tls'],
  ['ipv4', 'ip'],
  ['ethernet', 'eth'],
  ['dot1q', 'vlan'],
]);

/** Layers that hold fields named after another protocol: mDNS's are DNS fields (dns.*). */
const LAYERS_WITH_FIELDS_OF: ReadonlyMap<string, readonly string[]> = new Map([['dns', ['dns', 'mdns']]]);
/** ICMP and ICMPv6 errors quote the datagram they are about, so their layers hold any protocol's
 *  fields (and its name, for `tcp` on a quoted TCP header): a selective tree always has theirs. */
const QUOTING_LAYERS = ['icmp', 'icmpv6'];
/** What only the whole tree holds: the Data layers and the expert marks (_ws.*). */
const WHOLE_TREE_ONLY: ReadonlySet<string> = new Set(['data', '_ws']);

let names: string[] | undefined;

/** Every name a filter may use, for "did you mean". */
function knownNames(): string[] {
  names ??= [
    ...FIELD_KINDS.keys(),
    ...ALIASES.keys(),
    ...COLUMNS.keys(),
    ...POD_FIELDS.keys(),
    ...PROCESS_FIELD_NAMES.keys(),
    ...FLAG_FIELDS.keys(),
    ...PROTOCOL_NAMES,
    ...PROTOCOL_ALIASES.keys(),
  ];
  return names;
}

/** Every name a filter may use with what it holds (a field's kind, or `protocol`), sorted: what
 *  the filter bar completes when Wireshark is not there to add its own. */
export function filterNames(): { name: string; type: FieldKind | 'protocol' }[] {
  return [...new Set(knownNames())]
    .map((name) => ({ name, type: kindOf(name) ?? ('protocol' as const) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function kindOf(name: string): FieldKind | undefined {
  const k = FIELD_KINDS.get(name);
  if (k) return k;
  const alias = ALIASES.get(name);
  if (alias) return FIELD_KINDS.get(alias[0]!);
  const col = COLUMNS.get(name);
  if (col) return col === 'number' || col === 'length' ? 'number' : 'string';
  if (POD_FIELDS.has(name)) return 'string';
  const processField = PROCESS_FIELD_NAMES.get(name);
  if (processField) return processField.kind;
  if (FLAG_FIELDS.has(name)) return 'boolean';
  return undefined;
}

/** What a filter can say of `name`: the kind of its values, 'protocol' for a protocol, or
 *  undefined for a name our engine does not know (Wireshark may). */
export function filterNameKind(name: string): FieldKind | 'protocol' | undefined {
  const kind = kindOf(name);
  if (kind !== undefined) return kind;
  return PROTOCOL_NAMES.has(PROTOCOL_ALIASES.get(name) ?? name) ? 'protocol' : undefined;
}

// ---------------------------------------------------------------------------------------------
// Tokens

type TokKind = 'word' | 'string' | 'op' | 'end';
interface Token {
  kind: TokKind;
  text: string;
  pos: number;
  len: number;
}

const OPS = ['===', '!==', '==', '!=', '<=', '>=', '&&', '||', '~=', '..', '<', '>', '!', '(', ')', '{', '}', ',', '~'];
const WORD_OPS: ReadonlyMap<string, string> = new Map([
  ['and', '&&'],
  ['or', '||'],
  ['not', '!'],
  ['eq', '=='],
  ['ne', '!='],
  ['lt', '<'],
  ['gt', '>'],
  ['le', '<='],
  ['ge', '>='],
  ['contains', 'contains'],
  ['matches', 'matches'],
  ['in', 'in'],
  ['any_eq', '=='],
  ['all_ne', '!='],
]);

function isWordChar(c: string): boolean {
  return /[A-Za-z0-9_.:/-]/.test(c);
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '"' || ((c === 'r' || c === 'R') && text[i + 1] === '"')) {
      const raw = c !== '"';
      const start = i;
      i += raw ? 2 : 1;
      let s = '';
      for (;;) {
        if (i >= text.length) throw new DisplayFilterError('unterminated string', start, text.length - start);
        const ch = text[i]!;
        if (ch === '"') {
          i++;
          break;
        }
        if (ch === '\\' && !raw) {
          const [value, n] = unescapeAt(text, i);
          s += value;
          i += n;
          continue;
        }
        if (ch === '\\' && raw && text[i + 1] === '"') {
          s += '\\"';
          i += 2;
          continue;
        }
        s += ch;
        i++;
      }
      out.push({ kind: 'string', text: s, pos: start, len: i - start });
      continue;
    }
    // Words stop before "..", so ".." here is a range in a set ("80..90").
    const op = OPS.find((o) => text.startsWith(o, i));
    if (op) {
      out.push({ kind: 'op', text: op, pos: i, len: op.length });
      i += op.length;
      continue;
    }
    if (isWordChar(c)) {
      const start = i;
      while (i < text.length && isWordChar(text[i]!)) {
        if (text[i] === '.' && text[i + 1] === '.') break; // "80..90"
        i++;
      }
      const w = text.slice(start, i);
      const mapped = WORD_OPS.get(w.toLowerCase());
      out.push(
        mapped
          ? { kind: 'op', text: mapped, pos: start, len: i - start }
          : { kind: 'word', text: w, pos: start, len: i - start },
      );
      continue;
    }
    throw new DisplayFilterError(`unexpected character "${c}"`, i);
  }
  out.push({ kind: 'end', text: '', pos: text.length, len: 0 });
  return out;
}

/** A backslash escape in a string literal at text[i]; returns [value, characters consumed]. */
function unescapeAt(text: string, i: number): [string, number] {
  const n = text[i + 1];
  switch (n) {
    case undefined:
      throw new DisplayFilterError('unterminated string', i);
    case 'n':
      return ['\n', 2];
    case 'r':
      return ['\r', 2];
    case 't':
      return ['\t', 2];
    case 'a':
      return ['\x07', 2];
    case 'b':
      return ['\b', 2];
    case 'f':
      return ['\f', 2];
    case 'v':
      return ['\v', 2];
    case 'x': {
      const h = /^[0-9a-fA-F]{1,2}/.exec(text.slice(i + 2, i + 4));
      if (!h) throw new DisplayFilterError('bad \\x escape', i, 2);
      return [String.fromCharCode(parseInt(h[0], 16)), 2 + h[0].length];
    }
    default:
      if (n >= '0' && n <= '7') {
        const o = /^[0-7]{1,3}/.exec(text.slice(i + 1, i + 4))![0];
        return [String.fromCharCode(parseInt(o, 8) & 0xff), 1 + o.length];
      }
      if (n === '\\' || n === '"' || n === "'") return [n, 2];
      // As Wireshark: any other escape is an error, never the character itself, so "\." cannot
      // silently become a regular expression's "any character".
      throw new DisplayFilterError(
        `\\${n} is not a valid character escape sequence`,
        i,
        2,
        `In a regular expression, write "\\\\${n}" or r"\\${n}" (a raw string).`,
      );
  }
}

// ---------------------------------------------------------------------------------------------
// Field values

/** Calls `test` on every value of the named fields (depth first); true as soon as one passes. */
function anyField(fields: readonly Field[], names: readonly string[], test: ValueTest): boolean {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (f.value !== undefined && names.includes(f.name) && test(f.value)) return true;
    if (f.children !== undefined && anyField(f.children, names, test)) return true;
  }
  return false;
}

function hasField(fields: readonly Field[], names: readonly string[]): boolean {
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (names.includes(f.name)) return true;
    if (f.children !== undefined && hasField(f.children, names)) return true;
  }
  return false;
}

function columnValue(p: DecodedPacket, meta: FilterMeta, c: Column): string | number {
  switch (c) {
    case 'info':
      return p.summary.info;
    case 'protocol':
      return p.summary.protocol;
    case 'source':
      return p.summary.source;
    case 'destination':
      return p.summary.destination;
    case 'number':
      return meta.number;
    case 'length':
      return meta.length;
  }
}

/** A compiled field reference: presence, and "does any value pass". */
interface Ref {
  name: string;
  kind: FieldKind;
  protocol: boolean;
  /** Read from the summary or the meta, not the tree. */
  column: boolean;
  /** Read from the summary's text (Source, Destination, Protocol, Info). */
  summaryText?: boolean;
  /** Reads the packet's process (meta.process). */
  process?: boolean;
  present: Pred;
  any(test: ValueTest): Pred;
  /** True when every value fails (and there is at least one). */
  none(test: ValueTest): Pred;
}

function makeRef(text: string, tok: Token): Ref {
  // Column fields are case-insensitive ("_ws.col.Info" in Wireshark 4.0, "_ws.col.info" later).
  const name = text.toLowerCase().startsWith('_ws.col.') ? text.toLowerCase() : text;
  const col = COLUMNS.get(name);
  const kind = kindOf(name);
  if (col) {
    return {
      name,
      kind: kind!,
      protocol: false,
      column: true,
      summaryText: col !== 'number' && col !== 'length',
      present: () => true,
      any: (test) => (p, meta) => test(columnValue(p, meta, col)),
      none: (test) => (p, meta) => !test(columnValue(p, meta, col)),
    };
  }
  const podValue = POD_FIELDS.get(name);
  if (podValue) return podRef(name, podValue);
  const processField = PROCESS_FIELD_NAMES.get(name);
  if (processField) return processRef(processField);
  const flag = FLAG_FIELDS.get(name);
  if (flag) return flagRef(name, flag);
  const protocol = PROTOCOL_ALIASES.get(name) ?? name;
  if (kind === undefined) {
    if (!PROTOCOL_NAMES.has(protocol)) {
      const near = closestName(name, knownNames());
      const unknown = new DisplayFilterError(
        `"${name}" is neither a field nor a protocol name`,
        tok.pos,
        tok.len,
        near && `Did you mean ${near}?`,
      );
      unknown.unknownName = name;
      throw unknown;
    }
    return {
      name,
      kind: 'none',
      protocol: true,
      column: false,
      present: (p) => {
        const layers = p.layers;
        for (let i = 0; i < layers.length; i++) {
          const l = layers[i]!;
          if (l.protocol === protocol) return true;
          // The datagram an ICMP error quotes is decoded inside the ICMP layer.
          if ((l.protocol === 'icmp' || l.protocol === 'icmpv6') && hasField(l.fields, [protocol])) return true;
        }
        return false;
      },
      any: () => {
        throw new DisplayFilterError(`"${name}" is a protocol and cannot be compared`, tok.pos, tok.len);
      },
      none: () => {
        throw new DisplayFilterError(`"${name}" is a protocol and cannot be compared`, tok.pos, tok.len);
      },
    };
  }
  const names = ALIASES.get(name) ?? [name];
  const any =
    (test: ValueTest): Pred =>
    (p) => {
      const layers = p.layers;
      for (let i = 0; i < layers.length; i++) if (anyField(layers[i]!.fields, names, test)) return true;
      return false;
    };
  const present: Pred = (p) => {
    const layers = p.layers;
    for (let i = 0; i < layers.length; i++) if (hasField(layers[i]!.fields, names)) return true;
    return false;
  };
  return {
    name,
    kind,
    protocol: false,
    column: false,
    present,
    any,
    none: (test) => {
      const hit = any(test);
      return (p, meta) => present(p, meta) && !hit(p, meta);
    },
  };
}

/** The packet's pod: its interface's, else the one its process's comment names (the interface
 *  wins: it is where the packet was seen). */
function podOf(meta: FilterMeta): PodRef | undefined {
  return meta.pod ?? (meta.process && processPod(meta.process));
}

/** A pod field: read from the meta (no tree needed), present only for packets of a pod. */
function podRef(name: string, value: (pod: PodRef) => string): Ref {
  return metaRef(name, 'string', (meta) => {
    const pod = podOf(meta);
    return pod && value(pod);
  });
}

/** A process field: read from the meta, present only when the packet's process says it. */
function processRef(field: ProcessField): Ref {
  return metaRef(field.name, field.kind, (meta) => meta.process && field.value(meta.process));
}

/** A field whose one value comes from the meta (undefined: absent); no tree needed. */
function metaRef(name: string, kind: FieldKind, value: (meta: FilterMeta) => string | number | undefined): Ref {
  return {
    name,
    kind,
    protocol: false,
    column: true,
    process: true,
    present: (_p, meta) => value(meta) !== undefined,
    any: (test) => (_p, meta) => {
      const v = value(meta);
      return v !== undefined && test(v);
    },
    none: (test) => (_p, meta) => {
      const v = value(meta);
      return v !== undefined && !test(v);
    },
  };
}

/** debug.paused, frame.marked, frame.ignored: read from the meta, present only when the flag is set. */
function flagRef(name: string, flag: (meta: FilterMeta) => boolean | undefined): Ref {
  return {
    name,
    kind: 'boolean',
    protocol: false,
    column: true,
    present: (_p, meta) => flag(meta) === true,
    any: (test) => (_p, meta) => flag(meta) === true && test(true),
    none: (test) => (_p, meta) => flag(meta) === true && !test(true),
  };
}

// ---------------------------------------------------------------------------------------------
// Literals

function parseMac(s: string): string | undefined {
  const parts = s.split(/[:\-.]/);
  let hex: string;
  if (parts.length === 6 && parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p)))
    hex = parts.map((p) => p.padStart(2, '0')).join('');
  else if (parts.length === 3 && parts.every((p) => /^[0-9a-fA-F]{4}$/.test(p))) hex = parts.join('');
  else return undefined;
  return hex.toLowerCase().replace(/(..)(?!$)/g, '$1:');
}

function parseNumber(s: string): number | undefined {
  if (/^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(s))
    return s.length > 1 && s[0] === '0' && /^0[0-7]+$/.test(s) ? parseInt(s, 8) : Number(s);
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) return parseInt(s.slice(2), 16);
  if (/^0[bB][01]+$/.test(s)) return parseInt(s.slice(2), 2);
  return undefined;
}

function parseBoolean(s: string): boolean | undefined {
  const l = s.toLowerCase();
  if (l === '1' || l === 'true') return true;
  if (l === '0' || l === 'false') return false;
  return undefined;
}

type Rel = '==' | '!=' | '<' | '>' | '<=' | '>=';

function order(rel: Rel, c: number): boolean {
  switch (rel) {
    case '==':
    case '!=':
      return c === 0;
    case '<':
      return c < 0;
    case '>':
      return c > 0;
    case '<=':
      return c <= 0;
    case '>=':
      return c >= 0;
  }
}

/** Compiles "value REL literal" for a field kind into a test on one value (for != : equality). */
function valueTest(kind: FieldKind, rel: Rel, lit: Token): ValueTest {
  const s = lit.text;
  const bad = (what: string): never => {
    throw new DisplayFilterError(`"${s}" is not ${what}`, lit.pos, lit.len);
  };
  switch (kind) {
    case 'ipv4': {
      const slash = s.indexOf('/');
      const base = parseIpv4(slash < 0 ? s : s.slice(0, slash)) ?? bad('a valid IPv4 address or network');
      const bitsN = slash < 0 ? 32 : Number(s.slice(slash + 1));
      if (!Number.isInteger(bitsN) || bitsN < 0 || bitsN > 32) bad('a valid IPv4 network');
      const size = 2 ** (32 - bitsN);
      const lo = Math.floor(base / size) * size;
      const hi = lo + size - 1;
      return (v) => {
        const n = typeof v === 'string' ? parseIpv4(v) : undefined;
        if (n === undefined) return false;
        if (rel === '==' || rel === '!=') return n >= lo && n <= hi;
        return order(rel, n < lo ? -1 : n > hi ? 1 : 0);
      };
    }
    case 'ipv6': {
      const slash = s.indexOf('/');
      const base = parseIpv6(slash < 0 ? s : s.slice(0, slash)) ?? bad('a valid IPv6 address or network');
      const bitsN = slash < 0 ? 128 : Number(s.slice(slash + 1));
      if (!Number.isInteger(bitsN) || bitsN < 0 || bitsN > 128) bad('a valid IPv6 network');
      if (bitsN === 128 && (rel === '==' || rel === '!=')) {
        const canonical = formatIpv6(base, 0);
        return (v) => v === canonical;
      }
      return (v) => {
        const a = typeof v === 'string' ? parseIpv6(v) : undefined;
        if (!a) return false;
        let c = 0;
        for (let i = 0; i < 16 && c === 0; i++) {
          const keep = Math.max(0, Math.min(8, bitsN - i * 8));
          const mask = keep === 8 ? 0xff : (0xff << (8 - keep)) & 0xff;
          c = (a[i]! & mask) - (base[i]! & mask);
        }
        return order(rel, c);
      };
    }
    case 'mac': {
      const m = parseMac(s) ?? bad('a valid Ethernet address');
      return (v) => typeof v === 'string' && order(rel, v < m ? -1 : v > m ? 1 : 0);
    }
    case 'boolean': {
      const want = parseBoolean(s) ?? bad('a boolean (1, 0, true or false)');
      if (rel !== '==' && rel !== '!=') {
        const n = want ? 1 : 0;
        return (v) => order(rel, (v === true || v === 1 ? 1 : 0) - n);
      }
      return (v) => (v === true || v === 1) === want;
    }
    case 'number': {
      if (lit.kind === 'string') bad('a number');
      const n = parseNumber(s) ?? bad('a number');
      return (v) => typeof v === 'number' && order(rel, v - n);
    }
    case 'string':
      return (v) => {
        const t = String(v);
        return order(rel, t < s ? -1 : t > s ? 1 : 0);
      };
    case 'none':
      throw new DisplayFilterError(`this field has no value to compare with "${s}"`, lit.pos, lit.len);
  }
}

// ---------------------------------------------------------------------------------------------
// Regular expressions: a Pike VM (linear time, no backtracking)

/** Longest pattern, program and text examined by "matches". */
const MAX_PATTERN = 1024;
const MAX_PROGRAM = 4096;
const MAX_TEXT = 65536;
const MAX_REPEAT = 100;

type CharTest = (c: number) => boolean;
type Inst =
  | { op: 'char'; test: CharTest }
  | { op: 'split'; x: number; y: number }
  | { op: 'jmp'; x: number }
  | { op: 'bol' }
  | { op: 'eol' }
  | { op: 'wordb'; not: boolean }
  | { op: 'match' };

type Node =
  | { t: 'char'; test: CharTest }
  | { t: 'seq'; items: Node[] }
  | { t: 'alt'; items: Node[] }
  | { t: 'rep'; node: Node; min: number; max: number }
  | { t: 'bol' }
  | { t: 'eol' }
  | { t: 'wordb'; not: boolean };

const isDigit = (c: number) => c >= 48 && c <= 57;
const isWord = (c: number) => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13);

function fold(c: number): number {
  if (c >= 65 && c <= 90) return c + 32;
  if (c < 128) return c;
  return String.fromCharCode(c).toLowerCase().charCodeAt(0);
}

class RegexParser {
  private i = 0;
  constructor(
    private readonly src: string,
    private readonly icase: boolean,
    private readonly at: Token,
  ) {}

  fail(msg: string): never {
    throw new DisplayFilterError(
      `bad regular expression: ${msg} at offset ${this.i} of the pattern`,
      this.at.pos,
      this.at.len,
    );
  }

  parse(): Node {
    const n = this.alt();
    if (this.i < this.src.length) this.fail(`unmatched ")"`);
    return n;
  }

  private alt(): Node {
    const items = [this.seq()];
    while (this.src[this.i] === '|') {
      this.i++;
      items.push(this.seq());
    }
    return items.length === 1 ? items[0]! : { t: 'alt', items };
  }

  private seq(): Node {
    const items: Node[] = [];
    while (this.i < this.src.length && this.src[this.i] !== '|' && this.src[this.i] !== ')')
      items.push(this.quantified());
    return { t: 'seq', items };
  }

  private quantified(): Node {
    let node = this.atom();
    for (;;) {
      const c = this.src[this.i];
      let min: number;
      let max: number;
      if (c === '*') {
        min = 0;
        max = Infinity;
        this.i++;
      } else if (c === '+') {
        min = 1;
        max = Infinity;
        this.i++;
      } else if (c === '?') {
        min = 0;
        max = 1;
        this.i++;
      } else if (c === '{' && /^\{\d+(,\d*)?\}/.test(this.src.slice(this.i))) {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i))!;
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
        if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT) || max < min)
          this.fail(`repetition {${m[1]}${m[2] ?? ''}} out of range (at most ${MAX_REPEAT})`);
        this.i += m[0].length;
      } else return node;
      if (node.t === 'bol' || node.t === 'eol' || node.t === 'wordb') this.fail('nothing to repeat');
      if (this.src[this.i] === '?' || this.src[this.i] === '+') this.i++; // lazy/possessive: same set of matches
      node = { t: 'rep', node, min, max };
    }
  }

  private atom(): Node {
    const c = this.src[this.i++];
    switch (c) {
      case '(': {
        if (this.src.startsWith('?:', this.i)) this.i += 2;
        else if (this.src[this.i] === '?') this.fail('unsupported group syntax');
        const n = this.alt();
        if (this.src[this.i] !== ')') this.fail('missing ")"');
        this.i++;
        return n;
      }
      case '.':
        return { t: 'char', test: (x) => x !== 10 };
      case '^':
        return { t: 'bol' };
      case '$':
        return { t: 'eol' };
      case '[':
        return { t: 'char', test: this.cls() };
      case '\\':
        return this.escape(false) as Node;
      case '*':
      case '+':
      case '?':
        return this.fail('nothing to repeat');
      case undefined:
        return this.fail('unexpected end');
      default:
        return { t: 'char', test: this.lit(c.charCodeAt(0)) };
    }
  }

  private lit(code: number): CharTest {
    if (!this.icase) return (x) => x === code;
    const f = fold(code);
    return (x) => fold(x) === f;
  }

  /** After a backslash: a class escape, an assertion, or a literal. */
  private escape(inClass: boolean): Node | CharTest {
    const c = this.src[this.i++];
    const wrap = (test: CharTest): Node | CharTest => (inClass ? test : { t: 'char', test });
    switch (c) {
      case undefined:
        return this.fail('trailing backslash');
      case 'd':
        return wrap(isDigit);
      case 'D':
        return wrap((x) => !isDigit(x));
      case 'w':
        return wrap(isWord);
      case 'W':
        return wrap((x) => !isWord(x));
      case 's':
        return wrap(isSpace);
      case 'S':
        return wrap((x) => !isSpace(x));
      case 'n':
        return wrap(this.lit(10));
      case 'r':
        return wrap(this.lit(13));
      case 't':
        return wrap(this.lit(9));
      case 'x': {
        const h = /^[0-9a-fA-F]{2}/.exec(this.src.slice(this.i));
        if (!h) return this.fail('bad \\x escape');
        this.i += 2;
        return wrap(this.lit(parseInt(h[0], 16)));
      }
      case 'b':
      case 'B':
        if (inClass) return this.lit(8);
        return { t: 'wordb', not: c === 'B' };
      default:
        if (/[A-Za-z0-9]/.test(c)) return this.fail(`unsupported escape \\${c}`);
        return wrap(this.lit(c.charCodeAt(0)));
    }
  }

  private cls(): CharTest {
    let negate = false;
    if (this.src[this.i] === '^') {
      negate = true;
      this.i++;
    }
    const tests: CharTest[] = [];
    const ranges: [number, number][] = [];
    let first = true;
    for (;;) {
      if (this.i >= this.src.length) this.fail('missing "]"');
      let c = this.src[this.i]!;
      if (c === ']' && !first) {
        this.i++;
        break;
      }
      first = false;
      this.i++;
      let lo: number;
      if (c === '\\') {
        const e = this.escape(true) as CharTest;
        const probe = this.src[this.i - 1]!;
        if (/[dDwWsS]/.test(probe)) {
          tests.push(e);
          continue;
        }
        lo = this.src.charCodeAt(this.i - 1);
        if (probe === 'n') lo = 10;
        else if (probe === 'r') lo = 13;
        else if (probe === 't') lo = 9;
        else if (/^[0-9a-fA-F]{2}$/.test(this.src.slice(this.i - 2, this.i)) && this.src[this.i - 3] === 'x')
          lo = parseInt(this.src.slice(this.i - 2, this.i), 16);
      } else lo = c.charCodeAt(0);
      if (this.src[this.i] === '-' && this.src[this.i + 1] !== ']' && this.i + 1 < this.src.length) {
        this.i++;
        c = this.src[this.i++]!;
        let hi = c.charCodeAt(0);
        if (c === '\\') {
          const e = this.src[this.i++];
          if (e === undefined) this.fail('trailing backslash');
          hi = e.charCodeAt(0);
        }
        if (hi < lo) this.fail('range out of order');
        ranges.push([lo, hi]);
      } else ranges.push([lo, lo]);
    }
    const icase = this.icase;
    const inRanges = (x: number) => {
      for (const [a, b] of ranges) if (x >= a && x <= b) return true;
      for (const t of tests) if (t(x)) return true;
      return false;
    };
    const test: CharTest = icase
      ? (x) => inRanges(x) || inRanges(fold(x)) || inRanges(String.fromCharCode(x).toUpperCase().charCodeAt(0))
      : inRanges;
    return negate ? (x) => !test(x) : test;
  }
}

function compileRegex(pattern: string, at: Token): Inst[] {
  if (pattern.length > MAX_PATTERN)
    throw new DisplayFilterError(`regular expression longer than ${MAX_PATTERN} characters`, at.pos, at.len);
  let icase = true; // Wireshark's "matches" is case-insensitive by default
  let src = pattern;
  const flags = /^\(\?(-?)i\)/.exec(src);
  if (flags) {
    icase = flags[1] !== '-';
    src = src.slice(flags[0].length);
  }
  const ast = new RegexParser(src, icase, at).parse();
  const prog: Inst[] = [];
  const emit = (n: Node): void => {
    if (prog.length > MAX_PROGRAM)
      throw new DisplayFilterError(`regular expression too large (more than ${MAX_PROGRAM} steps)`, at.pos, at.len);
    switch (n.t) {
      case 'char':
        prog.push({ op: 'char', test: n.test });
        break;
      case 'bol':
        prog.push({ op: 'bol' });
        break;
      case 'eol':
        prog.push({ op: 'eol' });
        break;
      case 'wordb':
        prog.push({ op: 'wordb', not: n.not });
        break;
      case 'seq':
        for (const x of n.items) emit(x);
        break;
      case 'alt': {
        const jumps: Inst[] = [];
        for (let k = 0; k < n.items.length - 1; k++) {
          const split: Inst = { op: 'split', x: prog.length + 1, y: 0 };
          prog.push(split);
          emit(n.items[k]!);
          const j: Inst = { op: 'jmp', x: 0 };
          prog.push(j);
          jumps.push(j);
          (split as { y: number }).y = prog.length;
        }
        emit(n.items[n.items.length - 1]!);
        for (const j of jumps) (j as { x: number }).x = prog.length;
        break;
      }
      case 'rep': {
        for (let k = 0; k < n.min; k++) emit(n.node);
        if (n.max === Infinity) {
          const split: Inst = { op: 'split', x: prog.length + 1, y: 0 };
          const at0 = prog.length;
          prog.push(split);
          emit(n.node);
          prog.push({ op: 'jmp', x: at0 });
          (split as { y: number }).y = prog.length;
        } else {
          const splits: Inst[] = [];
          for (let k = n.min; k < n.max; k++) {
            const split: Inst = { op: 'split', x: prog.length + 1, y: 0 };
            prog.push(split);
            splits.push(split);
            emit(n.node);
          }
          for (const s of splits) (s as { y: number }).y = prog.length;
        }
        break;
      }
    }
  };
  emit(ast);
  prog.push({ op: 'match' });
  return prog;
}

/** Unanchored search: true when the pattern matches somewhere in `s`. O(|s| · |prog|). */
function pikeSearch(prog: readonly Inst[], s: string): boolean {
  const n = Math.min(s.length, MAX_TEXT);
  const size = prog.length;
  let clist = new Int32Array(size);
  let nlist = new Int32Array(size);
  let ccount = 0;
  let ncount = 0;
  const mark = new Int32Array(size).fill(-1);
  const stack = new Int32Array(size * 2 + 2);
  let gen = 0;
  const add = (list: Int32Array, count: number, pc0: number, pos: number): number => {
    let sp = 0;
    stack[sp++] = pc0;
    while (sp > 0) {
      const pc = stack[--sp]!;
      if (mark[pc] === gen) continue;
      mark[pc] = gen;
      const inst = prog[pc]!;
      switch (inst.op) {
        case 'jmp':
          stack[sp++] = inst.x;
          break;
        case 'split':
          stack[sp++] = inst.y;
          stack[sp++] = inst.x;
          break;
        case 'bol':
          if (pos === 0) stack[sp++] = pc + 1;
          break;
        case 'eol':
          if (pos === n) stack[sp++] = pc + 1;
          break;
        case 'wordb': {
          const before = pos > 0 && isWord(s.charCodeAt(pos - 1));
          const after = pos < n && isWord(s.charCodeAt(pos));
          if ((before !== after) !== inst.not) stack[sp++] = pc + 1;
          break;
        }
        default:
          list[count++] = pc;
      }
    }
    return count;
  };
  // Each list holds the threads for one position, deduplicated by that position's generation.
  gen = 1;
  ccount = add(clist, 0, 0, 0);
  for (let pos = 0; pos <= n; pos++) {
    gen++;
    ncount = 0;
    const c = pos < n ? s.charCodeAt(pos) : -1;
    for (let k = 0; k < ccount; k++) {
      const pc = clist[k]!;
      const inst = prog[pc]!;
      if (inst.op === 'match') return true;
      if (c >= 0 && inst.op === 'char' && inst.test(c)) ncount = add(nlist, ncount, pc + 1, pos + 1);
    }
    // Unanchored: a new attempt starts at every position.
    if (pos < n) ncount = add(nlist, ncount, 0, pos + 1);
    const t = clist;
    clist = nlist;
    nlist = t;
    ccount = ncount;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Parser

class Parser {
  private k = 0;
  /** Set when a reference needs the detail tree (anything but the columns and frame meta). */
  needsTree = false;
  /** Set when a reference reads the packet's process. */
  needsProcess = false;
  /** Set when a reference reads the summary's text. */
  readsColumns = false;
  /** The layers whose fields the references read; undefined once one needs the whole tree. */
  fieldLayers: Set<string> | undefined = new Set(QUOTING_LAYERS);
  /** Negations and parentheses open at the current token. */
  private depth = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(): Token {
    return this.toks[this.k]!;
  }

  /** Parses one nesting level deeper ("!" or "("), refusing past MAX_FILTER_NESTING. */
  private nested<T>(at: Token, parse: () => T): T {
    if (this.depth === MAX_FILTER_NESTING) throw new DisplayFilterError(NESTED_TOO_DEEPLY, at.pos, at.len);
    this.depth++;
    const result = parse();
    this.depth--;
    return result;
  }

  /** Notes the layers a tree reference reads: a protocol only needs its layer to be there, a
   *  field its protocol's layer's fields (a field's protocol is its name's first part). */
  private readsTree(ref: Ref): void {
    this.needsTree = true;
    if (this.fieldLayers === undefined) return;
    const protocol = ref.name.split('.', 1)[0]!;
    if (WHOLE_TREE_ONLY.has(protocol)) this.fieldLayers = undefined;
    else if (!ref.protocol) for (const l of LAYERS_WITH_FIELDS_OF.get(protocol) ?? [protocol]) this.fieldLayers.add(l);
  }

  private next(): Token {
    return this.toks[this.k++]!;
  }

  private isOp(text: string): boolean {
    const t = this.peek();
    return t.kind === 'op' && t.text === text;
  }

  private unexpected(t: Token, expected: string): never {
    if (t.kind === 'end') throw new DisplayFilterError(`unexpected end of filter, expected ${expected}`, t.pos, 0);
    throw new DisplayFilterError(
      `unexpected "${t.kind === 'string' ? `"${t.text}"` : t.text}", expected ${expected}`,
      t.pos,
      t.len,
    );
  }

  parse(): Pred {
    const p = this.or();
    const t = this.peek();
    if (t.kind !== 'end') this.unexpected(t, '"and", "or" or the end');
    return p;
  }

  // A chain "a or b or c …" is one flat list, not a nest of closures as deep as the chain: matching
  // recurses only as deep as the nesting, which the parser bounds.
  private or(): Pred {
    const terms = [this.and()];
    while (this.isOp('||')) {
      this.next();
      terms.push(this.and());
    }
    return terms.length === 1 ? terms[0]! : (p, m) => terms.some((t) => t(p, m));
  }

  private and(): Pred {
    const terms = [this.not()];
    while (this.isOp('&&')) {
      this.next();
      terms.push(this.not());
    }
    return terms.length === 1 ? terms[0]! : (p, m) => terms.every((t) => t(p, m));
  }

  private not(): Pred {
    if (this.isOp('!')) {
      const a = this.nested(this.next(), () => this.not());
      return (p, m) => !a(p, m);
    }
    return this.primary();
  }

  private primary(): Pred {
    const t = this.next();
    if (t.kind === 'op' && t.text === '(') {
      const inner = this.nested(t, () => this.or());
      const close = this.next();
      if (close.kind !== 'op' || close.text !== ')') this.unexpected(close, '")"');
      return inner;
    }
    if (t.kind !== 'word') this.unexpected(t, 'a field, a protocol or "("');
    const ref = makeRef(t.text, t);
    if (!ref.column) this.readsTree(ref);
    if (ref.summaryText) this.readsColumns = true;
    if (ref.process) this.needsProcess = true;
    const op = this.peek();
    if (op.kind !== 'op') return ref.present;
    switch (op.text) {
      case '==':
      case '!=':
      case '<':
      case '>':
      case '<=':
      case '>=':
      case '===':
      case '!==': {
        this.next();
        const rel = (op.text === '===' ? '==' : op.text === '!==' ? '!=' : op.text) as Rel;
        if (ref.protocol)
          throw new DisplayFilterError(`"${t.text}" is a protocol and cannot be compared`, t.pos, t.len);
        if (ref.kind === 'none') throw new DisplayFilterError(`"${t.text}" has no value to compare`, t.pos, t.len);
        const lit = this.literal();
        const test = valueTest(ref.kind, rel, lit);
        return rel === '!=' ? ref.none(test) : ref.any(test);
      }
      case 'contains': {
        this.next();
        const lit = this.literal();
        const needle = lit.text;
        return ref.any((v) => String(v).includes(needle));
      }
      case 'matches':
      case '~': {
        this.next();
        const lit = this.literal();
        const prog = compileRegex(lit.text, lit);
        return ref.any((v) => pikeSearch(prog, String(v)));
      }
      case 'in': {
        this.next();
        const open = this.next();
        if (open.kind !== 'op' || open.text !== '{') this.unexpected(open, '"{"');
        const tests: ValueTest[] = [];
        while (!this.isOp('}')) {
          if (this.isOp(',')) {
            this.next();
            continue;
          }
          const lo = this.literal();
          if (this.isOp('..')) {
            this.next();
            const hi = this.literal();
            const a = valueTest(ref.kind, '>=', lo);
            const b = valueTest(ref.kind, '<=', hi);
            tests.push((v) => a(v) && b(v));
          } else {
            tests.push(valueTest(ref.kind, '==', lo));
          }
        }
        this.next();
        if (tests.length === 0) throw new DisplayFilterError('empty set', open.pos, open.len);
        return ref.any((v) => tests.some((f) => f(v)));
      }
      default:
        return ref.present;
    }
  }

  private literal(): Token {
    const t = this.next();
    if (t.kind === 'word' || t.kind === 'string') return t;
    return this.unexpected(t, 'a value');
  }
}

// ---------------------------------------------------------------------------------------------
// Entry point

const FILTER_OPERATOR = /[=!<>~]|&&|\|\||^\s*\(/;
/** "frame.len", "a.b": a name with a dot between letters ("1.2.3.4" is a value, not a name). */
const DOTTED_NAME = /(^|[^\w.])[A-Za-z_][\w-]*\.[A-Za-z_]/;
const FILTER_KEYWORD = /\b(and|or|not|contains|matches|in)\b/i;

/**
 * True when `text` reads as an attempt at a filter (an operator or an opening parenthesis, a
 * dotted field name, a filter keyword, or a known field or protocol first) rather than words to
 * search for: its parse error
 * then stands alone, without the suggestion to turn on text search.
 */
export function looksLikeFilter(text: string): boolean {
  if (FILTER_OPERATOR.test(text) || DOTTED_NAME.test(text) || FILTER_KEYWORD.test(text)) return true;
  const first = /^[\s(!]*([A-Za-z_][\w-]*)/.exec(text)?.[1];
  return (
    first !== undefined && (kindOf(first) !== undefined || PROTOCOL_NAMES.has(PROTOCOL_ALIASES.get(first) ?? first))
  );
}

const TEXT_SEARCH_HINT = 'To search packet text, turn on text search (the Aa button).';

function compiles(text: string): boolean {
  try {
    compileExpression(text);
    return true;
  } catch {
    return false;
  }
}

/** "This is a capture filter; as a display filter: …" when `text` is a capture filter (`port 80`). */
export function captureFilterHint(text: string): string | undefined {
  const asDisplay = captureFilterAsDisplay(text);
  return asDisplay !== undefined && compiles(asDisplay)
    ? `This is a capture filter; as a display filter: ${asDisplay}`
    : undefined;
}

/** The likely fix for text that failed to compile, or the error's own hint ("did you mean"). */
function hintFor(text: string, e: DisplayFilterError): string | undefined {
  const captureHint = captureFilterHint(text);
  if (captureHint !== undefined) return captureHint;
  if (e.reason === 'unexpected character "="') {
    const compared = text.replace(/(?<![=!<>~])=(?!=)/g, '==');
    return compiles(compared)
      ? `To compare, use "==": ${compared}`
      : 'To compare, use "==" (a single "=" is not an operator).';
  }
  if (looksLikeFilter(text)) return e.hint;
  return e.hint ? `${e.hint} ${TEXT_SEARCH_HINT}` : TEXT_SEARCH_HINT;
}

function compileExpression(text: string): CompiledDisplayFilter {
  const parser = new Parser(tokenize(text));
  const match = parser.parse();
  const { needsTree, needsProcess, fieldLayers, readsColumns } = parser;
  return {
    mode: 'expression',
    needsTree,
    needsProcess,
    readsColumns,
    match,
    ...(needsTree && fieldLayers && { fieldLayers }),
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const MATCH_ALL: CompiledDisplayFilter = {
  mode: 'none',
  needsTree: false,
  needsProcess: false,
  readsColumns: false,
  match: () => true,
};

/**
 * Compiles a display filter: an expression, or in text-search mode the text to search for. Throws
 * DisplayFilterError (the column, and the likely fix when there is one) for an expression that
 * does not compile; text is never searched unless asked.
 */
export function compileDisplayFilter(text: string, options: DisplayFilterOptions = {}): CompiledDisplayFilter {
  const trimmed = text.trim();
  if (trimmed === '') return MATCH_ALL;
  if (options.textSearch) return textFilter(trimmed);
  try {
    return compileExpression(text);
  } catch (e) {
    if (!(e instanceof DisplayFilterError)) throw e;
    throw e.withHint(hintFor(trimmed, e));
  }
}

function textFilter(needle: string): CompiledDisplayFilter {
  const re = new RegExp(escapeRegExp(needle), 'i');
  return {
    mode: 'text',
    needsTree: false,
    needsProcess: false,
    readsColumns: true,
    match: (p) => {
      const s = p.summary;
      return re.test(s.info) || re.test(s.source) || re.test(s.destination) || re.test(s.protocol);
    },
  };
}
