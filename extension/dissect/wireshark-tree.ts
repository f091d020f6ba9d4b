// Wireshark's tree (sharkd's `frame` answer) as our detail tree's layers and fields. sharkd is a
// separate program that dissected bytes anyone could have sent: its answer is checked node by node
// (wrong types are skipped or read as absent), its size and depth are capped, and labels stay plain
// text (the webview puts them in as text). A sharkd node, as Wireshark 4.0 writes it:
//   l  label                 f  display filter for the node ("tcp.srcport == 80", "tcp", …)
//   h  [offset, length]      ds data source the offset is in (absent or 0: the frame's own bytes;
//                               1, 2…: reassembled or decrypted data, not in the packet's bytes)
//   t  "proto" | "framenum" | "url"   fnum  the frame a "framenum" node points to
//   s  expert severity ("Chat", "Note", "Warning", "Error")   g  generated   n  children
import type { Field, Layer } from '../../packet/decode/types.js';

/** Most nodes kept of one packet's tree (a tree this large is a hostile or broken one). */
export const MAX_TREE_NODES = 20_000;
/** Deepest nesting kept; deeper nodes are left out. */
export const MAX_TREE_DEPTH = 64;
/** Longest label kept; longer ones are cut with an ellipsis. */
export const MAX_LABEL_CHARS = 1000;
/** Longest field name kept from a filter. */
const MAX_NAME_CHARS = 200;
/** Longest filter kept for "Apply as Filter" (a longer one is left out: the panel builds its own). */
const MAX_FILTER_CHARS = 16 * 1024;
/** Label-only nodes have no field of their own: Wireshark calls them text items. */
export const TEXT_FIELD = '_ws.text';

/** How the cut's frame numbers and offsets map back to the capture. */
export interface TreeContext {
  /** Bytes captured of the selected packet: no highlight reaches past them. */
  capturedLength: number;
  /** The capture's packet number of the cut's frame `n` (1-based), for "framenum" nodes. */
  numberOf?(cutFrame: number): number | undefined;
  /** The selected packet's number in the capture, for the frame layer's label. */
  number?: number;
}

/** Fields of the frame layer that describe the cut, not the capture (its position and time in it). */
const CUT_RELATIVE_FRAME_FIELDS = new Set([
  'frame.number',
  'frame.time_relative',
  'frame.time_delta',
  'frame.time_delta_displayed',
  'frame.ref_time',
  'frame.offset_shift',
]);

interface Budget {
  nodes: number;
  truncated: boolean;
}

type Node = Record<string, unknown>;

function isNode(v: unknown): v is Node {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A filter's field name and value: `tcp.srcport == 80` → tcp.srcport, 80; `tcp` → tcp. */
export function parseFilter(filter: unknown): { name: string; value?: string | number | boolean } | undefined {
  if (typeof filter !== 'string' || filter.length === 0) return undefined;
  const eq = filter.indexOf(' == ');
  const name = (eq < 0 ? filter : filter.slice(0, eq)).trim();
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name) || name.length > MAX_NAME_CHARS) return undefined;
  if (eq < 0) return { name };
  return { name, value: filterValue(filter.slice(eq + 4)) };
}

/** A filter's value: a number when it reads as one, a quoted string unquoted, else the text. */
function filterValue(text: string): string | number {
  const t = text.trim().slice(0, MAX_LABEL_CHARS);
  if (/^-?\d+(\.\d+)?$/.test(t) && Number.isFinite(Number(t))) return Number(t);
  if (t.length >= 2 && t.startsWith('"') && t.endsWith('"')) {
    try {
      const s: unknown = JSON.parse(t);
      if (typeof s === 'string') return s;
    } catch {
      // Wireshark's escapes are C's, not always JSON's: the text between the quotes will do.
    }
    return t.slice(1, -1);
  }
  return t;
}

function label(node: Node): string | undefined {
  if (typeof node.l !== 'string') return undefined;
  // Control characters would draw as boxes or break lines in the tree: shown as spaces.
  const clean = node.l.replace(/\p{Cc}/gu, ' ');
  return clean.length > MAX_LABEL_CHARS ? `${clean.slice(0, MAX_LABEL_CHARS - 1)}…` : clean;
}

