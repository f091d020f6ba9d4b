// --exclude: packets of an excluded 5-tuple (a capture's own SSH session) never reach the capture,
// whatever -f says, with an empty -f, across set-filter, over IPv4 and IPv6, and for every fragment
// of an excluded series. Exact counts: the agent files are judged by tshark against an independent
// tcpdump capture of the same traffic (TCP segmentation is not deterministic) or against what the
// UDP generators sent.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CaptureRun, captureMany, scratchDir, spawnAgent, within } from './helpers/agent.js';
import { hasClsact, ourTcFilters, ourTcx } from './helpers/bpf.js';
import { assertClean, counts, fields, readFile } from './helpers/judge.js';
import { captureOnSideA, createVethPair, type VethPair } from './helpers/netns.js';
import { GENERATOR_TIMEOUT_MS, node, python, Tcpdump, tcpExchange, udpEcho, udpOneWay } from './helpers/traffic.js';

/** Both directions of one connection, as the extension would exclude its SSH session. */
function fiveTuple(proto: 'tcp' | 'udp', client: string, cport: number, server: string, sport: number): string {
  return (
    `${proto} and ((src host ${client} and src port ${cport} and dst host ${server} and dst port ${sport}) or ` +
    `(src host ${server} and src port ${sport} and dst host ${client} and dst port ${cport}))`
  );
}

// The mix: the "SSH sessions" E4/E6 and, to the same server ports, the flows K4/K6 that must stay.
const E4 = 'tcp.port == 40022';
const K4 = 'tcp.port == 40023';
const E6 = 'tcp.port == 40024';
const K6 = 'tcp.port == 40025';
const U4 = 'udp.port == 7000';

