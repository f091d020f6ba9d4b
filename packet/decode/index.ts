// Packet decoding for the capture table and the detail view.
//
//   decodePacket(linkType, bytes, originalLength)    → the detail tree (layers, fields with byte
//                                                       ranges), columns, problems, conversation
//   summarizePacket(linkType, bytes, originalLength) → the columns and the conversation only:
//                                                       the same decoders without building the tree
//
// Both run the same layer decoders (one file per layer, dispatch tables in registry.ts/tables.ts),
// so a summary always equals the full decode's summary. Neither throws: malformed or truncated
// bytes end the decode with what it had and a note in `problems`.
//
// Runs in Node and in the browser: Uint8Array only. applyDecodeAs (registry.ts) sets the user's
// Decode As rules for every decode of this runtime that follows.

import { Dissection, field, type SelectiveTree, SharedFields } from './dissection.js';
import { LINK_TYPES } from './registry.js';
import { fastStreams } from './stream-pass.js';
import type { StreamContext } from './streams.js';
import { LINK_TYPE_NAMES } from './tables.js';
import type { Conversation, DecodedPacket, Layer, PacketSummary } from './types.js';

export type { SelectiveTree } from './dissection.js';
export { applyDecodeAs } from './registry.js';
export type { StreamContext } from './streams.js';
export type { Conversation, DecodedPacket, Field, Layer, PacketSummary } from './types.js';

export type SummaryWithConversation = PacketSummary & { conversation?: Conversation };

function run(d: Dissection, linkType: number): void {
  if (d.streams?.ignored?.()) {
    d.info = '<Ignored>'; // as Wireshark's frame dissector: no layer above the frame, no other column
    return;
  }
  const f = LINK_TYPES.get(linkType);
  if (!f) {
    d.protocol = 'Unknown';
    d.info = `Link type ${linkType} is not supported`;
    d.note(d.info);
    if (d.recordsLayers && d.length > 0) d.dataLayer(0, d.length);
    return;
  }
  try {
    f(d, 0, d.length, d.wireLength);
    if (d.infoPrefix !== '') d.info = d.infoPrefix + d.info;
  } catch (e) {
    // A decoder bug must not take the table down: the row shows what was decoded before it.
    d.note(`internal decoder error: ${e instanceof Error ? e.message : String(e)}`);
    d.info += '[Decoder error]';
  }
}

/**
 * Decodes one packet into its detail tree. `originalLength` is the length on the wire (defaults
 * to the captured length); when larger, running out of bytes is reported as truncation by the
 * capture rather than as a malformed packet. `selective` asks for a display filter's selective
 * tree instead (see Dissection.fieldsOf and Dissection.columns): every layer, the fields of some
 * protocols only, and the columns only if the filter reads them. `streams` decodes the packet as
 * part of its capture (stream indices, TCP analysis: streams.ts).
 */
export function decodePacket(
  linkType: number,
  data: Uint8Array,
  originalLength?: number,
  selective?: SelectiveTree,
  streams?: StreamContext,
): DecodedPacket {
  const d = new Dissection(data, originalLength ?? data.length, selective === undefined, 0, selective);
  d.streams = streams;
  const frame = d.layer('frame', '', 0, d.length);
  run(d, linkType);
  if (d.tree || selective?.fieldsOf?.has('frame')) frameTree(d, frame, linkType);
  const out: DecodedPacket = {
    summary: { source: d.src, destination: d.dst, protocol: d.protocol, info: d.info },
    layers: d.layers,
    problems: d.problems ?? [],
  };
  const c = d.conversation();
  if (c) out.conversation = c;
  return out;
}

