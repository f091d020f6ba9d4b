// The display-filter names the filter bar completes and checks as you type: our engine's, and
// Wireshark's own catalogue (`tshark -G fields` and `-G protocols`, about 236,000 names in 4.0).
// The catalogue is kept as one sorted text, a line a name, with the offsets of its lines: a prefix
// is found by binary search, and the catalogue costs little more memory than its text (objects for
// each name would cost several times more). tshark's output is untrusted: every line is checked,
// every column cleaned and bounded, the whole bounded in size and count.
//
// Runs in Node and in the browser (the panel's dev page uses our names alone).

import { captureFilterHint, compileDisplayFilter, DisplayFilterError, filterNames } from './display-filter.js';
import { closestName } from './filter-hints.js';

/** One name offered while typing: its type (`uint16`, `string`, `protocol`, …) and, from
 *  Wireshark, its description. */
export interface FieldCompletion {
  name: string;
  type: string;
  description?: string;
}

/** The filter bar's verdict on a filter as it is typed: who judged it, or the message to show. */
export type DisplayFilterCheck = { ok: true; judge: 'ours' | 'wireshark' | 'none' } | { ok: false; error: string };

/** Bounds on what tshark says and on the catalogue kept: well above Wireshark 4.0's 19 MB. */
export const CATALOGUE_LIMITS = { maxBytes: 64 << 20, maxEntries: 1_000_000 };
/** Names offered for one prefix. */
export const COMPLETION_LIMIT = 50;

const MAX_NAME = 128;
const MAX_TYPE = 32;
const MAX_DESCRIPTION = 160;
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const HEADER = 'packet-capture wireshark fields 1';

/** A column of tshark's output as one line of plain text: no tabs, newlines or control characters. */
function clean(text: string | undefined, max: number): string {
  const t = text ?? '';
  let plain = true;
  for (let i = 0; i < t.length && plain; i++) {
    const c = t.charCodeAt(i);
    plain = c >= 32 && c !== 127;
  }
  if (plain) return t.trim().slice(0, max);
  const spaced = Array.from(t, (ch) => (ch < ' ' || ch === '\u007f' ? ' ' : ch)).join('');
  return spaced.replace(/ {2,}/g, ' ').trim().slice(0, max);
}

/** `FT_UINT16` → `uint16`; anything else as it is, cleaned. */
function typeName(ft: string | undefined): string {
  return clean(ft, MAX_TYPE).replace(/^FT_/, '').toLowerCase();
}

/** `-G protocols` ("long name\tshort name\tfilter name"): each filter name's short name, the name a
 *  Decode As entry gives the dissector by (`http2` → `HTTP2`). */
function shortNames(protocolsText: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const line of protocolsText.split('\n')) {
    const [, short, filter] = line.split('\t');
    const name = filter ?? '';
    const shortName = clean(short, MAX_NAME);
    if (name.length <= MAX_NAME && NAME.test(name) && shortName && !names.has(name)) names.set(name, shortName);
  }
  return names;
}

/**
 * The catalogue's text from `tshark -G fields` (its `P` lines are the protocols, its `F` lines the
 * fields: description, name, type) and `tshark -G protocols`: a header line, then one line a name,
 * `name\ttype\tdescription[\tshort name]`, sorted. Lines that do not fit are left out; throws when
 * the output is too large or holds no name at all (not tshark's).
 */
export function catalogueText(fieldsText: string, protocolsText: string): string {
  if (fieldsText.length + protocolsText.length > CATALOGUE_LIMITS.maxBytes)
    throw new Error(`tshark's field list is larger than ${CATALOGUE_LIMITS.maxBytes} bytes`);
  const shorts = shortNames(protocolsText);
  const lines = new Map<string, string>();
  for (const line of fieldsText.split('\n')) {
    if (lines.size >= CATALOGUE_LIMITS.maxEntries) break;
    const columns = line.split('\t');
    const kind = columns[0];
    if (kind !== 'P' && kind !== 'F') continue;
    const name = columns[2] ?? '';
    if (name.length > MAX_NAME || !NAME.test(name) || lines.has(name)) continue;
    const description = clean(columns[1], MAX_DESCRIPTION);
    const type = kind === 'P' ? 'protocol' : typeName(columns[3]);
    const short = kind === 'P' ? shorts.get(name) : undefined;
    lines.set(name, [name, type, description, ...(short ? [short] : [])].join('\t'));
  }
  if (lines.size === 0) throw new Error('tshark listed no fields');
  const sorted = [...lines.keys()].sort();
  return `${HEADER}\n${sorted.map((n) => lines.get(n)!).join('\n')}\n`;
}

/** Wireshark's names, searchable by prefix. */
export class FieldCatalogue {
  private constructor(
    private readonly text: string,
    /** Where each line starts; one more entry: the end of the text. */
    private readonly starts: Uint32Array,
  ) {}

  /** The catalogue of a text catalogueText wrote (a cache file): throws when it is not one. */
  static fromText(text: string): FieldCatalogue {
    if (text.length > CATALOGUE_LIMITS.maxBytes) throw new Error('the field catalogue is too large');
    if (!text.startsWith(`${HEADER}\n`)) throw new Error('not a field catalogue');
    const starts: number[] = [];
    let previous = '';
    for (let at = HEADER.length + 1; at < text.length; ) {
      const end = text.indexOf('\n', at);
      if (end < 0) throw new Error('the field catalogue ends mid-line');
      const tab = text.indexOf('\t', at);
      const name = text.slice(at, tab < 0 || tab > end ? end : tab);
      if (!NAME.test(name) || name <= previous)
        throw new Error(`the field catalogue's line ${starts.length + 2} is wrong`);
      if (starts.length >= CATALOGUE_LIMITS.maxEntries) throw new Error('the field catalogue has too many names');
      starts.push(at);
      previous = name;
      at = end + 1;
    }
    starts.push(text.length);
    return new FieldCatalogue(text, Uint32Array.from(starts));
  }

