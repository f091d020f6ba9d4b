// Colouring rules, as Wireshark's View → Coloring Rules: display filters tried in order, the
// first that matches a packet colours its row. The colours are names of the theme's palette (the
// panel mixes them from --vscode-charts-* and the error colour), never RGB values: a rule reads
// the same in light, dark and high-contrast themes. The defaults are Wireshark's, in its order and
// with its names, written with the names our decoders know (a rule naming a protocol they do not
// decode could never match here, so it is left out; the README lists which).

import type { DecodedPacket } from './decode/types.js';
import { type CompiledDisplayFilter, compileDisplayFilter, type FilterMeta } from './display-filter.js';

export const COLORING_COLORS = ['red', 'orange', 'yellow', 'green', 'blue', 'purple', 'gray', 'error'] as const;
export type ColoringColor = (typeof COLORING_COLORS)[number];

export interface ColoringRule {
  name: string;
  /** A display filter. */
  filter: string;
  /** A palette name; `error` is the theme's error colour, for rows that mean trouble. */
  color: ColoringColor;
}

export const DEFAULT_COLORING_RULES: readonly ColoringRule[] = [
  {
    name: 'Bad TCP',
    filter:
      'tcp.analysis.flags && !tcp.analysis.window_update && !tcp.analysis.keep_alive && !tcp.analysis.keep_alive_ack',
    color: 'error',
  },
  { name: 'ICMP errors', filter: 'icmp.type in { 3..5, 11 } || icmpv6.type in { 1..4 }', color: 'error' },
  { name: 'ARP', filter: 'arp', color: 'yellow' },
  { name: 'ICMP', filter: 'icmp || icmpv6', color: 'orange' },
  { name: 'TCP RST', filter: 'tcp.flags.reset eq 1', color: 'red' },
  { name: 'SCTP ABORT', filter: 'sctp.chunk_type eq 6', color: 'red' },
  {
    name: 'TTL low or unexpected',
    filter: '(ip.dst != 224.0.0.0/4 && ip.ttl < 5) || (ip.dst == 224.0.0.0/24 && ip.dst != 224.0.0.251 && ip.ttl != 1)',
    color: 'red',
  },
  { name: 'HTTP', filter: 'http || tcp.port == 80', color: 'green' },
  { name: 'TCP SYN/FIN', filter: 'tcp.flags.syn == 1 || tcp.flags.fin == 1', color: 'gray' },
  { name: 'TCP', filter: 'tcp', color: 'purple' },
  { name: 'UDP', filter: 'udp', color: 'blue' },
  { name: 'Broadcast', filter: 'eth.ig == 1', color: 'gray' },
];

/** The setting's value as rules: what is not a rule (a name, a filter and a palette colour) is
 *  left out; anything but a list gives the defaults. */
export function parseColoringRules(value: unknown): ColoringRule[] {
  if (!Array.isArray(value)) return [...DEFAULT_COLORING_RULES];
  return value.filter(
    (r): r is ColoringRule =>
      typeof r === 'object' &&
      r !== null &&
      typeof r.name === 'string' &&
      typeof r.filter === 'string' &&
      COLORING_COLORS.includes(r.color),
  );
}

/** Rules compiled for a capture: those our engine reads, and those it refused with its message. */
export interface ColoringRules {
  rules: { rule: ColoringRule; filter: CompiledDisplayFilter }[];
  refused: { rule: ColoringRule; error: string }[];
  /** What a packet must be decoded to for every rule to be judged (decodeForFilter's reads). */
  needsTree: boolean;
  fieldLayers?: ReadonlySet<string>;
  readsColumns: boolean;
}

export function compileColoringRules(list: readonly ColoringRule[]): ColoringRules {
  const out: ColoringRules = { rules: [], refused: [], needsTree: false, readsColumns: false };
  let layers: Set<string> | undefined = new Set();
  for (const rule of list) {
    try {
      const filter = compileDisplayFilter(rule.filter);
      out.rules.push({ rule, filter });
      out.readsColumns ||= filter.readsColumns;
      if (filter.needsTree) {
        out.needsTree = true;
        if (!filter.fieldLayers) layers = undefined;
        else for (const l of filter.fieldLayers) layers?.add(l);
      }
    } catch (e) {
      out.refused.push({ rule, error: (e as Error).message });
    }
  }
  if (out.needsTree && layers) out.fieldLayers = layers;
  return out;
}

/** The index (in `rules.rules`) of the first rule matching the packet, or -1. */
export function coloringRuleOf(rules: ColoringRules, packet: DecodedPacket, meta: FilterMeta): number {
  return rules.rules.findIndex((r) => r.filter.match(packet, meta));
}
