// The judges of every capture file: tshark and capinfos (and, for pcapng blocks tshark does not
// print, the project's own reader, packet/capture-file.ts).
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { type CapturedPacket, type CaptureFileReader, readCaptureFile } from '../../../packet/capture-file.js';

/** tshark always says this when run as root; anything else on stderr is a complaint about the file. */
const ROOT_NOTICE = /^Running as user "root" and group "root"\. This could be dangerous\.$/;

function run(cmd: string, args: readonly string[]): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000, maxBuffer: 256 << 20 });
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

function complaints(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '' && !ROOT_NOTICE.test(l.trim()));
}

/** `tshark -r FILE -T fields -e …` (optionally -Y FILTER): one array of field values per packet. */
export function fields(file: string, names: readonly string[], displayFilter?: string): string[][] {
  const args = fieldArgs(file, names, displayFilter);
  const r = run('tshark', args);
  if (r.status !== 0 || complaints(r.stderr).length > 0) {
    throw new Error(`tshark ${args.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
  }
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

function fieldArgs(file: string, names: readonly string[], displayFilter?: string): string[] {
  const args = ['-r', file, '-n', '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  for (const n of names) args.push('-e', n);
  if (displayFilter) args.push('-Y', displayFilter);
  return args;
}

/** fields(), without blocking: several tshark runs can share the cores. */
export function fieldsAsync(file: string, names: readonly string[], displayFilter?: string): Promise<string[][]> {
  const args = fieldArgs(file, names, displayFilter);
  return new Promise((resolve, reject) => {
    execFile('tshark', args, { encoding: 'utf8', timeout: 30_000, maxBuffer: 256 << 20 }, (err, stdout, stderr) => {
      if (err || complaints(stderr).length > 0) {
        reject(new Error(`tshark ${args.join(' ')} failed: ${stderr.trim() || err?.message}`));
        return;
      }
      resolve(
        stdout
          .split('\n')
          .filter((l) => l !== '')
          .map((l) => l.split('\t')),
      );
    });
  });
}

/** Runs async jobs with at most `limit` at a time (tshark is single-threaded and CPU-bound). */
export async function pool<T>(jobs: readonly (() => Promise<T>)[], limit = 2): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return out;
}

/** Packets in FILE matching a Wireshark display filter (all packets without one). */
export function count(file: string, displayFilter?: string): number {
  return fields(file, ['frame.number'], displayFilter).length;
}

/** Reads the whole file with tshark; returns what tshark complained about (nothing, for a clean file). */
export function tsharkComplaints(file: string): string[] {
  const r = run('tshark', ['-r', file, '-n']);
  const out = complaints(r.stderr);
  if (r.status !== 0) out.push(`tshark exit status ${r.status}`);
  return out;
}

export interface CapInfo {
  /** capinfos' "Name: value" lines (first occurrence of each name). */
  info: Record<string, string>;
  /** Per-interface sections: "Interface #N info:" blocks. */
  interfaces: Record<string, string>[];
  raw: string;
}

/** `capinfos -M FILE` (exact numbers); throws when capinfos fails or complains. */
export function capinfos(file: string): CapInfo {
  const r = run('capinfos', ['-M', file]);
  if (r.status !== 0 || complaints(r.stderr).length > 0)
    throw new Error(`capinfos ${file} failed (${r.status}): ${r.stderr.trim()}`);
  const info: Record<string, string> = {};
  const interfaces: Record<string, string>[] = [];
  let current: Record<string, string> | undefined;
  for (const line of r.stdout.split('\n')) {
    if (/^Interface #\d+ info:/.test(line)) {
      current = {};
      interfaces.push(current);
      continue;
    }
    const m = /^\s*([^:=]+?)\s*[:=]\s*(.*)$/.exec(line);
    if (!m) continue;
    const target = current && /^\s/.test(line) ? current : info;
    if (!(m[1]! in target)) target[m[1]!] = m[2]!.trim();
  }
  return { info, interfaces, raw: r.stdout };
}

/** `capinfos -c -M`: the packet count. */
export function capinfosCount(file: string): number {
  const r = run('capinfos', ['-c', '-M', file]);
  const m = /Number of packets:\s+(\d+)/.exec(r.stdout);
  if (r.status !== 0 || !m) throw new Error(`capinfos -c ${file} failed (${r.status}): ${r.stdout}${r.stderr}`);
  return Number(m[1]);
}

/** The project's reader: every block, including the ISB statistics tshark does not print. */
export function readFile(file: string): { reader: CaptureFileReader; packets: CapturedPacket[] } {
  return readCaptureFile(fs.readFileSync(file));
}

/** Asserts a file reads cleanly with tshark and capinfos; returns capinfos' view. */
export function assertClean(file: string): CapInfo {
  const problems = tsharkComplaints(file);
  if (problems.length > 0) throw new Error(`tshark complained about ${file}:\n${problems.join('\n')}`);
  return capinfos(file);
}

function ioStatArgs(file: string, displayFilters: readonly string[]): string[] {
  for (const f of displayFilters) if (f.includes(',')) throw new Error(`display filter with ",": ${f}`);
  return ['-r', file, '-n', '-q', '-z', `io,stat,0,${displayFilters.join(',')}`];
}

function parseIoStat(stdout: string, n: number): number[] {
  // The data row: "| 0.000 <> 1.234 |  frames |  bytes |  frames |  bytes | …"; none for an empty file.
  const row = stdout.split('\n').find((l) => /^\|\s*[\d.]+\s*<>\s*(?:[\d.]+|Dur)\s*\|/.test(l));
  if (!row) return Array(n).fill(0);
  const cells = row
    .split('|')
    .slice(2, -1)
    .map((c) => Number(c.trim()));
  return Array.from({ length: n }, (_, i) => cells[2 * i]!);
}

/**
 * How many packets match each display filter, in one tshark pass (`-z io,stat,0,F1,F2,…`):
 * tshark starts slowly, so one run per file instead of one per filter. Filters must not contain ",".
 */
export function counts(file: string, displayFilters: readonly string[]): number[] {
  const args = ioStatArgs(file, displayFilters);
  const r = run('tshark', args);
  if (r.status !== 0 || complaints(r.stderr).length > 0)
    throw new Error(`tshark ${args.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
  return parseIoStat(r.stdout, displayFilters.length);
}

/** counts(), without blocking. */
export function countsAsync(file: string, displayFilters: readonly string[]): Promise<number[]> {
  const args = ioStatArgs(file, displayFilters);
  return new Promise((resolve, reject) => {
    execFile('tshark', args, { encoding: 'utf8', timeout: 30_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err || complaints(stderr).length > 0) {
        reject(new Error(`tshark ${args.join(' ')} failed: ${stderr.trim() || err?.message}`));
        return;
      }
      resolve(parseIoStat(stdout, displayFilters.length));
    });
  });
}
