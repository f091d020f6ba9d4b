// The one contract between the extension host and the capture panel (webview). Both sides import
// this file; nothing here is copied. The webview pulls bulk data (rows, one packet's detail); the
// host pushes small events (state, "count is now N"), and while the table follows the tail, the
// few rows it shows with each count: the next frame draws them, so they are not asked for.

import type { ColoringColor } from './coloring-rules.js';
import type { MenuAction, MenuTarget } from './context-menu.js';
import type { DecodedPacket, Layer } from './decode/types.js';
import type { DisplayFilterCheck, FieldCompletion } from './filter-fields.js';
import type { ProcessInfo } from './process-comment.js';
import type { TimeFormat } from './time-format.js';

/** A capture filter as libpcap reads it (`normalized`: the expression compiled, e.g. tcp,443 as
 *  "tcp port 443"), or libpcap's message. */
export type CaptureFilterCheck = { ok: true; normalized: string } | { ok: false; error: string };

export type TargetKind = 'local' | 'ssh' | 'kubernetes' | 'tcp';

export interface TargetInfo {
  id: string;
  kind: TargetKind;
  label: string;
  description?: string;
  /** An SSH host added with "Add SSH host…" (not one from the SSH config): it can be removed. */
  removable?: boolean;
}

export interface InterfaceInfo {
  name: string;
  up: boolean;
  loopback: boolean;
  addresses: string[]; // "10.0.0.1/24"
}

export interface StartParams {
  target: string; // TargetInfo.id
  interfaces: string[];
  /** Capture filter, in the agent's syntax (PROTO,PORT or a tcpdump-style expression). */
  filter: string;
  snaplen?: number;
}

/** What a command chose for the next capture ("List Interfaces" → an interface). `seq` tells one
 *  choice from the next, so choosing the same interface again selects it again. */
export interface CaptureChoice {
  target: string; // TargetInfo.id
  interfaces: string[];
  seq: number;
}

/** One table row. `index` is the row's position in the current (display-filtered) view. */
export interface Row {
  index: number;
  number: number; // 1-based packet number, as Wireshark's No.
  time: number; // seconds since the first packet
  /** Seconds since the previous packet of the view, and ns since the epoch (packet/time-format.ts). */
  delta?: number;
  epochNs?: string;
  source: string;
  destination: string;
  protocol: string;
  length: number;
  info: string;
  direction?: 'in' | 'out';
  /** "namespace/pod" when the packet's interface belongs to a pod (packet/k8s-pod.ts). */
  pod?: string;
  /** "node (1234)" when the capture names the packet's process (packet/process-comment.ts). */
  process?: string;
  /** A debugger marker, not a packet (its `number` is 0: markers take no packet number). */
  marker?: RowMarker;
  /** Captured while the debuggee was paused. */
  paused?: boolean;
  /** Ignored (Ignore Packet): decoded as a frame alone, drawn apart and never coloured by a rule. */
  ignored?: boolean;
  /** The colouring rule the packet matched first (packet/coloring-rules.ts): its colour and name. */
  color?: ColoringColor;
  colorRule?: string;
  /** The custom columns' texts (PanelState.customColumns), in their order. */
  custom?: string[];
}

/** Where a debug session paused or went on (extension/debug/): a row of its own in the table. */
export interface RowMarker {
  kind: 'paused' | 'continued';
  /** The top stack frame's source, when the debugger said; a click opens it. */
  source?: { path: string; line: number };
}

export interface PacketDetail {
  number: number;
  time: number;
  timestampNs: string; // bigint as decimal text
  length: number;
  capturedLength: number;
  interfaceName?: string;
  direction?: 'in' | 'out';
  /** The packet's process, when the capture names it; null when the capture names processes but
   *  not this packet's (the kernel made it, or it was forwarded); absent in a capture without any. */
  process?: ProcessInfo | null;
  decoded: DecodedPacket;
  bytes: string; // base64 of the captured bytes
}

