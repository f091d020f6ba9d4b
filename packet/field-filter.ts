// "Apply as Filter" and "Prepare as Filter" on a node of the detail tree, as Wireshark has them:
// the display filter that selects the node's field, and its combination with the filter already
// in the bar. Values come from packets anyone could have sent: a string becomes one quoted literal
// whatever it holds (quotes, backslashes, line breaks), never more filter text.
//
// Runs in Node and in the browser.

import type { Field } from './decode/types.js';
import { filterNameKind } from './display-filter.js';
import { parseIpv4, parseIpv6 } from './ip-address.js';

/** Wireshark's six ways of using the selected field, in its menu's order. */
export const FILTER_COMBINATIONS = [
  { id: 'selected', label: 'Selected' },
  { id: 'notSelected', label: 'Not Selected' },
  { id: 'andSelected', label: '…and Selected' },
  { id: 'orSelected', label: '…or Selected' },
  { id: 'andNotSelected', label: '…and not Selected' },
  { id: 'orNotSelected', label: '…or not Selected' },
] as const;

export type FilterCombination = (typeof FILTER_COMBINATIONS)[number]['id'];

/** A name as a filter writes it: `tcp`, `ip.src`, `http2`, `k8s.pod`. */
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const MAC = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
/** A number as our engine and Wireshark read it (no exponent: "1e+21" is not one word). */
const DECIMAL = /^-?\d+(\.\d+)?$/;

/** Names that are notes about the packet, not fields of it (`_ws.malformed`, `_ws.expert`, text). */
function isNote(name: string): boolean {
  return name.startsWith('_ws.');
}

/** The filter that selects a layer: its protocol's name (ours or Wireshark's). */
export function layerFilter(protocol: string): string | undefined {
  return NAME.test(protocol) && !isNote(protocol) ? protocol : undefined;
}

/**
 * The filter that selects a tree node's field: Wireshark's own for its tree's nodes; for ours, the
 * field compared with its value (`ip.src == 10.0.0.1`, `http.host == "a\"b"`), or the name alone
 * for a field without one (`tcp.payload`) or a protocol. Undefined for a node no filter names: a
 * label, a note, a name our engine does not know.
 */
export function fieldFilter(field: Pick<Field, 'name' | 'value' | 'filter'>): string | undefined {
  if (field.filter !== undefined) return field.filter;
  const { name, value } = field;
  if (!NAME.test(name) || isNote(name)) return undefined;
  const kind = filterNameKind(name);
  if (kind === undefined) return undefined;
  if (kind === 'protocol' || kind === 'none' || value === undefined) return name;
  const literal = valueLiteral(kind, value);
  return literal === undefined ? name : `${name} == ${literal}`;
}

/** The fields an address column can show, by the address's kind, most common first: which one a
 *  packet has depends on its link layer and protocol. */
const ADDRESS_FIELDS = {
  ipv4: { src: ['ip.src'], dst: ['ip.dst'] },
  ipv6: { src: ['ipv6.src'], dst: ['ipv6.dst'] },
  mac: { src: ['eth.src', 'sll.src.eth', 'arp.src.hw_mac'], dst: ['eth.dst', 'arp.dst.hw_mac'] },
} as const;

/**
 * The filters a cell of the packet list may stand for (Wireshark's Apply as Filter there): the
 * column's field and the cell's value, most likely first; the caller keeps the first that selects
 * the cell's packet. `customField` is a custom column's field. None when the column shows no one
 * field (Time, Info, Process) or the cell no value of the field's kind; a custom column's cell
 * listing several occurrences ("a,b") gives none either.
 */
export function cellFilters(column: string, text: string, customField?: string): string[] {
  switch (column) {
    case 'number':
      return /^\d+$/.test(text) ? [`frame.number == ${text}`] : [];
    case 'length':
      return /^\d+$/.test(text) ? [`frame.len == ${text}`] : [];
    case 'source':
    case 'destination': {
      const end = column === 'source' ? 'src' : 'dst';
      for (const kind of ['ipv4', 'ipv6', 'mac'] as const) {
        const literal = valueLiteral(kind, text);
        if (literal !== undefined) return ADDRESS_FIELDS[kind][end].map((field) => `${field} == ${literal}`);
      }
      return [];
    }
    case 'protocol': {
      const name = text.toLowerCase();
      return NAME.test(name) && filterNameKind(name) === 'protocol' ? [name] : [];
    }
    case 'pod': {
      const slash = text.indexOf('/');
      if (slash <= 0 || slash === text.length - 1) return [];
      return [
        `k8s.namespace == ${quoteString(text.slice(0, slash))} && k8s.pod == ${quoteString(text.slice(slash + 1))}`,
      ];
    }
    default: {
      const kind = customField && NAME.test(customField) ? filterNameKind(customField) : undefined;
      if (kind === undefined || text === '' || text.includes(',')) return [];
      if (kind === 'protocol' || kind === 'none') return [customField!];
      const literal = valueLiteral(kind, text);
      return literal === undefined ? [] : [`${customField} == ${literal}`];
    }
  }
}

