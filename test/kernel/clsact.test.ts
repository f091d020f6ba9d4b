// The clsact fallback (--attach-mode clsact; what kernels without tcx get): the same exact counts as
// tcx; a clean stop removes our filters and the clsact qdisc if we created it; a qdisc someone else
// created is never deleted. After SIGKILL our filters stay (clsact filters do not belong to a
// process), and the next capture replaces them (fixed handle and priority) instead of adding more.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Agent, capture, scratchDir, spawnAgent, within } from './helpers/agent.js';
import { hasClsact, ourTcFilters, ourTcx, tcFilters } from './helpers/bpf.js';
import { assertClean, count, counts } from './helpers/judge.js';
import { captureOnSideA, createVethPair, type VethPair } from './helpers/netns.js';
import { udpEcho, udpOneWay } from './helpers/traffic.js';

describe('clsact fallback', () => {
  let pair: VethPair;
  let dir: string;

  before(async () => {
    pair = await createVethPair({ tag: 'tc' });
    dir = scratchDir('clsact');
  });

  after(() => pair?.destroy());

  const args = (extra: string[] = []) => [
    ...captureOnSideA(pair),
    '--attach-mode',
    'clsact',
    '-f',
    'udp port 7000',
    ...extra,
  ];

  /** 6 matching packets (3 echo exchanges) and 2 that do not match. */
  async function traffic() {
    const { a, b } = pair;
    await udpEcho(a.ns, b.ns, b.ip4, 7000, 3, 100);
    await udpOneWay(a.ns, b.ns, b.ip4, 7001, 2, 100);
  }

  function filtersOnA(): string[] {
    return ourTcFilters(pair.a.ns, pair.a.dev);
  }

  test('captures the same exact counts as tcx; a clean stop removes our filters and our qdisc', async () => {
    assert.equal(hasClsact(pair.a.ns, pair.a.dev), false);
    let during: string[] = [];
    const run = await capture(
      args(),
      async () => {
        during = filtersOnA();
        await traffic();
      },
      { dir, name: 'clsact.pcapng' },
    );
    assert.deepEqual(
      (run.started.interfaces as { mode: string }[]).map((i) => i.mode),
      ['clsact'],
    );
    assert.equal(during.length, 2, `one filter per direction while running:\n${during.join('\n')}`);
    assert.ok(during.some((l) => l.startsWith('ingress:')) && during.some((l) => l.startsWith('egress:')));
    assert.deepEqual(ourTcx(pair.a.ns, pair.a.dev), [], 'no tcx link in clsact mode');
    assertClean(run.file);
    assert.deepEqual(counts(run.file, ['frame', 'udp.port == 7000']), [6, 6]);
    assert.deepEqual(filtersOnA(), [], 'filters removed');
    assert.equal(hasClsact(pair.a.ns, pair.a.dev), false, 'the qdisc we created is removed');
  });

  test('a clsact qdisc someone else created survives, and so do their filters', async () => {
    const { a } = pair;
    a.ns.exec('tc', ['qdisc', 'add', 'dev', a.dev, 'clsact']);
    try {
      // Their filter, after ours in priority order (a match-all u32 filter that lets packets pass).
      a.ns.exec('tc', [
        'filter',
        'add',
        'dev',
        a.dev,
        'ingress',
        'prio',
        '65000',
        'protocol',
        'all',
        'u32',
        'match',
        'u32',
        '0',
        '0',
      ]);
      const theirs = tcFilters(a.ns, a.dev);
      const run = await capture(args(), traffic, { dir, name: 'foreign-qdisc.pcapng' });
      assert.equal(count(run.file), 6);
      assert.equal(hasClsact(a.ns, a.dev), true, 'their qdisc is still there');
      assert.deepEqual(filtersOnA(), [], 'our filters are gone');
      assert.deepEqual(tcFilters(a.ns, a.dev), theirs, 'their filter is untouched');
    } finally {
      a.ns.exec('tc', ['qdisc', 'del', 'dev', a.dev, 'clsact']);
    }
  });

  test('after SIGKILL our filters stay; the next capture replaces them and does not double-capture', async () => {
    const { a } = pair;
    const first = spawnAgent(['capture', ...args(), '-w', path.join(dir, 'killed.pcapng'), '--events', 'json']);
    await first.started();
    const before = filtersOnA();
    assert.equal(before.length, 2);
    first.kill('SIGKILL');
    await first.exited;
    assert.deepEqual(filtersOnA(), before, 'known limitation: clsact filters outlive a killed agent');

    let during: string[] = [];
    const second = await capture(
      args(),
      async () => {
        during = filtersOnA();
        await traffic();
      },
      { dir, name: 'after-kill.pcapng' },
    );
    assert.equal(
      during.length,
      2,
      `still one filter per direction (replaced, not added):\n${tcFilters(a.ns, a.dev).join('\n')}`,
    );
    assert.notDeepEqual(during, before, 'the stale filters were replaced by the new program');
    assert.equal(count(second.file), 6, 'each packet once');
    assert.deepEqual(filtersOnA(), [], 'the new capture removed its filters on a clean stop');
    // The qdisc the killed agent created is no longer known to be ours: it stays (empty).
    if (hasClsact(a.ns, a.dev)) a.ns.exec('tc', ['qdisc', 'del', 'dev', a.dev, 'clsact']);
  });

  test('a capture that only attaches ingress also removes a stale egress filter of ours', async () => {
    const { a } = pair;
    const first: Agent = spawnAgent(['capture', ...args(), '-w', path.join(dir, 'killed2.pcapng'), '--events', 'json']);
    await first.started();
    first.kill('SIGKILL');
    await first.exited;
    assert.equal(filtersOnA().length, 2);
    const run = await capture(args(['--direction', 'in']), traffic, { dir, name: 'in-only.pcapng' });
    assert.equal(count(run.file), 3);
    const exit = await within(run.agent.exited, 1000, 'exit');
    assert.equal(exit.code, 0);
    assert.deepEqual(filtersOnA(), [], 'no stale filter of ours left running into a ring nobody reads');
    if (hasClsact(a.ns, a.dev)) a.ns.exec('tc', ['qdisc', 'del', 'dev', a.dev, 'clsact']);
  });
});