export type CaptureStatus = 'idle' | 'starting' | 'capturing' | 'stopping' | 'stopped' | 'error';

export interface CounterUpdate {
  /** Rows in the current view (after the display filter). */
  rows: number;
  /** Changes whenever row indices shift (display filter applied, oldest packets evicted):
   *  rows cached under another generation are stale. Appending rows keeps the generation. */
  generation: number;
  /** True while the display filter is still being applied to the packets held. */
  filtering: boolean;
  /** True while rows are being put in the sort's order (PanelState.sort); the rows not yet in it
   *  are shown after the sorted ones, in packet order. */
  sorting?: true;
  /** While filtering: the share of the packets held judged so far (0–1, in hundredths), when it
   *  is known (not for a live capture's filter that tshark judges). */
  filterProgress?: number;
  /** Packets held in the store. */
  held: number;
  /** Packets received since the capture started (held + evicted). */
  received: number;
  bytes: number;
  packetsPerSecond: number;
  kernelDrops: number;
  /** Oldest packets dropped to respect the store's limits. */
  evicted: number;
  /** Present when the capture holds pods (the table then has a Pod column): the counters of each
   *  pod whose interface the capture holds; empty when pods are known only from packets' process
   *  comments (a node's capture), which count no packets per pod. */
  pods?: PodCounters[];
  /** True once the capture holds a packet whose process it names (the table then has a Process
   *  column); absent before. */
  processes?: true;
}

/** One pod's counters in a capture of Kubernetes pods, over all its interfaces. */
export interface PodCounters {
  /** "namespace/pod" */
  pod: string;
  /** Packets received since the capture started. */
  packets: number;
  /** Their captured bytes. */
  bytes: number;
  /** Packets lost on the pod's interfaces, when the capture says (pcapng interface statistics). */
  drops?: number;
}

/** The counters event: the counters and, while the table follows the tail (the webview's
 *  followTail message), the view's newest rows, as many as the table shows: the table draws them
 *  without asking for them, as if it had. */
export interface CountersEvent extends CounterUpdate {
  /** Rows `rows - tail.length` to `rows - 1` of this view (each carries its index). */
  tail?: Row[];
}

export interface PanelState {
  mode: 'live' | 'file';
  title: string;
  status: CaptureStatus;
  /** Why the capture is in its status: an error, or which limit stopped it. */
  message?: string;
  targets: TargetInfo[];
  capture?: StartParams;
  displayFilter: string;
  /** True when `displayFilter` is a text search (the filter bar's toggle), not an expression. */
  textSearch?: boolean;
  /** Set by a command: the capture form selects it, ready to Start. Cleared when a capture starts. */
  chosen?: CaptureChoice;
  /** A live capture only: it goes on in the background when its panel closes (the status bar shows it). */
  keepRunning?: boolean;
  /** The Time column's format (packetCapture.timeFormat); absent: seconds since the capture began. */
  timeFormat?: TimeFormat;
  /** The table's column widths in pixels by column id, as last set in a capture of this
   *  workspace; absent: the defaults. */
  columnWidths?: ColumnWidthsByName;
  /** The column the table is sorted by (a header's click); absent: packet order. */
  sort?: SortOrder;
  /** Columns of fields (Apply as Column, packetCapture.columns), shown before Info. */
  customColumns?: CustomColumn[];
}

/** The packet table's columns, by id; each one sorts. */
export const TABLE_COLUMNS = [
  'number',
  'time',
  'pod',
  'process',
  'source',
  'destination',
  'protocol',
  'length',
  'info',
] as const;
/** A column of the packet table showing a field our decoders know (Apply as Column); its texts
 *  are packet/custom-columns.ts's. */
export interface CustomColumn {
  /** The field shown: a display filter name. */
  field: string;
  /** The header's text; absent: the field's name. */
  title?: string;
}

/** Custom columns a table has at most. */
export const MAX_CUSTOM_COLUMNS = 8;

