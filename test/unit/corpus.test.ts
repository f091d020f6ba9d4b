// Every file of tcpdump's test corpus (many deliberately malformed) through the reader, judged by
// capinfos: same packet count wherever capinfos reads the file cleanly, and for the files it
// rejects, a specific documented reason.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';

import { type CapturedPacket, CaptureFileReader } from '../../packet/capture-file.js';
import { readCapture, tcpdumpTestCaptures } from '../fixtures/tcpdump-tests.js';

/** Whole-file plus chunked read of one file; the largest corpus file takes a few ms. */
const TIME_BOUND_MS = 2000;

const haveTools = spawnSync('capinfos', ['-v']).status === 0 && spawnSync('tshark', ['-v']).status === 0;

interface ToolRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `cmd args… file` for every file with a small pool, caching results in the temp dir keyed
 * by tool version, arguments and each file's size and mtime, so reruns are instant.
 */
async function runAll(cmd: string, args: string[], files: string[]): Promise<Map<string, ToolRun>> {
  const version = spawnSync(cmd, ['-v'], { encoding: 'utf8' }).stdout.split('\n')[0];
  const key = (f: string) => {
    const s = statSync(f);
    return createHash('sha256')
      .update(JSON.stringify([version, cmd, args, f, s.size, s.mtimeMs]))
      .digest('hex');
  };
  const cacheFile = join(tmpdir(), `pcap-corpus-${cmd}-cache.json`);
  let cache: Record<string, ToolRun> = {};
  try {
    cache = JSON.parse(readFileSync(cacheFile, 'utf8')) as Record<string, ToolRun>;
  } catch {
    /* first run */
  }
  const out = new Map<string, ToolRun>();
  const todo = files.filter((f) => {
    const hit = cache[key(f)];
    if (hit) out.set(f, hit);
    return !hit;
  });
  const worker = async () => {
    for (let f = todo.shift(); f !== undefined; f = todo.shift()) {
      const file = f;
      const run = await new Promise<ToolRun>((resolve) => {
        execFile(cmd, [...args, file], { encoding: 'utf8', maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
          const status = err ? (typeof err.code === 'number' ? err.code : null) : 0;
          // tshark warns about running as root on stderr; that is not about the file.
          resolve({
            status,
            stdout,
            stderr: stderr
              .split('\n')
              .filter((l) => l.trim() && !/^Running as user "root"/.test(l))
              .join('\n'),
          });
        });
      });
      out.set(file, run);
      cache[key(file)] = run;
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, availableParallelism()) }, worker));
  try {
    writeFileSync(cacheFile, JSON.stringify(cache));
  } catch {
    /* cache is an optimisation */
  }
  return out;
}

function read(bytes: Uint8Array, chunk: number) {
  const reader = new CaptureFileReader();
  const packets: CapturedPacket[] = [];
  for (let o = 0; o < bytes.length; o += chunk) packets.push(...reader.push(bytes.subarray(o, o + chunk)));
  packets.push(...reader.end());
  return { reader, packets };
}

function summary(r: ReturnType<typeof read>) {
  return {
    packets: r.packets.map((p) => ({ ...p, data: Array.from(p.data) })),
    interfaces: r.reader.interfaces,
    sections: r.reader.sections,
    errors: r.reader.errors,
    format: r.reader.format,
  };
}

