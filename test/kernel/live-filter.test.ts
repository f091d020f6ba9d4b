// The filter of a running capture changes through the agent's stdin control channel: the kernel
// swaps rule banks, so packets before the change match the old rules and packets after it the new.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { scratchDir, spawnAgent } from './helpers/agent.js';
import { assertClean, fields } from './helpers/judge.js';
import { createVethPair, type VethPair } from './helpers/netns.js';
import { udpOneWay } from './helpers/traffic.js';

describe('live filter change', () => {
  let pair: VethPair;
  let dir: string;

  before(async () => {
    pair = await createVethPair({ tag: 'lf' });
    dir = scratchDir('live-filter');
  });

  after(() => pair?.destroy());

  test('set-filter applies from the next packet; a bad filter is refused and the old one kept', async () => {
    const file = path.join(dir, 'live.pcapng');
    const agent = spawnAgent([
      'capture',
      '--netns',
      pair.a.ns.name,
      '-i',
      pair.a.dev,
      '-f',
      'udp port 7001',
      '-w',
      file,
      '--events',
      'json',
    ]);
    await agent.started();
    const { a, b } = pair;
    await udpOneWay(a.ns, b.ns, b.ip4, 7001, 3, 10);
    await udpOneWay(a.ns, b.ns, b.ip4, 7002, 4, 10); // not yet

    agent.child.stdin!.write('{"command":"set-filter","filter":"udp port 7002"}\n');
    await agent.waitFor('filter');
    await udpOneWay(a.ns, b.ns, b.ip4, 7001, 5, 10); // no longer
    await udpOneWay(a.ns, b.ns, b.ip4, 7002, 6, 10);

    agent.child.stdin!.write('{"command":"set-filter","filter":"udp port 70000"}\n');
    const refused = await agent.waitFor('error');
    assert.equal(refused.code, 'E_FILTER');
    await udpOneWay(a.ns, b.ns, b.ip4, 7002, 2, 10); // the previous filter still holds

    const exit = await agent.stop();
    assert.equal(exit.code, 0);
    assertClean(file);
    const ports = fields(file, ['udp.dstport']).map(([p]) => p);
    assert.deepEqual(ports, [...Array(3).fill('7001'), ...Array(6).fill('7002'), ...Array(2).fill('7002')]);
  });
});
