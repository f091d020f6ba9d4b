// A capture whose interface goes away (deleted, or its network namespace with it, as when the pod
// it belongs to is deleted): the agent says so, stops by itself and detaches, instead of waiting
// for packets that can never come. What it captured before stays in a valid file.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { scratchDir, spawnAgent, within } from './helpers/agent.js';
import { capinfosCount } from './helpers/judge.js';
import { captureOnSideA, createVethPair, type VethPair } from './helpers/netns.js';
import { udpOneWay } from './helpers/traffic.js';

describe('an interface that goes away', () => {
  const cases: { name: string; remove: (pair: VethPair) => void }[] = [
    { name: 'the interface deleted', remove: (pair) => pair.a.ns.ip('link', 'del', pair.a.dev) },
    { name: 'its network namespace deleted', remove: (pair) => pair.a.ns.destroy() },
  ];
  for (const { name, remove } of cases) {
    test(`${name}: W_INTERFACE_GONE, stopped "interfaces-gone", exit 0, the file whole`, async () => {
      const pair = await createVethPair({ tag: 'gone' });
      const file = path.join(scratchDir('interface-gone'), `${name.replaceAll(' ', '-')}.pcapng`);
      const agent = spawnAgent(['capture', ...captureOnSideA(pair), '-f', 'udp', '-w', file, '--events', 'json']);
      try {
        await agent.started();
        await udpOneWay(pair.a.ns, pair.b.ns, pair.b.ip4, 7000, 3, 100);
        remove(pair);
        const exit = await within(agent.exited, 5000, 'the agent stopping by itself');
        assert.deepEqual(exit, { code: 0, signal: null }, agent.stderr);
        const warning = agent.events.find((e) => e.event === 'warning');
        assert.equal(warning?.code, 'W_INTERFACE_GONE');
        assert.match(String(warning?.message), new RegExp(`^${pair.a.dev} is gone`));
        assert.equal(agent.event('stopped')!.reason, 'interfaces-gone');
        assert.equal(capinfosCount(file), 3);
      } finally {
        agent.kill('SIGKILL');
        await agent.exited;
        pair.destroy();
      }
    });
  }
});
