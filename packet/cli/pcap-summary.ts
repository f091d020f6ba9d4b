// pcap-summary FILE|- [-Y FILTER] [--json] [--tshark PATH]: the capture table's rows for a pcap or
// pcapng file (or standard input), as `tshark -r` prints them (No., Time since the first packet,
// Source → Destination, Protocol, Length, Info), or one JSON object per line. A packet whose
// process the capture names (pcapng comments, packet/process-comment.ts) ends its row with
// "  [node (1234)]", its JSON object with "process". Streams its input, so its size does not matter.
//
// -d RULE (tshark's Decode As, `tcp.port==18080,http`, repeatable) decodes a port as a protocol, in
// our decoders where they know it and in tshark.
//
// -Y FILTER prints only the rows a Wireshark display filter matches, numbered as in the file, as
// `tshark -r FILE -Y FILTER` does: our own engine judges what our decoders know; a filter naming
// a field or protocol they do not (`mqtt`, `pgsql.query contains "x"`) is judged by Wireshark's
// tshark (packet/tshark-filter.ts), whose own message reports a filter it refuses.
//
// Exit status: 0 when the file was read (notes about damaged blocks go to stderr), 1 when it
// could not be read (missing, or not a capture file), 2 for a usage error or a bad filter.
//
// Node only (bundled to dist/tools/pcap-summary.js; bin/pcap-summary runs it).

import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';

import { type CapturedPacket, CaptureFileReader } from '../capture-file.js';
import { applyDecodeAs, decodeForFilter, summarizeInto } from '../decode/index.js';
import type { PacketSummary } from '../decode/types.js';
import { type DecodeAsRule, parseDecodeAs } from '../decode-as.js';
import {
  type CompiledDisplayFilter,
  captureFilterHint,
  compileDisplayFilter,
  DisplayFilterError,
} from '../display-filter.js';
import { type ProcessInfo, parseProcessComments, processLabel, processName } from '../process-comment.js';
import { TsharkError, type TsharkInput, TsharkMatches, TsharkMissingError } from '../tshark-filter.js';

const USAGE = 'usage: pcap-summary FILE|- [-Y FILTER] [-d RULE…] [--json] [--tshark PATH]\n';
/** File bytes read at a time. */
const CHUNK = 4 << 20;
/** Output is handed to the stream in pieces of this many bytes. */
const OUT_SIZE = 1 << 20;

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
}

type NativeWrite = (this: Buffer, s: string, offset: number) => number;
/** Buffer's own writers skip write()'s argument checks; write() where they are missing. */
const proto = Buffer.prototype as unknown as { utf8Write?: NativeWrite; latin1Write?: NativeWrite };
const utf8Write: NativeWrite =
  proto.utf8Write ??
  function (this: Buffer, s: string, o: number) {
    return this.write(s, o, 'utf8');
  };
const latin1Write: NativeWrite =
  proto.latin1Write ??
  function (this: Buffer, s: string, o: number) {
    return this.write(s, o, 'latin1');
  };

