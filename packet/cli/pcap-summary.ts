// pcap-summary FILE [--json]: the capture table's rows for a pcap or pcapng file, as `tshark -r`
// prints them (No., Time since the first packet, Source → Destination, Protocol, Length, Info),
// or one JSON object per line. A packet whose process the capture names (pcapng comments,
// packet/process-comment.ts) ends its row with "  [node (1234)]", its JSON object with "process".
// Streams the file, so its size does not matter.
//
// Exit status: 0 when the file was read (notes about damaged blocks go to stderr), 1 when it
// could not be read (missing, or not a capture file), 2 for a usage error.
//
// Node only (bundled to dist/tools/pcap-summary.js; bin/pcap-summary runs it).

import { once } from 'node:events';
import { closeSync, openSync, readSync } from 'node:fs';
import type { Writable } from 'node:stream';

import { type CapturedPacket, CaptureFileReader } from '../capture-file.js';
import { summarizeInto } from '../decode/index.js';
import type { PacketSummary } from '../decode/types.js';
import { type ProcessInfo, parseProcessComments, processLabel, processName } from '../process-comment.js';

const USAGE = 'usage: pcap-summary FILE [--json]\n';
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

/** Runs the tool; returns the exit status. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let file: string | undefined;
  let json = false;
  for (const a of argv) {
    if (a === '--json') json = true;
    else if (a === '-h' || a === '--help') {
      io.stdout.write(USAGE);
      return 0;
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
  let fd: number;
  try {
    fd = file === '-' ? 0 : openSync(file, 'r');
  } catch (e) {
    io.stderr.write(
      `pcap-summary: ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}\n`,
    );
    return 1;
  }
  const reader = new CaptureFileReader();
  const out = io.stdout;
  let broken = false;
  const onError = () => {
    broken = true;
  };
  out.on('error', onError);
  let pending: Promise<unknown> | undefined;
  const w = new RowWriter((bytes) => {
    if (!broken && !out.write(bytes)) pending = Promise.race([once(out, 'drain'), once(out, 'error')]);
  });
  const row: PacketSummary = { source: '', destination: '', protocol: '', info: '' };
  let number = 0;
  let firstNs: bigint | undefined;
  let lastNs = 0n;
  const rows = async (packets: CapturedPacket[]) => {
    for (let i = 0; i < packets.length && !broken; i++) {
      const p = packets[i]!;
      number++;
      // A Simple Packet Block has no timestamp: it shares the previous packet's.
      const ts = p.timestampNs ?? lastNs;
      if (firstNs === undefined) firstNs = ts;
      lastNs = ts;
      const linkType = reader.interfaces[p.interfaceId]?.linkType ?? -1;
      const summary = summarizeInto(linkType, p.data, p.originalLength, row);
      const process = p.comments && parseProcessComments(p.comments);
      if (json) w.jsonRow(number, Number(ts - firstNs), summary, p.originalLength, process && processJson(process));
      else w.row(number, Number(ts - firstNs), summary, p.originalLength, process && `  [${processLabel(process)}]`);
      if (w.full) {
        w.flush();
        if (pending) {
          await pending;
          pending = undefined;
        }
      }
    }
  };
  try {
    const buf = new Uint8Array(CHUNK);
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, CHUNK, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        throw e;
      }
      if (n === 0) break;
      // Packets are views into `buf`; each chunk's rows are made before the buffer is reused
      // (the reader copies a block that straddles chunks into its own memory).
      await rows(reader.push(buf.subarray(0, n)));
      if (broken || reader.stopped) break;
    }
    await rows(reader.end());
    w.flush();
    if (pending) await pending;
  } catch (e) {
    // A reader that went away (`| head`) is not an error.
    if (broken || (e as NodeJS.ErrnoException).code === 'EPIPE') return 0;
    io.stderr.write(`pcap-summary: ${file}: ${(e as Error).message}\n`);
    return 1;
  } finally {
    if (fd !== 0) closeSync(fd);
    out.off('error', onError);
  }
  if (broken) return 0;
  for (const note of reader.errors) io.stderr.write(`pcap-summary: ${file}: ${note}\n`);
  if (reader.format === undefined) {
    io.stderr.write(`pcap-summary: ${file}: not a pcap or pcapng file\n`);
    return 1;
  }
  return 0;
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
