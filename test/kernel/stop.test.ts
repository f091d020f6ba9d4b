// How a capture ends: stdin reaching EOF (the extension's stop and the orphan guard), SIGINT and
// SIGTERM each stop cleanly, deliver what the kernel still holds, write a valid file and detach;
// SIGKILL leaves nothing attached either, because tcx links die with the process.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Agent, scratchDir, spawnAgent, within } from './helpers/agent.js';
import { heldBy, links, ourTcx, waitLinksGone } from './helpers/bpf.js';
import { assertClean, capinfosCount, readFile } from './helpers/judge.js';
import { captureOnSideA, createVethPair, type VethPair } from './helpers/netns.js';
import { GENERATOR_TIMEOUT_MS, node, udpOneWay } from './helpers/traffic.js';

describe('stopping a capture', () => {
  let pair: VethPair;
  let dir: string;

  before(async () => {
    pair = await createVethPair({ tag: 'stop' });
    dir = scratchDir('stop');
  });

  after(() => pair?.destroy());

  /** An attached agent on vA, and the tcx links it holds (checked against the kernel's view). */
  async function start(name: string): Promise<{ agent: Agent; file: string; linkIds: number[] }> {
    const file = path.join(dir, name);
    const agent = spawnAgent(['capture', ...captureOnSideA(pair), '-w', file, '--events', 'json']);
    const started = await agent.started();
    assert.deepEqual(started.interfaces, [
      { name: pair.a.dev, ifindex: pair.a.ns.link(pair.a.dev).ifindex, mode: 'tcx' },
    ]);
    const held = heldBy(agent.pid).links;
    assert.deepEqual(held.map((l) => [l.type, l.ifindex, l.attachType]).sort(), [
      ['tcx', pair.a.ns.link(pair.a.dev).ifindex, '46 (ingress)'],
      ['tcx', pair.a.ns.link(pair.a.dev).ifindex, '47 (egress)'],
    ]);
    const attached = ourTcx(pair.a.ns, pair.a.dev);
    assert.deepEqual(
      attached.map((x) => x.link).sort(),
      held.map((l) => l.id).sort(),
      'the kernel shows exactly these links on vA',
    );
    return { agent, file, linkIds: held.map((l) => l.id) };
  }

  async function assertDetached(linkIds: number[]) {
    assert.deepEqual(await waitLinksGone(linkIds, 2000), [], 'no link left (bpftool link show)');
    assert.deepEqual(ourTcx(pair.a.ns, pair.a.dev), [], 'nothing of ours on vA');
  }

  test('stdin EOF: stops, delivers every packet already through the hook, detaches', async () => {
    const { agent, file, linkIds } = await start('eof.pcapng');
    // One-way, 300 datagrams; the sender's egress hook ran for each before its send returned.
    const sink = node(pair.b.ns, 'udp-sink', pair.b.ip4, 7000, 300, GENERATOR_TIMEOUT_MS);
    await sink.ready;
    await node(pair.a.ns, 'udp-send', pair.b.ip4, 7000, 300, 64).expectOk();
    await sink.expectOk(); // so the 300 were through vA's egress hook
    const exit = await agent.stop(); // no settling pause: the ring must be drained on stop
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.equal(agent.event('stopped')!.reason, 'stdin-closed');
    await assertDetached(linkIds);
    assertClean(file);
    assert.equal(capinfosCount(file), 300);
    assert.ok(readFile(file).reader.interfaces[0]!.statistics, 'final statistics block');
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`${signal}: stops cleanly with a valid file, detaches`, async () => {
      const { agent, file, linkIds } = await start(`${signal}.pcapng`);
      await udpOneWay(pair.a.ns, pair.b.ns, pair.b.ip4, 7000, 5, 100);
      agent.kill(signal);
      const exit = await within(agent.exited, 5000, `exit after ${signal}`);
      assert.deepEqual(exit, { code: 0, signal: null }, agent.stderr);
      assert.equal(agent.event('stopped')!.reason, 'signal');
      await assertDetached(linkIds);
      assertClean(file);
      assert.equal(capinfosCount(file), 5);
      assert.equal(readFile(file).reader.interfaces[0]!.statistics?.usrDeliv, 5n);
    });
  }

  test('SIGKILL: the tcx links vanish with the process', async () => {
    const { agent, linkIds } = await start('kill.pcapng');
    assert.ok(linkIds.every((id) => links().has(id)));
    agent.kill('SIGKILL');
    assert.equal((await agent.exited).signal, 'SIGKILL');
    await assertDetached(linkIds);
  });

  test('stdin of /dev/null is not a stop signal: the agent runs until told', async () => {
    const file = path.join(dir, 'devnull.pcapng');
    const agent = spawnAgent(
      ['capture', '--netns', pair.a.ns.name, '-i', pair.a.dev, '-B', '1024', '-w', file, '--events', 'json'],
      { stdin: 'ignore' },
    );
    await agent.started();
    await udpOneWay(pair.a.ns, pair.b.ns, pair.b.ip4, 7000, 2, 100);
    assert.equal(agent.child.exitCode, null, 'still running');
    agent.kill('SIGTERM');
    assert.equal((await within(agent.exited, 5000, 'exit')).code, 0);
    assert.equal(capinfosCount(file), 2);
  });
});