describe('--exclude: packets of an excluded 5-tuple are never captured', () => {
  let pair: VethPair;
  let dir: string;
  let ssh4: string;
  let ssh6: string;

  before(async () => {
    pair = await createVethPair({ tag: 'exc' });
    dir = scratchDir('exclude');
    ssh4 = fiveTuple('tcp', pair.a.ip4, 40022, pair.b.ip4, 2222);
    ssh6 = fiveTuple('tcp', pair.a.ip6, 40024, pair.b.ip6, 2224);
  });

  after(() => pair?.destroy());

  describe('a TCP mix over IPv4 and IPv6 (judged against tcpdump)', () => {
    let runs: Map<string, CaptureRun>;
    let ref: number[];
    const base = () => captureOnSideA(pair);

    before(async () => {
      const { a, b } = pair;
      const refFile = path.join(dir, 'ref.pcap');
      const tcpdump = new Tcpdump(a.ns, a.dev, refFile);
      try {
        await tcpdump.listening;
        runs = await captureMany(
          [
            { name: 'empty-ex4.pcapng', args: [...base(), '--exclude', ssh4] },
            { name: 'incl-ex4.pcapng', args: [...base(), '-f', 'tcp port 2222 or udp port 7000', '--exclude', ssh4] },
            { name: 'empty-ex6.pcapng', args: [...base(), '--exclude', ssh6] },
          ],
          async () => {
            await tcpExchange(a.ns, b.ns, b.ip4, 2222, 5000, 3000, 40022); // E4
            await tcpExchange(a.ns, b.ns, b.ip4, 2222, 5000, 3000, 40023); // K4
            await tcpExchange(a.ns, b.ns, b.ip6, 2224, 5000, 3000, 40024); // E6
            await tcpExchange(a.ns, b.ns, b.ip6, 2224, 5000, 3000, 40025); // K6
            await udpEcho(a.ns, b.ns, b.ip4, 7000, 3, 100, 40001); // 6
          },
          dir,
        );
      } finally {
        await tcpdump.stop();
      }
      ref = counts(refFile, ['frame', E4, K4, E6, K6, U4]);
      const [total, e4, k4, e6, k6, u4] = ref;
      assert.equal(u4, 6, 'the UDP echo: 3 requests, 3 replies');
      assert.ok(e4! > 0 && k4! > 0 && e6! > 0 && k6! > 0, `every flow on the wire: ${ref}`);
      assert.equal(total, e4! + k4! + e6! + k6! + u4!, 'the reference holds the generated flows only');
    });

    /** [all, E4, K4, E6, K6, U4] in an agent file; checks the file reads cleanly first. */
    function got(name: string): number[] {
      const run = runs.get(name)!;
      assertClean(run.file);
      return counts(run.file, ['frame', E4, K4, E6, K6, U4]);
    }

    test('empty filter + IPv4 5-tuple: everything but that connection', () => {
      const [total, e4, k4, e6, k6, u4] = ref;
      assert.deepEqual(got('empty-ex4.pcapng'), [total! - e4!, 0, k4, e6, k6, u4]);
      assert.equal(runs.get('empty-ex4.pcapng')!.stopped.packets, total! - e4!);
    });

    test('-f including both connections + IPv4 5-tuple: the other connection only, all of it', () => {
      const [, , k4, , , u4] = ref;
      assert.deepEqual(got('incl-ex4.pcapng'), [k4! + u4!, 0, k4, 0, 0, u4]);
    });

    test('empty filter + IPv6 5-tuple: everything but that connection', () => {
      const [total, e4, k4, e6, k6, u4] = ref;
      assert.deepEqual(got('empty-ex6.pcapng'), [total! - e6!, e4, k4, 0, k6, u4]);
    });

    test('excluded packets count as seen, not matched (pcapng statistics)', () => {
      const [total, e4] = ref;
      const stats = readFile(runs.get('empty-ex4.pcapng')!.file).reader.interfaces[0]!.statistics!;
      assert.equal(stats.ifRecv, BigInt(total!), 'isb_ifrecv: every packet the hooks saw');
      assert.equal(stats.filterAccept, BigInt(total! - e4!), 'isb_filteraccept: all but the excluded');
      assert.equal(stats.usrDeliv, BigInt(total! - e4!));
    });

    test('the started event and pcapng if_filter give the effective filter', () => {
      const cases: [string, string, string][] = [
        ['empty-ex4.pcapng', `not (${ssh4})`, ssh4],
        ['incl-ex4.pcapng', `(tcp port 2222 or udp port 7000) and not (${ssh4})`, ssh4],
        ['empty-ex6.pcapng', `not (${ssh6})`, ssh6],
      ];
      for (const [name, effective, exclude] of cases) {
        const run = runs.get(name)!;
        assert.equal(run.started.filter, effective, `${name}: started.filter`);
        assert.equal(run.started.exclude, exclude, `${name}: started.exclude`);
        assert.equal(readFile(run.file).reader.interfaces[0]!.filter, effective, `${name}: if_filter`);
      }
    });
  });

  test('every fragment of an excluded series is left out (IPv4 and IPv6), the others captured whole', async () => {
    const { a, b } = pair;
    // libpcap's port primitives, as tcpdump's, do not look behind an IPv6 fragment header, so the
    // exclusion names the UDP header of a first IPv6 fragment by its offsets (fragment header at
    // 40, offset 0, UDP destination port at 48 + 2). Later fragments carry no ports: they follow.
    const firstFragment6 = 'ip6[6] = 44 and ip6[40] = 17 and ip6[42:2] & 0xfff8 = 0 and ip6[50:2] = 7000';
    const base = [...captureOnSideA(pair), '--exclude', `udp dst port 7000 or (${firstFragment6})`];
    const runs = await captureMany(
      [
        { name: 'frag-empty.pcapng', args: base },
        { name: 'frag-udp.pcapng', args: [...base, '-f', 'udp'] },
      ],
      async () => {
        const sinks = [
          node(b.ns, 'udp-sink', b.ip4, 7000, 2, GENERATOR_TIMEOUT_MS),
          node(b.ns, 'udp-sink', b.ip4, 7001, 1, GENERATOR_TIMEOUT_MS),
          node(b.ns, 'udp-sink', b.ip6, 7000, 2, GENERATOR_TIMEOUT_MS),
          node(b.ns, 'udp-sink', b.ip6, 7001, 2, GENERATOR_TIMEOUT_MS),
        ];
        await Promise.all(sinks.map((s) => s.ready));
        await python(a.ns, 'udpbig', b.ip4, 7000, 2, 3000).expectOk(); // 3 fragments each
        await python(a.ns, 'udpbig', b.ip4, 7001, 1, 3000).expectOk();
        await python(a.ns, 'udpbig', b.ip6, 7000, 2, 3000).expectOk();
        await python(a.ns, 'udpbig', b.ip6, 7001, 2, 3000).expectOk();
        await Promise.all(sinks.map((s) => s.expectOk()));
      },
      dir,
    );
    for (const run of runs.values()) {
      assertClean(run.file);
      // 3 datagrams to 7001, 3 fragments each, every one a fragment; tshark reassembles all three.
      assert.deepEqual(
        counts(run.file, ['frame', 'ip.flags.mf == 1 || ip.frag_offset > 0 || ipv6.fraghdr']),
        [9, 9],
        run.file,
      );
      const whole = fields(run.file, ['udp.dstport', 'ip.fragment.count', 'ipv6.fragment.count'], 'udp.length == 3008');
      assert.deepEqual(
        whole.map((r) => [r[0], r[1] || r[2]]),
        Array(3).fill(['7001', '3']),
        `${run.file}: each from its 3 fragments`,
      );
    }
  });

  test('set-filter replaces -f and keeps the exclusion', async () => {
    const { a, b } = pair;
    const ex = fiveTuple('udp', a.ip4, 40001, b.ip4, 7000);
    const file = path.join(dir, 'live.pcapng');
    const agent = spawnAgent([
      'capture',
      ...captureOnSideA(pair),
      '-f',
      'udp port 7000',
      '--exclude',
      ex,
      '-w',
      file,
      '--events',
      'json',
    ]);
    /** Sends set-filter; resolves with the effective filter the agent's 'filter' reply gives. */
    const setFilter = async (filter: string): Promise<unknown> => {
      const seen = agent.events.length;
      agent.child.stdin!.write(`${JSON.stringify({ command: 'set-filter', filter })}\n`);
      const deadline = Date.now() + 10_000;
      for (;;) {
        const reply = agent.events.slice(seen).find((e) => e.event === 'filter' || e.event === 'error');
        if (reply) {
          assert.equal(reply.event, 'filter', `set-filter refused: ${String(reply.message)}`);
          return reply.filter;
        }
        assert.ok(Date.now() < deadline, 'the agent answers set-filter within 10 s');
        await sleep(10);
      }
    };
    const excluded = () => udpEcho(a.ns, b.ns, b.ip4, 7000, 2, 10, 40001); // 4 packets, never captured
    const kept = () => udpEcho(a.ns, b.ns, b.ip4, 7000, 2, 10, 40002); // 4 packets
    assert.equal((await agent.started()).filter, `(udp port 7000) and not (${ex})`);
    await excluded();
    await kept();
    assert.equal(await setFilter('udp'), `(udp) and not (${ex})`);
    await excluded();
    await kept();
    await udpOneWay(a.ns, b.ns, b.ip4, 7001, 3, 10, 40001); // same client port, other server port: 3
    assert.equal(await setFilter(''), `not (${ex})`);
    await excluded();
    await kept();
    const exit = await agent.stop();
    assert.equal(exit.code, 0, agent.stderr);
    assertClean(file);
    const pairs = fields(file, ['udp.srcport', 'udp.dstport']).map(([s, d]) => `${s}>${d}`);
    const echo = ['40002>7000', '7000>40002', '40002>7000', '7000>40002'];
    assert.deepEqual(pairs, [...echo, ...echo, ...Array(3).fill('40001>7001'), ...echo]);
  });

  describe('a bad --exclude fails before anything is attached (exit 2)', () => {
    const cases: { name: string; args: () => string[]; says: RegExp }[] = [
      {
        name: 'out-of-range port',
        args: () => ['--exclude', 'tcp port 70000'],
        says: /^invalid --exclude filter: .*70000/,
      },
      {
        name: 'a syntax error',
        args: () => ['--exclude', 'tcp port'],
        says: /^invalid --exclude filter: can't parse filter expression: syntax error$/,
      },
      {
        // Checked alone: its parenthesis cannot close the one around -f in "(FILTER) and not (EXCLUDE)".
        name: 'an exclusion that only parses inside the combined expression',
        args: () => ['-f', 'udp', '--exclude', 'tcp) or (udp'],
        says: /^invalid --exclude filter: can't parse filter expression: syntax error$/,
      },
    ];
    for (const c of cases) {
      test(c.name, async () => {
        const args = [
          'capture',
          '--netns',
          pair.a.ns.name,
          '-i',
          pair.a.dev,
          '-w',
          path.join(dir, 'never.pcapng'),
          ...c.args(),
        ];
        const [human, json] = [spawnAgent(args), spawnAgent([...args, '--events', 'json'])];
        const [humanExit, jsonExit] = await Promise.all([
          within(human.exited, 20_000, 'the agent to fail'),
          within(json.exited, 20_000, 'the agent to fail'),
        ]);
        assert.equal(humanExit.code, 2, human.stderr);
        assert.equal(human.stderr.trimEnd().split('\n').length, 1, `one line: ${human.stderr}`);
        assert.match(human.stderr.replace(/^pcap-agent: /, '').trimEnd(), c.says);
        assert.equal(jsonExit.code, 2, json.stderr);
        assert.deepEqual(
          json.events.map((e) => [e.event, e.code]),
          [['error', 'E_FILTER']],
        );
        assert.match(String(json.events[0]!.message), c.says);
        assert.deepEqual(ourTcx(pair.a.ns, pair.a.dev), [], 'no tcx program of ours on vA');
        assert.deepEqual(ourTcFilters(pair.a.ns, pair.a.dev), [], 'no tc filter of ours on vA');
        assert.equal(hasClsact(pair.a.ns, pair.a.dev), false, 'no clsact qdisc on vA');
      });
    }
  });
});
