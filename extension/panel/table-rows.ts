// The packet table's rows, as the webview asks for them: the view's rows from `start`, each
// packet's columns (summarizePacket) and, in a capture of pods, its pod, in a capture that names
// processes, its process; and one packet's detail. No VS Code here, so the unit tests build rows
// and details from real stores.
import { coloringRuleOf } from '../../packet/coloring-rules.js';
import { customColumnReads, customColumnText } from '../../packet/custom-columns.js';
import { decodeForFilter, decodePacket, type FilterReads, summarizePacket } from '../../packet/decode/index.js';
import { podLabel } from '../../packet/k8s-pod.js';
import { parseProcessComments, processLabel, processPod } from '../../packet/process-comment.js';
import type { CounterUpdate, PacketDetail, Row } from '../../packet/protocol.js';
import type { PacketStore } from '../store/packet-store.js';
import type { PacketView } from '../store/packet-view.js';

/** Most rows one request is answered with (a screen holds far fewer). */
export const MAX_ROWS_PER_REQUEST = 1000;

/** What decoding a row reads beyond its columns: the colouring rules' fields and the custom
 *  columns' (undefined: the columns alone). */
function rowReads(view: PacketView): FilterReads | undefined {
  const fields = view.customColumns.map((c) => c.field);
  const custom = fields.length > 0 ? customColumnReads(fields) : undefined;
  const coloring = view.coloring;
  if (!coloring || !custom) return custom ?? (coloring && { ...coloring, readsColumns: true });
  // Both: a tree when either needs one, of every layer when either needs them all.
  const layers = (r: FilterReads) => (r.needsTree ? r.fieldLayers : new Set<string>());
  const a = layers(coloring);
  const b = layers(custom);
  return {
    needsTree: coloring.needsTree || custom.needsTree,
    ...(a && b && { fieldLayers: new Set([...a, ...b]) }),
    readsColumns: true,
  };
}

export function tableRows(store: PacketStore, view: PacketView, start: number, count: number): Row[] {
  const rows: Row[] = [];
  const end = Math.min(view.rows, start + Math.min(count, MAX_ROWS_PER_REQUEST));
  const coloring = view.coloring;
  const reads = rowReads(view);
  const first = Math.max(0, start);
  // The Time column's "since the previous displayed packet": in packet order, as Wireshark's
  // frame.time_delta_displayed, whatever order the rows are sorted in. In packet order the row
  // before the first asked is read once, and after it each row's previous packet is the one the
  // loop read last.
  const sorted = view.sortOrder !== undefined;
  let previousNs = first > 0 && !sorted ? store.packet(view.numberAt(first - 1)!)?.timestampNs : undefined;
  for (let index = first; index < end; index++) {
    const p = store.packet(view.numberAt(index)!);
    if (!p) break;
    // Decoded as far as the colouring rules and the custom columns read, with the columns (the row
    // shows them, with the streams' values); else the columns alone.
    const decoded = reads
      ? decodeForFilter(reads, p.linkType, p.data, p.originalLength, store.streamsOf(p.number))
      : undefined;
    const s = decoded?.summary ?? summarizePacket(p.linkType, p.data, p.originalLength, store.streamsOf(p.number));
    // An ignored packet is drawn as one (Wireshark gives it its own colours, not a rule's).
    const ignored = store.ignored(p.number);
    const rule =
      coloring && decoded && !ignored
        ? coloringRuleOf(coloring, decoded, { number: p.number, length: p.originalLength })
        : -1;
    const colored = rule >= 0 ? coloring!.rules[rule]!.rule : undefined;
    const process = parseProcessComments(p.comments);
    // One Pod column, two sources: the interface's name, else the process's comment.
    const pod = store.interfaces[p.interfaceId]?.pod ?? (process && processPod(process));
    // The first row's delta is 0; a row whose previous packet is no longer held has none.
    let isFirst = index === 0;
    if (sorted) {
      const previous = view.previousShown(p.number);
      isFirst = previous === undefined;
      previousNs = previous === undefined ? undefined : store.packet(previous)?.timestampNs;
    }
    const delta = isFirst ? 0 : previousNs === undefined ? undefined : Number(p.timestampNs - previousNs) / 1e9;
    previousNs = p.timestampNs;
    rows.push({
      index,
      number: p.number,
      time: p.time,
      ...(delta === undefined ? {} : { delta }),
      epochNs: String(p.timestampNs),
      source: s.source,
      destination: s.destination,
      protocol: s.protocol,
      length: p.originalLength,
      info: s.info,
      direction: p.direction,
      ...(ignored ? { ignored: true } : {}),
      ...(pod ? { pod: podLabel(pod) } : {}),
      ...(process ? { process: processLabel(process) } : {}),
      ...(colored ? { color: colored.color, colorRule: colored.name } : {}),
      ...(decoded && view.customColumns.length > 0
        ? { custom: view.customColumns.map((c) => customColumnText(decoded, c.field)) }
        : {}),
    });
  }
  return rows;
}

/** What the capture holds beyond packets, for the counters: its pods (the Pod column, counters
 *  per pod of pods' interfaces) and whether it names processes (the Process column). */
export function captureContents(store: PacketStore): Pick<CounterUpdate, 'pods' | 'processes'> {
  const pods = store.podCounters() ?? (store.hasProcessPods ? [] : undefined);
  return { ...(pods ? { pods } : {}), ...(store.hasProcesses ? { processes: true } : {}) };
}

/** Packet `number`'s detail: its layers, bytes, interface and, in a capture that names
 *  processes, its process or null; undefined when the store no longer holds it. */
export function packetDetail(store: PacketStore, number: number): PacketDetail | undefined {
  const p = store.packet(number);
  if (!p) return undefined;
  const process = parseProcessComments(p.comments);
  return {
    number: p.number,
    time: p.time,
    timestampNs: p.timestampNs.toString(),
    length: p.originalLength,
    capturedLength: p.data.length,
    interfaceName: store.interfaces[p.interfaceId]?.name,
    direction: p.direction,
    ...(process || store.hasProcesses ? { process: process ?? null } : {}),
    decoded: decodePacket(p.linkType, p.data, p.originalLength, undefined, store.streamsOf(p.number)),
    bytes: Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength).toString('base64'),
  };
}