export type CustomColumnId = `custom${number}`;

/** The table's column id of the custom column at `index` (`custom0`…). */
export function customColumnId(index: number): CustomColumnId {
  return `custom${index}`;
}

/** The custom column's index in PanelState.customColumns, or undefined for a built-in column. */
export function customColumnIndex(column: TableColumn): number | undefined {
  return column.startsWith('custom') ? Number(column.slice('custom'.length)) : undefined;
}

/** The built-in columns' headers. */
export const TABLE_COLUMN_TITLES: Record<(typeof TABLE_COLUMNS)[number], string> = {
  number: 'No.',
  time: 'Time',
  pod: 'Pod',
  process: 'Process',
  source: 'Source',
  destination: 'Destination',
  protocol: 'Protocol',
  length: 'Length',
  info: 'Info',
};

/** The ids of the custom columns' places (custom0 is the first custom column). */
export const CUSTOM_COLUMN_IDS = Array.from({ length: MAX_CUSTOM_COLUMNS }, (_, i) => customColumnId(i));
export type TableColumn = (typeof TABLE_COLUMNS)[number] | CustomColumnId;

/** Rows in a column's order: ties stay in packet order, in either direction. */
export interface SortOrder {
  column: TableColumn;
  descending: boolean;
}

/** Column widths in pixels by column id (the table knows which ids it has). */
export type ColumnWidthsByName = Record<string, number>;

// biome-ignore lint/suspicious/noConfusingVoidType: a request that answers nothing is handled by an async function returning Promise<void>
type NoResult = void;

