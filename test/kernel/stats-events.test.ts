// --events json reports progress while capturing: a 'stats' event each second with the totals
// (packets and bytes written, kernel and slow-reader drops) and the kernel's counters of every
// interface, which the extension shows while a capture runs.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { scratchDir, spawnAgent } from './helpers/agent.js';
import { captureOnSideA, createVethPair, type VethPair } from './helpers/netns.js';
import { udpOneWay } from './helpers/traffic.js';

describe('stats events', () => {
  let pair: VethPair;
  let dir: string;

  before(async () => {
    pair = await createVethPair({ tag: 'stats' });
    dir = scratchDir('stats');
  });

  after(() => pair?.destroy());

  test('a stats event each second, with the totals and the kernel counters of the interface', async () => {
    const agent = spawnAgent([
      'capture',
      ...captureOnSideA(pair),
      '-w',
      path.join(dir, 's.pcapng'),
      '--events',
      'json',
    ]);
    try {
      await agent.started();
      await udpOneWay(pair.a.ns, pair.b.ns, pair.b.ip4, 7000, 4, 100); // 4 out through vA
      const all = () => agent.events.filter((e) => e.event === 'stats');
      // Until a stats event counts the 4 datagrams, and there are two to compare.
      const deadline = Date.now() + 5000;
      while (!all().some((e) => e.packets === 4) || all().length < 2) {
        assert.ok(Date.now() < deadline, `no stats event with the 4 packets within 5 s; stderr:\n${agent.stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const last = all().at(-1)!;
      const ifindex = pair.a.ns.link(pair.a.dev).ifindex;
      assert.deepEqual(Object.keys(last), [
        'event',
        'packets',
        'bytes',
        'kernelDropped',
        'sinkDropped',
        'interfaces',
        'time',
      ]);
      assert.equal(last.packets, 4);
      assert.equal(last.kernelDropped, 0);
      assert.equal(last.sinkDropped, 0);
      assert.ok(Number(last.bytes) > 4 * 60, `bytes ${last.bytes}`);
      assert.deepEqual(last.interfaces, [{ name: pair.a.dev, ifindex, seen: 4, matched: 4, captured: 4, dropped: 0 }]);
      // About a second apart.
      const times = all().map((e) => Date.parse(String(e.time)));
      for (let i = 1; i < times.length; i++) {
        const gap = times[i]! - times[i - 1]!;
        assert.ok(gap >= 700 && gap <= 1600, `stats ${gap} ms apart`);
      }
      assert.deepEqual(await agent.stop(), { code: 0, signal: null });
    } finally {
      if (agent.child.exitCode === null && agent.child.signalCode === null) agent.kill('SIGKILL');
    }
  });
});