// biome-ignore lint/suspicious/noControlCharactersInRegex: exactly the characters JSON must escape
const NEEDS_JSON_ESCAPE = /["\\\x00-\x1f]/;
/** Room a row needs beyond its strings' UTF-8. */
const ROW_SLACK = 256;

/**
 * Encodes rows straight into a byte buffer, handed to the stream when full. Numbers and the time
 * are written digit by digit, the columns with Buffer's native writers (addresses and protocol
 * names are ASCII), so a row makes no string of its own: building one row string and encoding
 * it cost more than decoding the packet.
 */
class RowWriter {
  private buf = Buffer.allocUnsafe(OUT_SIZE);
  private pos = 0;

  constructor(private readonly sink: (bytes: Uint8Array) => void) {}

  get full(): boolean {
    return this.pos > OUT_SIZE - 64 * 1024;
  }

  flush(): void {
    if (this.pos === 0) return;
    this.sink(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(OUT_SIZE); // the stream may still hold the old one
    this.pos = 0;
  }

  private room(n: number): Buffer {
    if (this.buf.length - this.pos < n) {
      this.flush();
      if (this.buf.length < n) this.buf = Buffer.allocUnsafe(n);
    }
    return this.buf;
  }

  /** tshark's layout: No. right-aligned in 5, Time, Source right-aligned in 12, "→", Destination left-aligned in 12, Protocol, Length, Info. */
  /** `tail` (the packet's process, rare) ends the line after Info. */
  row(number: number, relNs: number, s: PacketSummary, length: number, tail?: string): void {
    const src = s.source;
    const dst = s.destination;
    const b = this.room(
      src.length + dst.length + s.protocol.length + (s.info.length + (tail?.length ?? 0)) * 3 + ROW_SLACK,
    );
    let p = this.pos;
    p = digits(b, p, number, 5);
    b[p++] = 0x20;
    p = seconds(b, p, relNs);
    b[p++] = 0x20;
    for (let k = src.length; k < 12; k++) b[p++] = 0x20;
    p = ascii(b, p, src);
    b[p++] = 0x20;
    b[p++] = 0xe2;
    b[p++] = 0x86;
    b[p++] = 0x92;
    b[p++] = 0x20; // " → "
    p = ascii(b, p, dst);
    for (let k = dst.length; k < 12; k++) b[p++] = 0x20;
    b[p++] = 0x20;
    p = ascii(b, p, s.protocol);
    b[p++] = 0x20;
    p = digits(b, p, length, 0);
    b[p++] = 0x20;
    p += utf8Write.call(b, s.info, p);
    if (tail !== undefined) p += utf8Write.call(b, tail, p);
    b[p++] = 0x0a;
    this.pos = p;
  }

  /** `process`, a JSON object's text (rare), becomes the row's "process" member. */
  jsonRow(number: number, relNs: number, s: PacketSummary, length: number, process?: string): void {
    const b = this.room(
      s.source.length * 6 +
        s.destination.length * 6 +
        s.protocol.length * 6 +
        s.info.length * 6 +
        (process?.length ?? 0) * 3 +
        ROW_SLACK,
    );
    let p = this.pos;
    p += latin1Write.call(b, '{"number":', p);
    p = digits(b, p, number, 0);
    p += latin1Write.call(b, ',"time":', p);
    p = seconds(b, p, relNs);
    p += latin1Write.call(b, ',"source":', p);
    p = jsonString(b, p, s.source);
    p += latin1Write.call(b, ',"destination":', p);
    p = jsonString(b, p, s.destination);
    p += latin1Write.call(b, ',"protocol":', p);
    p = jsonString(b, p, s.protocol);
    p += latin1Write.call(b, ',"length":', p);
    p = digits(b, p, length, 0);
    p += latin1Write.call(b, ',"info":', p);
    p = jsonString(b, p, s.info);
    if (process !== undefined) p += utf8Write.call(b, `,"process":${process}`, p);
    b[p++] = 0x7d;
    b[p++] = 0x0a;
    this.pos = p;
  }
}

/** A JSON string literal; packet text rarely needs escapes, so the common case is a plain copy. */
function jsonString(b: Buffer, p: number, s: string): number {
  if (NEEDS_JSON_ESCAPE.test(s)) return p + utf8Write.call(b, JSON.stringify(s), p);
  b[p++] = 0x22;
  p = s.length <= 48 ? ascii(b, p, s) : p + utf8Write.call(b, s, p);
  b[p++] = 0x22;
  return p;
}

/**
 * A short column (an address, a protocol name: ASCII) copied in JS: cheaper than a native call.
 * Anything else goes through the UTF-8 writer.
 */
function ascii(b: Buffer, p: number, s: string): number {
  if (s.length > 48) return p + utf8Write.call(b, s, p);
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c > 0x7f) return p - k + utf8Write.call(b, s, p - k);
    b[p++] = c;
  }
  return p;
}

/** A non-negative integer right-aligned in `width` columns (0: no padding); returns the new offset. */
function digits(b: Uint8Array, p: number, v: number, width: number): number {
  let n = 1;
  for (let t = v; t >= 10; t = Math.floor(t / 10)) n++;
  for (let k = n; k < width; k++) b[p++] = 0x20;
  let q = p + n;
  const end = q;
  do {
    const d = Math.floor(v / 10);
    b[--q] = 0x30 + (v - d * 10);
    v = d;
  } while (v > 0);
  return end;
}

/** Seconds with 6 decimals (microseconds, truncated) for a nanosecond difference. */
function seconds(b: Uint8Array, p: number, ns: number): number {
  if (ns < 0) {
    b[p++] = 0x2d;
    ns = -ns;
  }
  const us = Math.floor(ns / 1000);
  const sec = Math.floor(us / 1e6);
  p = digits(b, p, sec, 0);
  b[p++] = 0x2e;
  let frac = us - sec * 1e6;
  for (let k = p + 5; k >= p; k--) {
    const d = Math.floor(frac / 10);
    b[k] = 0x30 + (frac - d * 10);
    frac = d;
  }
  return p + 6;
}

/** Seconds with 6 decimals (microseconds, truncated) for a nanosecond difference, as text. */
export function formatSeconds(ns: number): string {
  const b = new Uint8Array(40);
  return String.fromCharCode(...b.subarray(0, seconds(b, 0, ns)));
}