/** Webview → host requests, each answered with its result or an error. */
export interface Requests {
  listInterfaces: { params: { target: string }; result: InterfaceInfo[] };
  startCapture: { params: StartParams; result: NoResult };
  /** Asks the user for an SSH host (user@host[:port]); null when they cancel. */
  addSshHost: { params: Record<string, never>; result: TargetInfo | null };
  /** Forgets an SSH host added with addSshHost (a `removable` target). */
  removeSshHost: { params: { target: string }; result: NoResult };
  stopCapture: { params: Record<string, never>; result: NoResult };
  /** Whether the capture goes on in the background when its panel closes. */
  setKeepRunning: { params: { keep: boolean }; result: NoResult };
  /** Changes the capture filter of the running capture, in the kernel, without restarting it. */
  setCaptureFilter: { params: { filter: string }; result: NoResult };
  getRows: { params: { start: number; count: number }; result: Row[] };
  getDetail: { params: { index: number }; result: PacketDetail };
  /** Applies to everything held: an expression, or with `textSearch` the text to search the columns
   *  for. A text that is not a valid expression is an error (with the likely fix), never a search.
   *  An expression naming a field our decoders do not know is judged by Wireshark's tshark
   *  (mode `wireshark`): its rows come as it matches them; one tshark refuses is an error with
   *  tshark's message. */
  setDisplayFilter: {
    params: { text: string; textSearch?: boolean };
    result: { mode: 'expression' | 'text' | 'none' | 'wireshark'; rows: number };
  };
  /** The row showing packet `number` in the current view, answered once the display filter has
   *  judged that packet; null when the view does not hold it (filtered out, evicted). `rows`: the
   *  view's rows then (the row may lie past the count of the last counters message). */
  rowOf: { params: { number: number }; result: { row: number | null; rows: number } };
  /** Which packet the user selected (none: no `number`), for "Save Capture As…" → Selected. */
  selectPacket: { params: { number?: number }; result: NoResult };
  /** The display filter for the row's conversation (also applied). */
  followConversation: { params: { index: number }; result: { filter: string; rows: number } };
  /** The row's TCP or UDP stream: its filter applied, its content in Follow Stream's tab. */
  followStream: { params: { index: number }; result: { filter: string; rows: number } };
  /** Marks the row's packet, or unmarks it when marked (Wireshark's Mark Packet); the host then
   *  sends the marks. */
  markPacket: { params: { index: number }; result: NoResult };
  /** Ignores the row's packet, or unignores it when ignored (Wireshark's Ignore Packet): every
   *  packet is dissected again; the host then sends the count of packets ignored. */
  ignorePacket: { params: { index: number }; result: NoResult };
  /** Statistics → Conversations of this capture, in a tab beside it. */
  showConversations: { params: Record<string, never>; result: NoResult };
  /** Statistics → I/O Graph of this capture, in a tab beside it. */
  showIoGraph: { params: Record<string, never>; result: NoResult };
  showProtocolHierarchy: { params: Record<string, never>; result: NoResult };
  validateCaptureFilter: { params: { filter: string }; result: CaptureFilterCheck };
  /** Display-filter names starting with `prefix`: ours, and Wireshark's when it is installed
   *  (packet/filter-fields.ts), at most COMPLETION_LIMIT. */
  completeField: { params: { prefix: string }; result: FieldCompletion[] };
  /** The filter bar's verdict on `text` as it is typed (nothing is applied): our engine's, or for a
   *  name only Wireshark knows, Wireshark's own (sharkd's check). */
  checkDisplayFilter: { params: { text: string }; result: DisplayFilterCheck };
  saveCapture: { params: { format?: 'pcapng' | 'pcap' }; result: NoResult };
  openInWireshark: { params: Record<string, never>; result: NoResult };
  /** The user resized the table's columns: their widths, kept for this workspace's captures. */
  saveColumnWidths: { params: { widths: ColumnWidthsByName }; result: NoResult };
  /** Sorts the rows by a column (Wireshark's header click), or back to packet order (no `column`).
   *  The rows take the order as the host sorts them (CounterUpdate.sorting while it does). */
  sortRows: { params: { column?: TableColumn; descending?: boolean }; result: NoResult };
  /** Adds a column showing `field` (Wireshark's Apply as Column), for this workspace's captures. */
  applyAsColumn: { params: { field: string }; result: NoResult };
  /** Removes the custom column at `index` of PanelState.customColumns. */
  removeColumn: { params: { index: number }; result: NoResult };
  /** Opens the source line of the debugger marker at table row `index`. */
  openMarker: { params: { index: number }; result: NoResult };
  /** Puts `text` on the clipboard (the context menus' Copy items). */
  copyText: { params: { text: string }; result: NoResult };
}

/** Host → webview events. */
export interface HostEvents {
  state: PanelState;
  counters: CountersEvent;
  /** The host changed the display filter (e.g. a command); the panel shows it. */
  displayFilter: { text: string };
  /** After a packet's detail: Wireshark's tree of packet `number` (`layers`, replacing ours in place
   *  while that packet is still shown), or, without Wireshark, `note`: one quiet line saying what
   *  installing it would add. */
  deepTree: DeepTreeEvent;
  /** Select packet `number` (a command: Go to Packet, the conversation's next or previous packet). */
  goToPacket: { number: number };
  /** The packets marked (frame.marked), ascending, after each change and to a new webview. */
  marks: { numbers: number[] };
  /** How many packets are ignored, after each change and to a new webview (their rows say which). */
  ignored: { count: number };
  /** An item of a context menu was chosen (packet/context-menu.ts): do `action` on `target`. */
  menuAction: { action: MenuAction; target: MenuTarget };
}

export interface DeepTreeEvent {
  number: number;
  layers?: Layer[];
  note?: string;
}

export type RequestName = keyof Requests;

export type WebviewMessage =
  | { type: 'ready' }
  /** The last counters event was drawn (sent from the animation frame that drew it): the host may send the next. */
  | { type: 'countersShown' }
  /** The table follows the tail showing `rows` rows (0: it stopped following): until told otherwise,
   *  each counters event carries the newest `rows` rows. */
  | { type: 'followTail'; rows: number }
  | { [M in RequestName]: { type: 'request'; id: number; method: M; params: Requests[M]['params'] } }[RequestName];

