// Custom columns, as Wireshark's "Apply as Column": a column of the packet table showing a field
// our decoders know (`tcp.window_size`, `dns.qry.name`), every occurrence in the packet joined by
// commas as `tshark -T fields` joins them. The rows, the sort's keys (in the filter workers) and the
// settings all read it from here.
//
// Runs in Node and in the browser.

import type { FilterReads } from './decode/index.js';
import type { DecodedPacket, Field } from './decode/types.js';
import { compileDisplayFilter, DisplayFilterError, filterNameKind } from './display-filter.js';

/** Why `field` cannot be a column (a sentence), or undefined when it can. */
export function customColumnProblem(field: string): string | undefined {
  const kind = filterNameKind(field);
  if (kind === undefined) return `"${field}" is not a field our decoders know, so it cannot be a column.`;
  return undefined;
}

/** What a decode must read to show `fields` (and the row's columns): their layers' fields only. */
export function customColumnReads(fields: readonly string[]): FilterReads {
  try {
    const compiled = compileDisplayFilter(fields.join(' || '));
    return {
      needsTree: compiled.needsTree,
      ...(compiled.fieldLayers && { fieldLayers: compiled.fieldLayers }),
      readsColumns: true,
    };
  } catch (e) {
    if (!(e instanceof DisplayFilterError)) throw e;
    return { needsTree: true, readsColumns: true }; // a name not ours: the whole tree, which lacks it
  }
}

/** The field's text in the packet: each occurrence's value, joined by commas (a protocol: its
 *  layer's summary); '' when the packet has none. */
export function customColumnText(decoded: DecodedPacket, field: string): string {
  const texts: string[] = [];
  for (const layer of decoded.layers) {
    if (layer.protocol === field) texts.push(layer.label);
    collect(layer.fields, field, texts);
  }
  return texts.join(',');
}

function collect(fields: readonly Field[], name: string, into: string[]): void {
  for (const f of fields) {
    if (f.name === name) into.push(valueText(f));
    if (f.children) collect(f.children, name, into);
  }
}

/** A value as `tshark -T fields` prints it: numbers in decimal, booleans as 1 or 0, a field with
 *  no value by its label. */
function valueText(f: Field): string {
  if (f.value === undefined) return f.label;
  if (typeof f.value === 'boolean') return f.value ? '1' : '0';
  return String(f.value);
}