/** A process as the JSON rows give it: its fields and its name (proc.name). */
function processJson(p: ProcessInfo): string {
  return JSON.stringify({ ...p, name: processName(p) });
}

interface Options {
  file: string;
  json: boolean;
  /** -Y: a Wireshark display filter; only the rows it matches are printed, numbered as in the file. */
  displayFilter?: string;
  /** --tshark: the tshark that judges filters our decoders cannot (default: tshark on PATH). */
  tshark: string;
  /** -d RULE…: Decode As, as tshark's -d (`tcp.port==18080,http`), for our decoders and tshark. */
  decodeAs: DecodeAsRule[];
}

/** The options, or the exit status of a usage error or of --help. */
function parseOptions(argv: readonly string[], io: CliIo): Options | number {
  let file: string | undefined;
  let json = false;
  let displayFilter: string | undefined;
  let tshark = 'tshark';
  const decodeAs: DecodeAsRule[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '-h' || a === '--help') {
      io.stdout.write(USAGE);
      return 0;
    } else if (a === '-Y' || a === '--tshark' || a === '-d') {
      const value = argv[++i];
      if (value === undefined) {
        io.stderr.write(`pcap-summary: ${a} needs a value\n${USAGE}`);
        return 2;
      }
      if (a === '-Y') displayFilter = value;
      else if (a === '--tshark') tshark = value;
      else {
        try {
          decodeAs.push(parseDecodeAs(value));
        } catch (e) {
          io.stderr.write(`pcap-summary: -d: ${(e as Error).message}\n`);
          return 2;
        }
      }
    } else if (a.startsWith('-') && a !== '-') {
      io.stderr.write(`pcap-summary: unknown option ${a}\n${USAGE}`);
      return 2;
    } else if (file === undefined) file = a;
    else {
      io.stderr.write(`pcap-summary: one file at a time\n${USAGE}`);
      return 2;
    }
  }
  if (file === undefined) {
    io.stderr.write(USAGE);
    return 2;
  }
  return { file, json, displayFilter, tshark, decodeAs };
}

/** Which packets to print: every one, those our engine matches, or those Wireshark does. */
type Selection = { kind: 'all' } | { kind: 'ours'; filter: CompiledDisplayFilter } | { kind: 'wireshark' };

function selectionOf(o: Options, io: CliIo): Selection | number {
  if (o.displayFilter === undefined) return { kind: 'all' };
  try {
    const filter = compileDisplayFilter(o.displayFilter);
    return filter.mode === 'none' ? { kind: 'all' } : { kind: 'ours', filter };
  } catch (e) {
    if (e instanceof DisplayFilterError && e.unknownName !== undefined) return { kind: 'wireshark' };
    io.stderr.write(`pcap-summary: -Y: ${(e as Error).message}\n`);
    return 2;
  }
}

/** Runs the tool; returns the exit status. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const options = parseOptions(argv, io);
  if (typeof options === 'number') return options;
  applyDecodeAs(options.decodeAs);
  const selection = selectionOf(options, io);
  if (typeof selection === 'number') return selection;
  if (selection.kind === 'wireshark') return wiresharkRows(options, options.displayFilter!, io);
  const { file, json } = options;
  let fd: number;
  try {
    fd = file === '-' ? 0 : openSync(file, 'r');
  } catch (e) {
    io.stderr.write(`pcap-summary: ${file}: ${openError(e)}\n`);
    return 1;
  }
  const reader = new CaptureFileReader();
  const output = new RowOutput(io.stdout, json);
  const clock = new RelativeClock();
  let number = 0;
  const rows = async (packets: CapturedPacket[]) => {
    for (let i = 0; i < packets.length && !output.broken; i++) {
      const p = packets[i]!;
      number++;
      const relNs = clock.next(p);
      const linkType = reader.interfaces[p.interfaceId]?.linkType ?? -1;
      if (selection.kind === 'ours' && !matches(selection.filter, number, linkType, p)) continue;
      await output.row(number, relNs, linkType, p);
    }
  };
  try {
    const buf = new Uint8Array(CHUNK);
    for (;;) {
      const n = await readChunk(fd, buf);
      if (n === 0) break;
      // Packets are views into `buf`; each chunk's rows are made before the buffer is reused
      // (the reader copies a block that straddles chunks into its own memory).
      await rows(reader.push(buf.subarray(0, n)));
      if (output.broken || reader.stopped) break;
    }
    await rows(reader.end());
    await output.end();
  } catch (e) {
    // A reader that went away (`| head`) is not an error.
    if (output.broken || (e as NodeJS.ErrnoException).code === 'EPIPE') return 0;
    io.stderr.write(`pcap-summary: ${file}: ${(e as Error).message}\n`);
    return 1;
  } finally {
    if (fd !== 0) closeSync(fd);
    output.close();
  }
  if (output.broken) return 0;
  return readerVerdict(reader, file, io);
}

function openError(e: unknown): string {
  return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
}

/** Notes about damaged blocks on stderr; 1 when the input was no capture at all. */
function readerVerdict(reader: CaptureFileReader, file: string, io: CliIo): number {
  for (const note of reader.errors) io.stderr.write(`pcap-summary: ${file}: ${note}\n`);
  if (reader.format === undefined) {
    io.stderr.write(`pcap-summary: ${file}: not a pcap or pcapng file\n`);
    return 1;
  }
  return 0;
}