/** The frame layer's label and fields, once the layers below it are known. */
function frameTree(d: Dissection, frame: Layer, linkType: number): void {
  const wire = d.wireLength;
  const cap = d.length;
  let protocols = '';
  for (let i = 1; i < d.layers.length; i++) {
    const p = d.layers[i]!.protocol;
    if (p.charCodeAt(0) !== 0x5f) protocols = protocols ? `${protocols}:${p}` : p; // skip "_ws…"
  }
  frame.label = `Frame: ${wire} bytes on wire (${wire * 8} bits), ${cap} bytes captured (${cap * 8} bits)`;
  const ignored = d.streams?.ignored?.() === true;
  frame.fields.push(
    frameFields.get(linkType, () =>
      field(
        'frame.encap_type',
        `Encapsulation type: ${LINK_TYPE_NAMES.get(linkType) ?? 'Unknown'} (${linkType})`,
        0,
        0,
        linkType,
      ),
    ),
    frameFields.get(1e6 + wire, () => field('frame.len', `Frame Length: ${wire} bytes (${wire * 8} bits)`, 0, 0, wire)),
    frameFields.get(2e6 + cap, () =>
      field('frame.cap_len', `Capture Length: ${cap} bytes (${cap * 8} bits)`, 0, 0, cap),
    ),
  );
  // An ignored frame stops before its protocols are listed, as Wireshark's does.
  if (ignored) frame.fields.push(field('frame.ignored', '[Frame is ignored: True]', 0, 0, true));
  else frame.fields.push(field('frame.protocols', `[Protocols in frame: ${protocols}]`, 0, 0, protocols));
}

const frameFields = new SharedFields();

/** One Dissection reused by every summary: no per-packet decoder state on the table's hot path. */
const scratch = new Dissection(new Uint8Array(0), 0, false);

/** The table row's columns (and conversation) without building the detail tree. */
export function summarizePacket(
  linkType: number,
  data: Uint8Array,
  originalLength?: number,
  streams?: StreamContext,
): SummaryWithConversation {
  const d = scratch;
  d.reset(data, originalLength ?? data.length, streams);
  run(d, linkType);
  const out: SummaryWithConversation = { source: d.src, destination: d.dst, protocol: d.protocol, info: d.info };
  if (d.convProto !== undefined) out.conversation = d.conversation();
  return out;
}

/** One Dissection reused by the streams pass: no tree and no column text, only decisions. */
const passScratch = new Dissection(new Uint8Array(0), 0, false, 0, { columns: false });
passScratch.transportOnly = true;

/** Decodes the packet for the capture's streams pass (streams.ts) alone: the stream context
 *  sees its TCP and UDP headers; nothing is returned. */
export function passStreams(linkType: number, data: Uint8Array, originalLength: number, streams: StreamContext): void {
  if (fastStreams(linkType, data, originalLength, streams)) return;
  passScratch.reset(data, originalLength, streams);
  run(passScratch, linkType);
}

/** How much of a packet a display filter reads (CompiledDisplayFilter's needsTree, fieldLayers,
 *  readsColumns). */
export interface FilterReads {
  needsTree: boolean;
  fieldLayers?: ReadonlySet<string>;
  readsColumns: boolean;
}

/** The packet decoded as far as a display filter reads it: the columns, a selective tree or the whole tree. */
export function decodeForFilter(
  reads: FilterReads,
  linkType: number,
  data: Uint8Array,
  originalLength: number,
  streams?: StreamContext,
): DecodedPacket {
  // What the streams pass found shows in the columns (Info) and in the tree: not only in TCP's
  // fields, also in which protocol a segment's payload goes to (none, for a retransmission).
  if (!reads.readsColumns && !reads.needsTree) streams = undefined;
  if (reads.needsTree)
    return decodePacket(
      linkType,
      data,
      originalLength,
      reads.fieldLayers && { fieldsOf: reads.fieldLayers, columns: reads.readsColumns },
      streams,
    );
  return { summary: summarizePacket(linkType, data, originalLength, streams), layers: [], problems: [] };
}

/**
 * The columns only, written into `out` (no conversation, no allocation beyond the column
 * strings): for tools that print millions of rows.
 */
export function summarizeInto(
  linkType: number,
  data: Uint8Array,
  originalLength: number,
  out: PacketSummary,
  streams?: StreamContext,
): PacketSummary {
  const d = scratch;
  d.reset(data, originalLength, streams);
  run(d, linkType);
  out.source = d.src;
  out.destination = d.dst;
  out.protocol = d.protocol;
  out.info = d.info;
  return out;
}