function epoch(ns: bigint): string {
  return `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;
}

describe('tcpdump test corpus', { skip: !haveTools && 'capinfos/tshark not installed' }, () => {
  // Loaded by the tests themselves, not the suite: missing captures then fail each test with the
  // loader's message rather than cancelling them.
  let files: string[] | undefined;
  const captures = () => (files ??= tcpdumpTestCaptures());
  const results = new Map<string, ReturnType<typeof read>>();
  let capinfosRuns: Promise<Map<string, ToolRun>> | undefined;
  const capinfos = () => (capinfosRuns ??= runAll('capinfos', ['-c', '-M'], captures()));
  const readOnce = (f: string) => {
    const r = results.get(f) ?? read(readCapture(f), 1 << 30);
    results.set(f, r);
    return r;
  };

  it(`reads every file: no exception, same result whole and in 1000-byte chunks, under ${TIME_BOUND_MS} ms each`, (t) => {
    let slowest = 0;
    for (const f of captures()) {
      const bytes = readCapture(f);
      const t0 = performance.now();
      const whole = read(bytes, Math.max(1, bytes.length));
      const chunked = read(bytes, 1000);
      const ms = performance.now() - t0;
      slowest = Math.max(slowest, ms);
      assert.ok(ms < TIME_BOUND_MS, `${f}: ${ms.toFixed(0)} ms`);
      assert.deepEqual(summary(chunked), summary(whole), f);
      results.set(f, whole);
    }
    assert.equal(results.size, captures().length);
    const noted = [...results].filter(([, r]) => r.reader.errors.length > 0).length;
    t.diagnostic(`${captures().length} files, slowest ${slowest.toFixed(1)} ms; ${noted} with reader notes`);
  });

  it('counts the same packets as capinfos wherever capinfos reads the file cleanly', async (t) => {
    const byCapinfos = await capinfos();
    let compared = 0;
    for (const f of captures()) {
      const c = byCapinfos.get(f)!;
      if (c.status !== 0 || c.stderr !== '') continue;
      const m = /Number of packets:\s+(\d+)/.exec(c.stdout);
      assert.ok(m, `${f}: capinfos output ${c.stdout}`);
      const r = readOnce(f);
      assert.equal(r.packets.length, Number(m[1]), `${f}: reader notes ${r.reader.errors.join('; ')}`);
      compared++;
    }
    t.diagnostic(`packet counts agree with capinfos on ${compared} files`);
    assert.ok(compared > captures().length * 0.9, `only ${compared} files compared`);
  });

  it('files capinfos rejects: each for a documented reason, listed with what the reader said', async (t) => {
    const byCapinfos = await capinfos();
    const rejected = captures().filter((f) => byCapinfos.get(f)!.status !== 0 || byCapinfos.get(f)!.stderr !== '');
    for (const f of rejected) {
      const c = byCapinfos.get(f)!;
      const r = readOnce(f);
      const why = c.stderr
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .join(' ');
      const said = `${r.reader.format ?? 'unrecognised'}, ${r.packets.length} packets, link type ${r.reader.interfaces[0]?.linkType ?? '-'}, notes: ${JSON.stringify(r.reader.errors)}`;
      t.diagnostic(`capinfos rejects ${basename(f)}: ${why}`);
      t.diagnostic(`  reader: ${said}`);
      const network = /\(pcap: network type (\d+) unknown or unsupported\)/.exec(why);
      if (network) {
        // Wireshark has no dissector for the link type, so it refuses the whole file; the format
        // itself is fine and the reader reads it (the packets keep their link type number).
        assert.equal(r.reader.format, 'pcap', f);
        assert.equal(r.reader.interfaces[0]!.linkType, Number(network[1]) & 0xffff, f);
        assert.ok(r.packets.length > 0, f);
        assert.ok(
          r.reader.errors.every((e) => /noted once/.test(e)),
          `${f}: ${r.reader.errors.join('; ')}`,
        );
      } else if (/isn't a capture file in a format capinfos understands/.test(why)) {
        assert.equal(r.reader.format, undefined, f);
        assert.match(r.reader.errors[0] ?? '', /not a pcap or pcapng stream/, f);
      } else {
        assert.fail(`${f}: capinfos rejects it for an undocumented reason: ${why}`);
      }
    }
    t.diagnostic(`capinfos rejects ${rejected.length} files`);
  });

  it('pcapng files: every packet as tshark shows it (lengths, ns timestamps, interfaces, directions)', async (t) => {
    const pcapng = captures().filter((f) => readOnce(f).reader.format === 'pcapng');
    assert.ok(pcapng.length > 0);
    const tshark = await runAll(
      'tshark',
      [
        '-T',
        'fields',
        '-E',
        'separator=/t',
        '-e',
        'frame.len',
        '-e',
        'frame.cap_len',
        '-e',
        'frame.time_epoch',
        '-e',
        'frame.interface_id',
        '-e',
        'frame.interface_name',
        '-e',
        'frame.packet_flags_direction',
        '-r',
      ],
      pcapng,
    );
    for (const f of pcapng) {
      const t = tshark.get(f)!;
      assert.equal(t.stderr, '', f);
      const rows = t.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t'));
      const r = readOnce(f);
      assert.deepEqual(
        rows,
        r.packets.map((p) => [
          String(p.originalLength),
          String(p.capturedLength),
          p.timestampNs === undefined ? '' : epoch(p.timestampNs),
          // tshark shows "unknown" for an interface without if_name.
          String(p.interfaceId),
          r.reader.interfaces[p.interfaceId]!.name ?? 'unknown',
          p.direction === 'in' ? '0x00000001' : p.direction === 'out' ? '0x00000002' : '',
        ]),
        f,
      );
    }
    t.diagnostic(`${pcapng.length} pcapng files agree with tshark packet by packet`);
  });
});
