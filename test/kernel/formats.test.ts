// Output formats: pcapng (section header naming the agent, interface description with name,
// filter, ns resolution and snaplen, direction flags, and a final interface statistics block with
// the kernel's counters), classic pcap in µs and (--nano) ns, to a file or to stdout; each read
// cleanly by tshark and capinfos.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CaptureRun, capture, captureMany, REPO, scratchDir } from './helpers/agent.js';
import { assertClean, capinfosCount, fields, readFile } from './helpers/judge.js';
import { createVethPair, type VethPair } from './helpers/netns.js';
import { udpEcho, udpOneWay } from './helpers/traffic.js';

const VERSION = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).version as string;
const FILTER = 'udp port 7000';

/** The type of a pcapng file's last block (its total length is the file's last 4 bytes). */
function lastBlockType(file: string): number {
  const b = fs.readFileSync(file);
  const len = b.readUInt32LE(b.length - 4);
  return b.readUInt32LE(b.length - len);
}

describe('output formats', () => {
  let pair: VethPair;
  let dir: string;
  let runs: Map<string, CaptureRun>;
  let t0: number;
  let t1: number;

  before(async () => {
    pair = await createVethPair({ tag: 'fmt' });
    dir = scratchDir('formats');
    const { a, b } = pair;
    const base = ['--netns', a.ns.name, '-i', a.dev, '-B', '1024', '-f', FILTER];
    t0 = Date.now();
    runs = await captureMany(
      [
        { name: 'default.pcapng', args: base },
        { name: 'us.pcap', args: [...base, '--format', 'pcap'] },
        { name: 'ns.pcap', args: [...base, '--format', 'pcap', '--nano'] },
      ],
      async () => {
        await udpEcho(a.ns, b.ns, b.ip4, 7000, 3, 100); // 6 match
        await udpOneWay(a.ns, b.ns, b.ip4, 7001, 2, 100); // 2 seen, not matched
      },
      dir,
    );
    t1 = Date.now();
  });

  after(() => pair?.destroy());

  test('pcapng: section header, interface description, direction flags', () => {
    const f = runs.get('default.pcapng')!.file;
    const info = assertClean(f);
    assert.equal(capinfosCount(f), 6);
    assert.equal(info.info['File type'], 'pcapng');
    assert.equal(info.info['Capture application'], `pcap-agent ${VERSION}`);
    assert.equal(info.interfaces.length, 1);
    const idb = info.interfaces[0]!;
    assert.equal(idb.Name, pair.a.dev);
    assert.equal(idb['Filter string'], FILTER);
    assert.equal(idb['Time precision'], 'nanoseconds (9)');
    assert.equal(idb['Capture length'], '262144');
    assert.equal(idb.Encapsulation, 'Ethernet (1 - ether)');
    const { reader } = readFile(f);
    assert.equal(reader.sections[0]!.userAppl, `pcap-agent ${VERSION}`);
    assert.equal(reader.interfaces[0]!.tsresol, 9);
    assert.deepEqual(
      fields(f, ['frame.packet_flags_direction']).map((r) => r[0]),
      Array(3).fill(['0x00000002', '0x00000001']).flat(),
    );
  });

  test('pcapng: the last block is an interface statistics block with the kernel counters', () => {
    const f = runs.get('default.pcapng')!.file;
    assert.equal(lastBlockType(f), 5, 'ISB');
    const stats = readFile(f).reader.interfaces[0]!.statistics;
    assert.ok(stats, 'ISB present');
    assert.equal(stats.ifRecv, 8n, 'isb_ifrecv: every packet the hooks saw');
    assert.equal(stats.filterAccept, 6n, 'isb_filteraccept: the packets that matched');
    assert.equal(stats.usrDeliv, 6n, 'isb_usrdeliv: the packets written');
    assert.equal(stats.ifDrop, 0n);
    assert.ok(stats.startTimeNs! <= stats.endTimeNs!);
    const info = assertClean(f).interfaces[0]!;
    assert.equal(info['Number of stat entries'], '1');
  });

  for (const [name, precision] of [
    ['us.pcap', 'microseconds (6)'],
    ['ns.pcap', 'nanoseconds (9)'],
  ] as const) {
    test(`pcap ${name === 'ns.pcap' ? '--nano' : '(µs)'}: clean, ${precision}, timestamps are wall-clock time`, () => {
      const f = runs.get(name)!.file;
      const info = assertClean(f);
      assert.equal(capinfosCount(f), 6);
      assert.match(info.info['File type']!, /pcap/);
      assert.doesNotMatch(info.info['File type']!, /pcapng/);
      assert.equal(info.info['File timestamp precision'], precision);
      for (const [epoch] of fields(f, ['frame.time_epoch'])) {
        const ms = Number(epoch) * 1000;
        assert.ok(ms >= t0 - 1000 && ms <= t1 + 1000, `packet time ${epoch} within the run`);
      }
      if (name === 'ns.pcap') assert.ok(fields(f, ['frame.time_epoch']).some(([e]) => /\.\d{9}$/.test(e!)));
    });
  }

  test('pcapng packet times match the pcap ones (same packets, same clock)', () => {
    const ng = fields(runs.get('default.pcapng')!.file, ['frame.time_epoch']).map(([e]) => Number(e));
    const ns = fields(runs.get('ns.pcap')!.file, ['frame.time_epoch']).map(([e]) => Number(e));
    for (const [i, t] of ng.entries()) assert.ok(Math.abs(t - ns[i]!) < 0.001, `${t} vs ${ns[i]}`);
  });

  test('-w - writes pcapng to stdout, nothing else', async () => {
    const { a, b } = pair;
    const run = await capture(
      ['--netns', a.ns.name, '-i', a.dev, '-B', '1024', '-f', FILTER],
      () => udpEcho(a.ns, b.ns, b.ip4, 7000, 2, 100),
      { dir, name: '-' },
    );
    const out = path.join(dir, 'stdout.pcapng');
    fs.writeFileSync(out, Buffer.concat(run.agent.stdout));
    assert.equal(assertClean(out).info['File type'], 'pcapng');
    assert.equal(capinfosCount(out), 4);
    assert.equal(lastBlockType(out), 5);
  });

  test('an interface that saw nothing still gets its statistics block (zeros)', async () => {
    const run = await capture(['--netns', pair.b.ns.name, '-i', 'lo', '-B', '1024'], async () => {}, {
      dir,
      name: 'idle.pcapng',
    });
    assertClean(run.file);
    const stats = readFile(run.file).reader.interfaces[0]!.statistics;
    assert.ok(stats, 'ISB present');
    assert.equal(stats.ifRecv, 0n);
    assert.equal(stats.usrDeliv, 0n);
  });
});
