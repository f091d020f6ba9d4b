// Budgets end a capture by themselves: -c N after exactly N packets, --max-bytes before the file
// outgrows N (only the final statistics block may follow), --duration after that long. Each exits
// 0 with a 'stopped' event naming the reason and leaves a file tshark reads cleanly.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { enhancedPacketSize } from '../../packet/pcapng.js';
import { type Agent, scratchDir, spawnAgent, within } from './helpers/agent.js';
import { assertClean, capinfosCount, fields } from './helpers/judge.js';
import { captureOnSideA, createVethPair, type VethPair } from './helpers/netns.js';
import { udpOneWay } from './helpers/traffic.js';

/** Size of a pcapng file's last block (its total length is the file's last 4 bytes). */
function lastBlockLength(file: string): number {
  const b = fs.readFileSync(file);
  return b.readUInt32LE(b.length - 4);
}

describe('budgets', () => {
  let pair: VethPair;
  let dir: string;

  before(async () => {
    pair = await createVethPair({ tag: 'bud' });
    dir = scratchDir('budgets');
  });

  after(() => pair?.destroy());

  /** Starts an agent on vA with these extra arguments; returns it once attached. */
  async function start(name: string, extra: string[]): Promise<{ agent: Agent; file: string }> {
    const file = path.join(dir, name);
    const agent = spawnAgent(['capture', ...captureOnSideA(pair), '-w', file, '--events', 'json', ...extra]);
    await agent.started();
    return { agent, file };
  }

  async function endsByItself(agent: Agent, ms = 5000) {
    const exit = await within(agent.exited, ms, 'the agent to stop by itself');
    assert.deepEqual(exit, { code: 0, signal: null }, agent.stderr);
    const stopped = agent.event('stopped');
    assert.ok(stopped, 'stopped event');
    return stopped;
  }

  test('-c 5: exactly 5 packets of 12, then it stops by itself (reason "count")', async () => {
    const { agent, file } = await start('count.pcapng', ['-c', '5', '-f', 'udp']);
    await udpOneWay(pair.a.ns, pair.b.ns, pair.b.ip4, 7000, 12, 100);
    const stopped = await endsByItself(agent);
    assert.equal(stopped.reason, 'count');
    assert.equal(stopped.packets, 5);
    assertClean(file);
    assert.equal(capinfosCount(file), 5);
    // The first five, in order.
    assert.deepEqual(
      fields(file, ['data.data']).map(([d]) => d!.slice(0, 8)),
      ['00000000', '00000001', '00000002', '00000003', '00000004'],
    );
  });

  test('-c 3 in classic pcap', async () => {
    const { agent, file } = await start('count.pcap', ['-c', '3', '--format', 'pcap']);
    await udpOneWay(pair.a.ns, pair.b.ns, pair.b.ip4, 7000, 6, 100);
    assert.equal((await endsByItself(agent)).reason, 'count');
    assertClean(file);
    assert.equal(capinfosCount(file), 3);
  });

  for (const format of ['pcapng', 'pcap'] as const) {
    test(`--max-bytes 2000 (${format}): the file stays within 2000 bytes plus the final statistics block`, async () => {
      const limit = 2000;
      const { agent, file } = await start(`max.${format}`, ['--max-bytes', String(limit), '--format', format]);
      await udpOneWay(pair.a.ns, pair.b.ns, pair.b.ip4, 7000, 20, 300); // ~8 KB of packets
      const stopped = await endsByItself(agent);
      assert.equal(stopped.reason, 'max-bytes');
      assertClean(file);
      const size = fs.statSync(file).size;
      const trailer = format === 'pcapng' ? lastBlockLength(file) : 0;
      assert.ok(size - trailer <= limit, `file ${size} bytes, ${trailer} of them the statistics block: over ${limit}`);
      const packets = capinfosCount(file);
      assert.ok(packets >= 1 && packets < 20, `${packets} packets`);
      // Not stopping early either: one more packet (a 342-byte frame in its block or record) would not have fit.
      const perPacket = format === 'pcapng' ? enhancedPacketSize(342, 'out') : 16 + 342;
      assert.ok(
        size - trailer + perPacket > limit,
        `stopped with room for another packet (${size - trailer} of ${limit})`,
      );
      assert.equal(stopped.packets, packets);
    });
  }

  test('--duration 1: stops by itself after a second (reason "duration")', async () => {
    const { agent, file } = await start('duration.pcapng', ['--duration', '1']);
    const startedAt = Date.now();
    const stopped = await endsByItself(agent, 5000);
    const took = Date.now() - startedAt;
    assert.equal(stopped.reason, 'duration');
    assert.ok(took >= 950 && took < 3000, `stopped ${took} ms after it started`);
    assertClean(file);
  });
});