/** The node's bytes in the packet: [offset, length], or length 0 when they are not in its bytes. */
function range(node: Node, ctx: TreeContext): { offset: number; length: number } {
  const h = node.h;
  const ds = node.ds;
  if (ds !== undefined && ds !== 0) return { offset: 0, length: 0 };
  if (!Array.isArray(h) || h.length !== 2) return { offset: 0, length: 0 };
  const [offset, length] = h as unknown[];
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length)) return { offset: 0, length: 0 };
  const o = offset as number;
  const n = length as number;
  if (o < 0 || n <= 0 || o + n > ctx.capturedLength) return { offset: 0, length: 0 };
  return { offset: o, length: n };
}

/** A "framenum" node names the cut's frame: its label and value name the capture's packet instead. */
function renumbered(node: Node, text: string, ctx: TreeContext): { label: string; value?: number } {
  if (node.t !== 'framenum' || !Number.isSafeInteger(node.fnum) || !ctx.numberOf) return { label: text };
  const number = ctx.numberOf(node.fnum as number);
  if (number === undefined) return { label: text };
  return { label: text.replace(/\d+(?=\D*$)/, String(number)), value: number };
}

/** The node's filter as Wireshark wrote it (a "framenum" node's names the capture's packet), or
 *  undefined when it is too long or holds control characters (one line in the filter bar). */
function ownFilter(f: string, name: string, renumbered: number | undefined): string | undefined {
  if (renumbered !== undefined) return `${name} == ${renumbered}`;
  return f.length <= MAX_FILTER_CHARS && !/\p{Cc}/u.test(f) ? f : undefined;
}

function field(node: Node, depth: number, ctx: TreeContext, budget: Budget): Field | undefined {
  const text = label(node);
  if (text === undefined) return undefined;
  if (budget.nodes >= MAX_TREE_NODES) {
    budget.truncated = true;
    return undefined;
  }
  budget.nodes++;
  const filter = parseFilter(node.f);
  const shown = renumbered(node, text, ctx);
  const out: Field = { name: filter?.name ?? TEXT_FIELD, label: shown.label, ...range(node, ctx) };
  const value = shown.value ?? filter?.value;
  if (value !== undefined) out.value = value;
  if (shown.value !== undefined) out.link = shown.value;
  const own = filter && ownFilter(node.f as string, filter.name, shown.value);
  if (own) out.filter = own;
  const children = fields(node.n, depth + 1, ctx, budget);
  if (children.length > 0) out.children = children;
  return out;
}

function fields(list: unknown, depth: number, ctx: TreeContext, budget: Budget): Field[] {
  if (!Array.isArray(list)) return [];
  if (depth > MAX_TREE_DEPTH) {
    budget.truncated = true;
    return [];
  }
  const out: Field[] = [];
  for (const child of list) {
    if (budget.nodes >= MAX_TREE_NODES) {
      budget.truncated = true;
      break;
    }
    if (!isNode(child)) continue;
    const f = field(child, depth, ctx, budget);
    if (f) out.push(f);
  }
  return out;
}

/** The frame layer as it holds for the capture: its number, not the cut's, and without the fields
 *  that say where and when it is in the cut. */
function frameLayer(layer: Layer, ctx: TreeContext): Layer {
  const label = ctx.number === undefined ? layer.label : layer.label.replace(/^Frame \d+/, `Frame ${ctx.number}`);
  return { ...layer, label, fields: layer.fields.filter((f) => !CUT_RELATIVE_FRAME_FIELDS.has(f.name)) };
}

/**
 * Wireshark's tree as layers: each top-level node a layer (its protocol from its filter), each
 * node below a field with its byte range in the selected packet's bytes. Undefined when the
 * answer holds no tree at all.
 */
export function wiresharkLayers(tree: unknown, ctx: TreeContext): Layer[] | undefined {
  if (!Array.isArray(tree)) return undefined;
  const budget: Budget = { nodes: 0, truncated: false };
  const layers: Layer[] = [];
  for (const node of tree) {
    if (!isNode(node)) continue;
    const top = field(node, 0, ctx, budget);
    if (!top) continue;
    const layer: Layer = {
      protocol: top.name,
      label: top.label,
      offset: top.offset,
      length: top.length,
      fields: top.children ?? [],
    };
    layers.push(layer.protocol === 'frame' ? frameLayer(layer, ctx) : layer);
  }
  if (budget.truncated) {
    layers.push({
      protocol: '_ws.truncated',
      label: `[Wireshark's tree was cut at ${MAX_TREE_NODES.toLocaleString('en')} nodes or ${MAX_TREE_DEPTH} levels]`,
      offset: 0,
      length: 0,
      fields: [],
    });
  }
  return layers.length > 0 ? layers : undefined;
}