export type HostMessage =
  | { type: 'response'; id: number; result: unknown }
  | { type: 'response'; id: number; error: { message: string; code?: string } }
  | { [E in keyof HostEvents]: { type: 'event'; name: E; data: HostEvents[E] } }[keyof HostEvents];

/** What the host implements: a missing handler is a compile error. */
export type RequestHandlers = {
  [M in RequestName]: (params: Requests[M]['params']) => Promise<Requests[M]['result']> | Requests[M]['result'];
};

// ---- What the webview sends, checked at run time
// The types above are a promise the compiler cannot keep across postMessage: a webview is a web
// page, and a message from it is data to check. One schema per request, beside its type (a request
// without a schema is a compile error); anything that does not fit exactly is refused, with a
// sentence saying why (never echoing the value, which may be huge).

/** Longer than any filter, target id or interface name a person writes. */
export const MAX_MESSAGE_TEXT = 64 * 1024;
/** More interfaces than a host has. */
export const MAX_MESSAGE_LIST = 4096;

/** Why `value` does not fit, or undefined when it does. */
type Check = (value: unknown) => string | undefined;
interface Field {
  check: Check;
  optional: boolean;
}
type Schema<T> = { [K in keyof T]-?: Field };

const required = (check: Check): Field => ({ check, optional: false });
const optional = (check: Check): Field => ({ check, optional: true });

/** The most a Copy item puts on the clipboard: a whole packet of the largest snapshot length, as hex. */
export const MAX_COPIED_TEXT = 2 * 262144;

const longText =
  (max: number): Check =>
  (v) =>
    typeof v !== 'string' ? 'is not text' : v.length > max ? `is longer than ${max} characters` : undefined;
const text = longText(MAX_MESSAGE_TEXT);
const wholeNumber =
  (max = Number.MAX_SAFE_INTEGER): Check =>
  (v) =>
    Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= max
      ? undefined
      : `is not a whole number 0–${max}`;
const textList: Check = (v) => {
  if (!Array.isArray(v)) return 'is not a list';
  if (v.length > MAX_MESSAGE_LIST) return `has more than ${MAX_MESSAGE_LIST} entries`;
  for (const [i, item] of v.entries()) {
    const why = text(item);
    if (why) return `[${i}] ${why}`;
  }
  return undefined;
};
const flag: Check = (v) => (typeof v === 'boolean' ? undefined : 'is not true or false');
/** More columns than the table has; wider than any screen. */
const MAX_COLUMNS = 32;
const MAX_COLUMN_WIDTH = 8192;
const columnWidths: Check = (v) => {
  if (!isPlainObject(v)) return 'is not an object';
  const entries = Object.entries(v);
  if (entries.length > MAX_COLUMNS) return `has more than ${MAX_COLUMNS} columns`;
  for (const [id, width] of entries) {
    if (!/^[a-z][a-zA-Z0-9]{0,31}$/.test(id)) return 'names a column that is not a column id';
    const why = wholeNumber(MAX_COLUMN_WIDTH)(width);
    if (why) return `[${id}] ${why}`;
  }
  return undefined;
};
const oneOf =
  (...values: string[]): Check =>
  (v) =>
    typeof v === 'string' && values.includes(v) ? undefined : `is not one of ${values.join(', ')}`;

const startParams: Schema<StartParams> = {
  target: required(text),
  interfaces: required(textList),
  filter: required(text),
  snaplen: optional(wholeNumber(262144)),
};

