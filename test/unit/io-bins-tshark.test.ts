// The I/O Graph's counts against `tshark -z io,stat`: frames and bytes per interval of every packet
// and of those a display filter shows (the filter run by the real worker), on captures of
// tcpdump's corpus.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { test } from 'node:test';
import { ioBins } from '../../extension/store/io-bins.js';
import { PacketStore } from '../../extension/store/packet-store.js';
import { StoreIngest } from '../../extension/store/store-ingest.js';
import type { IoInterval } from '../../packet/io-graph-protocol.js';
import { readCapture, tcpdumpTestCaptures } from '../fixtures/tcpdump-tests.js';
import { useFilterWorker } from './helpers/filter-worker.js';

const worker = useFilterWorker('io-bins');

/** tshark's frames and bytes per interval, of every frame and of `filter`'s. */
function tsharkIoStat(file: string, intervalMs: IoInterval, filter: string) {
  const r = spawnSync('tshark', ['-n', '-q', '-r', file, '-z', `io,stat,${intervalMs / 1000},frame,${filter}`], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`tshark -z io,stat on ${file}: ${r.stderr}`);
  const columns = {
    frames: [] as number[],
    bytes: [] as number[],
    filterFrames: [] as number[],
    filterBytes: [] as number[],
  };
  for (const line of r.stdout.split('\n')) {
    const m = /^\|\s*[\d.]+\s*<>\s*(?:[\d.]+|Dur)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|$/.exec(line);
    if (!m) continue;
    columns.frames.push(Number(m[1]));
    columns.bytes.push(Number(m[2]));
    columns.filterFrames.push(Number(m[3]));
    columns.filterBytes.push(Number(m[4]));
  }
  return columns;
}

/** The counts without their trailing empty intervals (tshark prints up to the capture's duration,
 *  rounded). */
function trimmed(values: number[]): number[] {
  let end = values.length;
  while (end > 0 && values[end - 1] === 0) end--;
  return values.slice(0, end);
}

/**
 * Ours against tshark's rows. tshark prints ceil(duration / interval) rows: the packets of a last
 * packet's time that is a whole number of intervals fall in an interval it does not print
 * (tap-iostat.c). Ours has that interval: it must hold what tshark left out, and no more.
 */
function assertSameCounts(ours: number[], tshark: number[], total: number, what: string): void {
  const printed = trimmed(tshark);
  assert.deepEqual(trimmed(ours.slice(0, Math.max(printed.length, tshark.length))), printed, what);
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  assert.equal(sum(ours), total, `${what}: every packet is counted`);
  assert.ok(ours.length <= Math.max(printed.length, tshark.length) + 1, `${what}: ${ours.length} intervals`);
}

/** Every 25th capture of the corpus by size, largest first: small and large, many link types. */
function someCaptures(): string[] {
  const bySize = tcpdumpTestCaptures().sort((a, b) => statSync(b).size - statSync(a).size);
  return bySize.filter((_, i) => i % 25 === 0);
}

test('packets and bytes per interval equal tshark -z io,stat, all of them and a display filter’s', async () => {
  let compared = 0;
  for (const file of someCaptures()) {
    const store = new PacketStore({ maxPackets: 1e6, maxBytes: 1e9, whenFull: 'stop' });
    new StoreIngest(store).push(readCapture(file));
    if (store.held === 0) continue;
    const view = worker.view(store);
    view.setFilter('udp');
    const udp = await view.shownNumbers();
    for (const intervalMs of [1000, 10] as const) {
      const tshark = tsharkIoStat(file, intervalMs, 'udp');
      if (tshark.frames.length > 20_000) continue; // a long capture at a fine interval: tshark prints pages
      const what = `${basename(file)}, ${intervalMs} ms`;
      const numbers = Uint32Array.from({ length: store.held }, (_, i) => store.firstNumber + i);
      const bytes = (of: Uint32Array) => store.columnValues('length', of).reduce((a, b) => a + b, 0);
      assertSameCounts(ioBins(store, intervalMs, 'packets'), tshark.frames, store.held, `${what}: frames`);
      assertSameCounts(ioBins(store, intervalMs, 'bytes'), tshark.bytes, bytes(numbers), `${what}: bytes`);
      assertSameCounts(
        ioBins(store, intervalMs, 'packets', udp),
        tshark.filterFrames,
        udp.length,
        `${what}: udp frames`,
      );
      assertSameCounts(ioBins(store, intervalMs, 'bytes', udp), tshark.filterBytes, bytes(udp), `${what}: udp bytes`);
      compared++;
    }
  }
  assert.ok(compared >= 20, `${compared} captures and intervals compared`);
});