  get size(): number {
    return this.starts.length - 1;
  }

  private line(i: number): string[] {
    return this.text.slice(this.starts[i], this.starts[i + 1]! - 1).split('\t');
  }

  private nameAt(i: number): string {
    const start = this.starts[i]!;
    const end = this.starts[i + 1]! - 1;
    const tab = this.text.indexOf('\t', start);
    return this.text.slice(start, tab < 0 || tab > end ? end : tab);
  }

  /** The first line whose name is not below `name`. */
  private lowerBound(name: string): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.nameAt(mid) < name) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private entryAt(i: number): FieldCompletion & { short?: string } {
    const [name, type, description, short] = this.line(i);
    return { name: name!, type: type ?? '', ...(description ? { description } : {}), ...(short ? { short } : {}) };
  }

  /** The entry named `name`, if Wireshark knows it. */
  entry(name: string): (FieldCompletion & { short?: string }) | undefined {
    const i = this.lowerBound(name);
    return i < this.size && this.nameAt(i) === name ? this.entryAt(i) : undefined;
  }

  has(name: string): boolean {
    return this.entry(name) !== undefined;
  }

  /** The first `limit` names starting with `prefix`, in order. */
  complete(prefix: string, limit = COMPLETION_LIMIT): FieldCompletion[] {
    const out: FieldCompletion[] = [];
    for (let i = this.lowerBound(prefix); i < this.size && out.length < limit; i++) {
      if (!this.nameAt(i).startsWith(prefix)) break;
      const { short: _, ...entry } = this.entryAt(i);
      out.push(entry);
    }
    return out;
  }

  /** The dissector's short name of protocol `filterName` (`http2` → `HTTP2`), as Decode As
   *  entries name it. */
  shortName(filterName: string): string | undefined {
    return this.entry(filterName)?.short;
  }

  *names(): Iterable<string> {
    for (let i = 0; i < this.size; i++) yield this.nameAt(i);
  }
}

/** Our names and, when there, Wireshark's starting with `prefix`, in order, at most `limit`;
 *  Wireshark's description goes with our names too. */
export function completeFields(
  prefix: string,
  catalogue: FieldCatalogue | undefined,
  limit = COMPLETION_LIMIT,
): FieldCompletion[] {
  const byName = new Map<string, FieldCompletion>();
  for (const entry of catalogue?.complete(prefix, limit) ?? []) byName.set(entry.name, entry);
  for (const { name, type } of filterNames()) {
    if (!name.startsWith(prefix) || byName.has(name)) continue;
    const theirs = catalogue?.entry(name);
    byName.set(name, theirs ? { name, type: theirs.type, description: theirs.description } : { name, type });
  }
  return [...byName.keys()]
    .sort()
    .slice(0, limit)
    .map((n) => byName.get(n)!);
}

/** Said with our message for a name we do not know, when no Wireshark is there to know it. */
export const NO_WIRESHARK_FIELDS =
  'Wireshark knows more fields: install it (tshark, sharkd), or set packetCapture.wiresharkPath.';

/**
 * The filter bar's verdict on `text` as it is typed: our engine first; a name it does not know is
 * looked up in Wireshark's catalogue at once (a name neither knows is an error, with the nearest
 * name of either), and a filter naming one Wireshark knows is judged by `wireshark` (sharkd's
 * check), whose message is shown as Wireshark wrote it. Without a catalogue: our engine alone.
 */
export async function checkDisplayFilter(
  text: string,
  catalogue: FieldCatalogue | undefined,
  wireshark?: (text: string) => Promise<string | undefined>,
): Promise<DisplayFilterCheck> {
  let refused: DisplayFilterError;
  try {
    return { ok: true, judge: compileDisplayFilter(text).mode === 'none' ? 'none' : 'ours' };
  } catch (e) {
    if (!(e instanceof DisplayFilterError)) throw e;
    refused = e;
  }
  const name = refused.unknownName;
  // Syntax our engine does not have (a field against a field, slices, functions) may be
  // Wireshark's; when Wireshark refuses it too, our message says what the likely fix is.
  if (name === undefined) {
    const accepted = catalogue !== undefined && wireshark !== undefined && (await wireshark(text)) === undefined;
    return accepted ? { ok: true, judge: 'wireshark' } : { ok: false, error: refused.message };
  }
  if (!catalogue) return { ok: false, error: `${refused.message}${refused.hint ? ' ' : '. '}${NO_WIRESHARK_FIELDS}` };
  if (!catalogue.has(name)) {
    const hint = captureFilterHint(text) ?? nearName(name, catalogue);
    return {
      ok: false,
      error: `"${name}" is neither a field nor a protocol name, ours or Wireshark's (column ${refused.position + 1})${hint ? `. ${hint}` : ''}`,
    };
  }
  const theirs = await wireshark?.(text);
  if (theirs === undefined) return { ok: true, judge: 'wireshark' };
  const hint = captureFilterHint(text);
  return { ok: false, error: hint ? `${theirs} ${hint}` : theirs };
}

/** "Did you mean …?" with the nearest of our names and Wireshark's. */
function nearName(name: string, catalogue: FieldCatalogue): string | undefined {
  const near = closestName(name, [...filterNames().map((n) => n.name), ...catalogue.names()]);
  return near && `Did you mean ${near}?`;
}