/** The parameters each request carries. */
const REQUEST_PARAMS: { [M in RequestName]: Schema<Requests[M]['params']> } = {
  listInterfaces: { target: required(text) },
  startCapture: startParams,
  addSshHost: {},
  removeSshHost: { target: required(text) },
  stopCapture: {},
  setKeepRunning: { keep: required(flag) },
  setCaptureFilter: { filter: required(text) },
  getRows: { start: required(wholeNumber()), count: required(wholeNumber()) },
  getDetail: { index: required(wholeNumber()) },
  setDisplayFilter: { text: required(text), textSearch: optional(flag) },
  rowOf: { number: required(wholeNumber()) },
  selectPacket: { number: optional(wholeNumber()) },
  followConversation: { index: required(wholeNumber()) },
  followStream: { index: required(wholeNumber()) },
  markPacket: { index: required(wholeNumber()) },
  ignorePacket: { index: required(wholeNumber()) },
  showConversations: {},
  showIoGraph: {},
  showProtocolHierarchy: {},
  validateCaptureFilter: { filter: required(text) },
  completeField: { prefix: required(text) },
  checkDisplayFilter: { text: required(text) },
  saveCapture: { format: optional(oneOf('pcapng', 'pcap')) },
  saveColumnWidths: { widths: required(columnWidths) },
  openInWireshark: {},
  openMarker: { index: required(wholeNumber()) },
  copyText: { text: required(longText(MAX_COPIED_TEXT)) },
  sortRows: { column: optional(oneOf(...TABLE_COLUMNS, ...CUSTOM_COLUMN_IDS)), descending: optional(flag) },
  applyAsColumn: { field: required(text) },
  removeColumn: { index: required(wholeNumber(MAX_CUSTOM_COLUMNS - 1)) },
};

const MESSAGE_FIELDS = {
  ready: { type: required(oneOf('ready')) },
  countersShown: { type: required(oneOf('countersShown')) },
  followTail: { type: required(oneOf('followTail')), rows: required(wholeNumber()) },
  request: {
    type: required(oneOf('request')),
    id: required(wholeNumber()),
    method: required((v) =>
      typeof v === 'string' && Object.hasOwn(REQUEST_PARAMS, v) ? undefined : 'is not a known request',
    ),
    params: required(() => undefined), // checked against the method's schema below
  },
} satisfies Record<WebviewMessage['type'], Record<string, Field>>;

/** A plain object (what structured clone gives), not an array, class instance or prototype trick. */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Why `value` does not have exactly the fields of `schema`, or undefined when it does. */
function checkObject(value: unknown, schema: Record<string, Field>, where: string): string | undefined {
  if (!isPlainObject(value)) return `${where} is not an object`;
  // Own keys only, symbols and "__proto__" included: nothing the schema does not name gets through.
  for (const key of Reflect.ownKeys(value)) {
    if (typeof key !== 'string' || !Object.hasOwn(schema, key)) return `${where} has an unexpected field`;
  }
  for (const [key, field] of Object.entries(schema)) {
    const present = Object.hasOwn(value, key) && value[key] !== undefined;
    if (!present) {
      if (field.optional) continue;
      return `${where}.${key} is missing`;
    }
    const why = field.check(value[key]);
    if (why) return `${where}.${key} ${why}`;
  }
  return undefined;
}

export type CheckedMessage = { ok: true; message: WebviewMessage } | { ok: false; error: string };

/** Checks a message from the webview against the contract: the message, or why it was refused. */
export function checkWebviewMessage(value: unknown): CheckedMessage {
  const type = isPlainObject(value) && Object.hasOwn(value, 'type') ? value.type : undefined;
  if (typeof type !== 'string' || !Object.hasOwn(MESSAGE_FIELDS, type))
    return { ok: false, error: `message.type is not one of ${Object.keys(MESSAGE_FIELDS).join(', ')}` };
  const error =
    checkObject(value, MESSAGE_FIELDS[type as WebviewMessage['type']], 'message') ??
    (type === 'request'
      ? checkObject(
          (value as Record<string, unknown>).params,
          REQUEST_PARAMS[(value as Record<string, unknown>).method as RequestName],
          'params',
        )
      : undefined);
  return error ? { ok: false, error } : { ok: true, message: value as WebviewMessage };
}
