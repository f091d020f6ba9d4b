// The packet table's rows, as the webview asks for them: the view's rows from `start`, each
// packet's columns (summarizePacket) and, in a capture of pods, its pod. No VS Code here, so the
// unit tests build rows from real stores.
import { summarizePacket } from '../../packet/decode/index.js';
import { podLabel } from '../../packet/k8s-pod.js';
import type { Row } from '../../packet/protocol.js';
import type { PacketStore } from '../store/packet-store.js';
import type { PacketView } from '../store/packet-view.js';

/** Most rows one request is answered with (a screen holds far fewer). */
export const MAX_ROWS_PER_REQUEST = 1000;

export function tableRows(store: PacketStore, view: PacketView, start: number, count: number): Row[] {
  const rows: Row[] = [];
  const end = Math.min(view.rows, start + Math.min(count, MAX_ROWS_PER_REQUEST));
  for (let index = Math.max(0, start); index < end; index++) {
    const p = store.packet(view.numberAt(index)!);
    if (!p) break;
    const s = summarizePacket(p.linkType, p.data, p.originalLength);
    const pod = store.interfaces[p.interfaceId]?.pod;
    rows.push({
      index,
      number: p.number,
      time: p.time,
      source: s.source,
      destination: s.destination,
      protocol: s.protocol,
      length: p.originalLength,
      info: s.info,
      direction: p.direction,
      ...(pod ? { pod: podLabel(pod) } : {}),
    });
  }
  return rows;
}
