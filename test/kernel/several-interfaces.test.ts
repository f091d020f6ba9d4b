// Several interfaces in one capture: each packet is written under its own interface's IDB (the
// kernel's records carry the interface's number in the capture), and each interface's counters
// count its own packets, not another's.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { scratchDir, spawnAgent } from './helpers/agent.js';
import { fields } from './helpers/judge.js';
import { createVethPair, type VethPair } from './helpers/netns.js';
import { udpOneWay } from './helpers/traffic.js';
import { until } from './pca-helpers/sandbox.js';

interface InterfaceCounters {
  name: string;
  seen: number;
  captured: number;
}

describe('several interfaces in one capture', () => {
  let pair: VethPair;

  before(async () => {
    pair = await createVethPair({ tag: 'ifaces' });
  });

  after(() => pair?.destroy());

  test('each packet under its own interface; each interface counts its own', async () => {
    const { a, b } = pair;
    const file = path.join(scratchDir('several-interfaces'), 'two.pcapng');
    // lo first, so that its number in the capture (0) differs from the veth's (1).
    const args = ['capture', '--netns', a.ns.name, '-i', 'lo', '-i', a.dev, '-f', 'udp'];
    const agent = spawnAgent([...args, '-w', file, '--events', 'json']);
    try {
      await agent.started();
      await udpOneWay(a.ns, b.ns, b.ip4, 7100, 3, 100); // 3 out through the veth
      await udpOneWay(a.ns, a.ns, '127.0.0.1', 7200, 5, 100); // 5 on loopback
      const counters = (name: string) =>
        (agent.events.filter((e) => e.event === 'stats').at(-1)?.interfaces as InterfaceCounters[] | undefined)?.find(
          (i) => i.name === name,
        );
      await until('stats counting every packet', () =>
        counters('lo')?.captured === 5 && counters(a.dev)?.captured === 3 ? true : undefined,
      );
      assert.equal(counters('lo')?.seen, 5, "nothing else passes the namespace's loopback");
      const exit = await agent.stop();
      assert.equal(exit.code, 0, agent.stderr);
    } finally {
      agent.kill('SIGKILL');
      await agent.exited;
    }
    const packets = fields(file, ['frame.interface_name', 'udp.dstport']);
    assert.deepEqual(
      packets.filter(([, port]) => port === '7200').map(([name]) => name),
      Array(5).fill('lo'),
    );
    assert.deepEqual(
      packets.filter(([, port]) => port === '7100').map(([name]) => name),
      Array(3).fill(a.dev),
    );
    assert.equal(packets.length, 8);
  });
});