/** Up to buf.length bytes of `fd`; 0 at its end. A non-blocking stdin that has nothing yet is waited for. */
async function readChunk(fd: number, buf: Uint8Array): Promise<number> {
  for (;;) {
    try {
      return readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

/** Whether our engine's filter matches the packet (decoding only what the filter reads). */
function matches(filter: CompiledDisplayFilter, number: number, linkType: number, p: CapturedPacket): boolean {
  const decoded = decodeForFilter(filter, linkType, p.data, p.originalLength);
  const process = filter.needsProcess && p.comments ? parseProcessComments(p.comments) : undefined;
  return filter.match(decoded, { number, length: p.originalLength, process });
}

/** The Time column: each packet's time since the first packet of the file. */
class RelativeClock {
  private firstNs: bigint | undefined;
  private lastNs = 0n;

  next(p: CapturedPacket): number {
    // A Simple Packet Block has no timestamp: it shares the previous packet's.
    const ts = p.timestampNs ?? this.lastNs;
    this.firstNs ??= ts;
    this.lastNs = ts;
    return Number(ts - this.firstNs);
  }
}

/** Rows onto the output stream, with its backpressure; `broken` once the reader went away. */
class RowOutput {
  broken = false;
  private pending: Promise<unknown> | undefined;
  private readonly writer: RowWriter;
  private readonly columns: PacketSummary = { source: '', destination: '', protocol: '', info: '' };
  private readonly onError = () => {
    this.broken = true;
  };

  constructor(
    private readonly out: Writable,
    private readonly json: boolean,
  ) {
    out.on('error', this.onError);
    this.writer = new RowWriter((bytes) => {
      if (!this.broken && !out.write(bytes)) this.pending = Promise.race([once(out, 'drain'), once(out, 'error')]);
    });
  }

  async row(number: number, relNs: number, linkType: number, p: CapturedPacket): Promise<void> {
    const summary = summarizeInto(linkType, p.data, p.originalLength, this.columns);
    const process = p.comments && parseProcessComments(p.comments);
    if (this.json) this.writer.jsonRow(number, relNs, summary, p.originalLength, process && processJson(process));
    else this.writer.row(number, relNs, summary, p.originalLength, process && `  [${processLabel(process)}]`);
    if (this.writer.full) await this.drain();
  }

  async end(): Promise<void> {
    await this.drain();
  }

  close(): void {
    this.out.off('error', this.onError);
  }

  private async drain(): Promise<void> {
    this.writer.flush();
    if (this.pending) {
      await this.pending;
      this.pending = undefined;
    }
  }
}

/** Where -Y's Wireshark path reads the capture: tshark's input, and this side's file descriptor. */
interface SharedInput {
  tshark: TsharkInput;
  fd: number;
  /** Standard input: copies it to tshark and to the spool `fd` reads, until it ends. */
  feed?: (tshark: Writable) => Promise<void>;
  /** Removes what was made for it (the private spool folder). */
  dispose(): void;
}

/**
 * -Y naming a field or protocol our decoders do not know: Wireshark's tshark judges, and the rows
 * of the frames it matches are ours (the same columns as without -Y). A file is read by both;
 * standard input goes to tshark as it arrives and into a private spool file this side reads
 * behind tshark.
 */
async function wiresharkRows(o: Options, expression: string, io: CliIo): Promise<number> {
  let input: SharedInput;
  try {
    input = o.file === '-' ? spooledStdin() : fileInput(o.file);
  } catch (e) {
    io.stderr.write(`pcap-summary: ${o.file}: ${openError(e)}\n`);
    return 1;
  }
  const tshark = new TsharkMatches(o.tshark, input.tshark, expression, o.decodeAs);
  const feeding = input.feed?.(tshark.stdin!).catch(() => tshark.stop());
  const packets = new PacketsByNumber(input.fd);
  const output = new RowOutput(io.stdout, o.json);
  try {
    for (let m = await tshark.next(); m !== undefined && !output.broken; m = await tshark.next()) {
      const p = await packets.at(m);
      if (!p) throw new Error(`tshark matched frame ${m}, and this side read ${packets.count} frames`);
      await output.row(m, p.relNs, p.linkType, p.packet);
    }
    await output.end();
  } catch (e) {
    if (output.broken || (e as NodeJS.ErrnoException).code === 'EPIPE') return 0;
    return wiresharkFailure(e, expression, o, io);
  } finally {
    tshark.stop();
    await feeding;
    input.dispose();
    output.close();
  }
  if (output.broken) return 0;
  for (const note of packets.reader.errors) io.stderr.write(`pcap-summary: ${o.file}: ${note}\n`);
  return 0;
}

/** The message and exit status of -Y's Wireshark path when it fails. */
function wiresharkFailure(e: unknown, expression: string, o: Options, io: CliIo): number {
  if (e instanceof TsharkMissingError) {
    io.stderr.write(
      `pcap-summary: -Y: ${expression} names a field or protocol this tool does not decode, and ${e.message}: install Wireshark's tshark, or give its path with --tshark\n`,
    );
    return 2;
  }
  if (e instanceof TsharkError) {
    const hint = captureFilterHint(expression);
    io.stderr.write(`pcap-summary: -Y: ${e.message}${hint ? ` ${hint}` : ''}\n`);
    return e.status === 2 ? 2 : 1;
  }
  io.stderr.write(`pcap-summary: ${o.file}: ${(e as Error).message}\n`);
  return 1;
}

function fileInput(file: string): SharedInput {
  const fd = openSync(file, 'r');
  return { tshark: { file }, fd, dispose: () => closeSync(fd) };
}

/** Standard input kept in a spool file (0600, in a private folder) as it is passed to tshark. */
function spooledStdin(): SharedInput {
  const dir = mkdtempSync(join(tmpdir(), 'pcap-summary-'));
  const spool = join(dir, 'input');
  const writeFd = openSync(spool, 'wx', 0o600);
  const fd = openSync(spool, 'r');
  const feed = async (tshark: Writable) => {
    const buf = new Uint8Array(CHUNK);
    try {
      for (let n = await readChunk(0, buf); n > 0; n = await readChunk(0, buf)) {
        // The spool first: a frame tshark matched is then always there to read.
        writeSync(writeFd, buf, 0, n);
        if (!tshark.write(Buffer.from(buf.subarray(0, n)))) await once(tshark, 'drain');
      }
    } finally {
      tshark.end();
    }
  };
  return {
    tshark: { stream: true, tmpdir: dir },
    fd,
    feed,
    dispose: () => {
      closeSync(fd);
      closeSync(writeFd);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface NumberedPacket {
  packet: CapturedPacket;
  linkType: number;
  relNs: number;
}

/** The file's packets, asked for by number in increasing order; the ones between are skipped. */
class PacketsByNumber {
  readonly reader = new CaptureFileReader();
  /** Packets read: the last one's number. */
  count = 0;
  private readonly clock = new RelativeClock();
  private readonly buf = new Uint8Array(CHUNK);
  /** The latest chunk's packets (views into `buf`), the first of them numbered `firstOfChunk`. */
  private chunk: NumberedPacket[] = [];
  private firstOfChunk = 1;
  private ended = false;

  constructor(private readonly fd: number) {}

  async at(number: number): Promise<NumberedPacket | undefined> {
    while (this.count < number && !this.ended) await this.readChunk();
    return this.chunk[number - this.firstOfChunk];
  }

  private async readChunk(): Promise<void> {
    const n = await readChunk(this.fd, this.buf);
    const packets = n === 0 ? this.reader.end() : this.reader.push(this.buf.subarray(0, n));
    if (n === 0 || this.reader.stopped) this.ended = true;
    this.firstOfChunk = this.count + 1;
    this.chunk = packets.map((packet) => ({
      packet,
      linkType: this.reader.interfaces[packet.interfaceId]?.linkType ?? -1,
      relNs: this.clock.next(packet),
    }));
    this.count += packets.length;
  }
}

/** Entry point for bin/pcap-summary. */
export function cli(): void {
  run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`pcap-summary: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}

// `node dist/tools/pcap-summary.js FILE` runs it too (bin/pcap-summary requires it and calls cli()).
if (typeof require !== 'undefined' && typeof module !== 'undefined' && require.main === module) cli();