/** The value as a literal of the field's kind; undefined when it is not one (a name still filters). */
function valueLiteral(
  kind: 'number' | 'string' | 'boolean' | 'ipv4' | 'ipv6' | 'mac',
  value: string | number | boolean,
): string | undefined {
  const text = String(value);
  switch (kind) {
    case 'string':
      return quoteString(text);
    case 'number':
      return DECIMAL.test(text) ? text : undefined;
    case 'boolean':
      return value === true || value === 1 ? '1' : value === false || value === 0 ? '0' : undefined;
    case 'ipv4':
      return parseIpv4(text) !== undefined ? text : undefined;
    case 'ipv6':
      return /^[0-9a-fA-F:.]+$/.test(text) && parseIpv6(text) !== undefined ? text : undefined;
    case 'mac':
      return MAC.test(text) ? text.toLowerCase() : undefined;
  }
}

const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A string literal both our engine and Wireshark read back as `s`: quotes and backslashes
 *  escaped, control characters as escapes (the filter stays one line); other text as it is. */
export function quoteString(s: string): string {
  const body = s.replace(/[\\"]/g, '\\$&').replace(/\p{Cc}/gu, (c) => {
    return NAMED_ESCAPES[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
  return `"${body}"`;
}

/**
 * The filter bar's text after using `selected` as `how` says, with `current` the text in the bar
 * (empty: none): `current && selected`, `!(selected)`, … Parentheses go only around an operand
 * whose own top-level operators would bind differently, so the result always means what it says.
 */
export function combineFilters(current: string, selected: string, how: FilterCombination): string {
  const now = current.trim();
  const negated = negate(selected);
  switch (how) {
    case 'selected':
      return selected;
    case 'notSelected':
      return negated;
    case 'andSelected':
      return join(now, '&&', selected);
    case 'orSelected':
      return join(now, '||', selected);
    case 'andNotSelected':
      return join(now, '&&', negated);
    case 'orNotSelected':
      return join(now, '||', negated);
  }
}

function join(current: string, op: '&&' | '||', selected: string): string {
  if (current === '') return selected;
  return `${operand(current, op)} ${op} ${operand(selected, op)}`;
}

/** `!tcp` for a name, `!(tcp.port == 80)` for anything more (as Wireshark writes it). */
function negate(expression: string): string {
  return NAME.test(expression) ? `!${expression}` : `!(${expression})`;
}

/** `expression` as an operand of `op`: as it is when its top-level operators are `op` alone (or
 *  none), else in parentheses. */
function operand(expression: string, op: '&&' | '||'): string {
  const ops = topLevelOperators(expression);
  return ops !== undefined && [...ops].every((o) => o === op) ? expression : `(${expression})`;
}

const BINARY_WORDS: ReadonlyMap<string, string> = new Map([
  ['and', '&&'],
  ['or', '||'],
  ['xor', '^^'],
]);

/**
 * The binary logical operators of `expression` outside parentheses, brackets, braces and string
 * literals (`&&`, `||`, `^^`, their word forms as those); undefined when the text does not scan
 * (an unterminated string, unbalanced parentheses): the caller then parenthesizes.
 */
function topLevelOperators(expression: string): Set<string> | undefined {
  const ops = new Set<string>();
  let depth = 0;
  let i = 0;
  while (i < expression.length) {
    const c = expression[i]!;
    if (c === '"') {
      const end = stringEnd(expression, i, expression[i - 1] === 'r' || expression[i - 1] === 'R');
      if (end < 0) return undefined;
      i = end;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (--depth < 0) return undefined;
    } else if (depth === 0) {
      const two = expression.slice(i, i + 2);
      if (two === '&&' || two === '||' || two === '^^') {
        ops.add(two);
        i += 2;
        continue;
      }
      const word = /^[A-Za-z0-9_.:/-]+/.exec(expression.slice(i))?.[0];
      if (word) {
        const op = BINARY_WORDS.get(word.toLowerCase());
        if (op) ops.add(op);
        i += word.length;
        continue;
      }
    }
    i++;
  }
  return depth === 0 ? ops : undefined;
}

/** The index just past the string literal opening at `start` (a quote), or -1 when unterminated.
 *  In a raw string (r"…") a backslash escapes only a quote, as in a normal one it escapes all. */
function stringEnd(text: string, start: number, raw: boolean): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && (!raw || text[i + 1] === '"')) i++;
    else if (c === '"') return i + 1;
  }
  return -1;
}
