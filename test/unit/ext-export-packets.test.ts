// A real capture (tcpdump's eapon1.pcap: 114 packets, 66 of them UDP) read into the store as a
// file editor reads it, the display filter run by the real worker: the view finds a packet's row
// after a filter change, "Save Capture As…" writes all / displayed / selected packets (tshark reads
// them back), and a file that is not a capture, is damaged or empty gets the one sentence the
// editor shows.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { writeCaptureFile } from '../../extension/capture/capture-writer.js';
import { describeFileRead, readCaptureInto } from '../../extension/editor/file-load.js';
import { PacketStore } from '../../extension/store/packet-store.js';
import type { PacketView } from '../../extension/store/packet-view.js';
import { TCPDUMP_TESTS_DIR } from '../fixtures/tcpdump-tests.js';
import { useFilterWorker } from './helpers/filter-worker.js';

const CAPTURE = path.join(TCPDUMP_TESTS_DIR, 'eapon1.pcap');
const { scratch, view: filteredView } = useFilterWorker('ext-export-packets');

const tshark = (file: string, ...args: string[]) =>
  execFileSync('tshark', ['-r', file, ...args], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .filter(Boolean);
/** Each packet's length and bytes, as tshark reads them: compares what was written with the original. */
const frames = (file: string, filter?: string) =>
  tshark(file, ...(filter ? ['-Y', filter] : []), '-T', 'fields', '-e', 'frame.len', '-e', 'frame.time_epoch');

function newStore(): PacketStore {
  return new PacketStore({ maxPackets: 1e6, maxBytes: 1e9, whenFull: 'stop' });
}

async function* chunksOf(bytes: Uint8Array, size = 1000): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/** The capture read into a store, and a view over it filtered by the real worker. */
async function loaded(): Promise<{ store: PacketStore; view: PacketView }> {
  const store = newStore();
  const read = await readCaptureInto(store, chunksOf(fs.readFileSync(CAPTURE)));
  assert.deepEqual(describeFileRead('eapon1.pcap', read), { status: 'stopped' });
  const view = filteredView(store);
  return { store, view };
}

const udpNumbers = () => tshark(CAPTURE, '-Y', 'udp', '-T', 'fields', '-e', 'frame.number').map(Number);

test('after a display filter change the view gives a packet its new row, or none when filtered out', async () => {
  const { store, view } = await loaded();
  assert.equal(store.held, 114);
  const udp = udpNumbers();
  assert.equal(udp.length, 66);
  const notUdp = Array.from({ length: 114 }, (_, i) => i + 1).find((n) => !udp.includes(n))!;

  view.setFilter('udp');
  // Asked at once, while the worker still filters: answered once the packet has been judged.
  const [first, last, missing] = await Promise.all([view.rowOf(udp[0]!), view.rowOf(udp[65]!), view.rowOf(notUdp)]);
  assert.deepEqual([first, last, missing], [0, 65, undefined]);
  assert.deepEqual([...(await view.shownNumbers())], udp);

  view.setFilter('');
  assert.equal(await view.rowOf(notUdp), notUdp - 1, 'every packet again: row = number - 1');
  assert.equal(await view.rowOf(115), undefined, 'past the last packet');

  // A question about a filter replaced before it answered gets no row: the asker's view is gone.
  view.setFilter('udp');
  const stale = view.rowOf(udp[65]!);
  view.setFilter('tcp');
  assert.equal(await stale, undefined);
});

test('Save writes all, the displayed or the selected packets, as tshark reads them', async () => {
  const { view, store } = await loaded();
  view.setFilter('udp');
  const all = path.join(scratch, 'all.pcapng');
  const displayed = path.join(scratch, 'displayed.pcap');
  const selected = path.join(scratch, 'selected.pcapng');

  assert.equal(await writeCaptureFile(store, all, 'pcapng'), 114);
  assert.deepEqual(frames(all), frames(CAPTURE));

  assert.equal(await writeCaptureFile(store, displayed, 'pcap', { numbers: await view.shownNumbers() }), 66);
  assert.deepEqual(frames(displayed), frames(CAPTURE, 'udp'));
  assert.match(execFileSync('capinfos', ['-t', displayed], { encoding: 'utf8' }), /pcap/);

  const udp = udpNumbers();
  assert.equal(await writeCaptureFile(store, selected, 'pcapng', { numbers: [udp[3]!] }), 1);
  assert.deepEqual(frames(selected), frames(CAPTURE, `frame.number == ${udp[3]}`));
  for (const f of [all, displayed, selected]) assert.equal(fs.statSync(f).mode & 0o777, 0o600);
});

/** The sentence the editor shows for `bytes` read as the file `name`. */
async function outcome(name: string, bytes: Uint8Array) {
  const store = newStore();
  const read = await readCaptureInto(store, chunksOf(bytes));
  return { ...describeFileRead(name, read), packets: store.held };
}

test('a file that is not a capture, damaged or empty: one sentence saying why', async () => {
  const original = fs.readFileSync(CAPTURE);
  assert.deepEqual(await outcome('notes.txt', Buffer.from('These are my notes, not packets.\n')), {
    status: 'error',
    message: 'notes.txt is not a pcap or pcapng file.',
    packets: 0,
  });

  // Cut in the middle of a record: the packets before it stay, the message says where.
  const cut = Math.floor(original.length / 2);
  const damaged = await outcome('cut.pcap', original.subarray(0, cut));
  const kept = tshark(CAPTURE, '-T', 'fields', '-e', 'frame.number').length;
  assert.equal(damaged.status, 'error');
  assert.ok(damaged.packets > 0 && damaged.packets < kept, `${damaged.packets} packets kept`);
  const at = /^cut\.pcap is damaged at byte ([\d,]+): stream ends inside a pcap header or record/.exec(
    damaged.message ?? '',
  );
  assert.ok(at, damaged.message);
  const byte = Number(at[1]!.replace(/,/g, ''));
  assert.ok(byte < cut && byte > cut - 2000, `the damage is at byte ${byte}, the file is cut at ${cut}`);
  assert.match(damaged.message!, new RegExp(`The ${damaged.packets} packets that could be read are shown\\.$`));
  // The same bytes as tshark sees them: it reads as many packets before the cut.
  const truncated = path.join(scratch, 'cut.pcap');
  fs.writeFileSync(truncated, original.subarray(0, cut));
  // tshark exits non-zero on a file cut short, after printing the packets before the cut.
  const seen = spawnSync('tshark', ['-r', truncated, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
  assert.equal(seen.stdout.trim().split('\n').length, damaged.packets);

  for (const [name, bytes] of [
    ['empty.pcap', new Uint8Array(0)],
    ['header-only.pcap', original.subarray(0, 24)],
  ] as const)
    assert.deepEqual(await outcome(name, bytes), {
      status: 'stopped',
      message: `${name} holds no packets.`,
      packets: 0,
    });
});
