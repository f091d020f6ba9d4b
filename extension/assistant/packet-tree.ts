// One packet as the assistant reads it: the layers and fields of our decoders' detail tree as
// indented plain text, bounded in depth and in lines, with the packet's process when the capture
// names it.
import type { Field, Layer } from '../../packet/decode/types.js';
import { type ProcessInfo, processLabel } from '../../packet/process-comment.js';
import type { PacketDetail } from '../../packet/protocol.js';
import { inert } from './plain-text.js';

/** Deepest field nesting shown (a layer is depth 0). */
export const MAX_TREE_DEPTH = 6;
/** Most tree lines shown. */
export const MAX_TREE_LINES = 400;

function processLines(p: ProcessInfo): string[] {
  const lines = [`Process: ${inert(processLabel(p), 300)}`];
  if (p.ppid !== undefined) lines.push(`  Parent: ${p.ppid}${p.parentCmd ? ` ${inert(p.parentCmd, 200)}` : ''}`);
  if (p.uid !== undefined) lines.push(`  User id: ${p.uid}`);
  if (p.containerName || p.containerId)
    lines.push(`  Container: ${inert(p.containerName ?? '', 100)} ${inert(p.containerId ?? '', 80)}`.trimEnd());
  if (p.podName) lines.push(`  Pod: ${inert(p.podNamespace ?? '', 80)}/${inert(p.podName, 120)}`);
  return lines;
}

/** The tree's lines, depth first; false once `max` lines were written (the rest is left out). */
function fieldLines(fields: readonly Field[], depth: number, out: string[], max: number): boolean {
  for (const f of fields) {
    if (out.length >= max) return false;
    const name = f.name ? ` [${f.name}]` : ''; // our decoders' names, not the packet's
    out.push(`${'  '.repeat(depth)}${inert(f.label, 300)}${name}`);
    if (!f.children) continue;
    if (depth + 1 > MAX_TREE_DEPTH) out.push(`${'  '.repeat(depth + 1)}(${f.children.length} deeper fields not shown)`);
    else if (!fieldLines(f.children, depth + 1, out, max)) return false;
  }
  return true;
}

export function layerLines(layers: readonly Layer[], max = MAX_TREE_LINES): string[] {
  const out: string[] = [];
  for (const layer of layers) {
    if (out.length >= max) break;
    out.push(inert(layer.label, 300));
    if (!fieldLines(layer.fields, 1, out, max)) break;
  }
  if (out.length >= max) out.push(`(tree cut at ${max} lines)`);
  return out;
}

/** Packet `detail` of capture `captureName` as plain-text lines. */
export function formatPacketTree(captureName: string, detail: PacketDetail): string[] {
  const lines = [
    `Packet ${detail.number} of ${captureName}: ${detail.length} bytes on the wire, ${detail.capturedLength} captured, at ${detail.time.toFixed(6)} s${detail.interfaceName ? ` on ${inert(detail.interfaceName, 80)}` : ''}${detail.direction ? ` (${detail.direction})` : ''}`,
  ];
  const s = detail.decoded.summary;
  lines.push(
    `Summary: ${inert(s.source, 80)} → ${inert(s.destination, 80)} ${inert(s.protocol, 40)} ${inert(s.info, 300)}`,
  );
  if (detail.process) lines.push(...processLines(detail.process));
  else if (detail.process === null) lines.push('Process: not known for this packet');
  for (const p of detail.decoded.problems) lines.push(`Problem: ${inert(p, 300)}`);
  lines.push('Layers:', ...layerLines(detail.decoded.layers));
  return lines;
}
