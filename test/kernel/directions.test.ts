// --direction in | out | both on a veth end, with request/response traffic: exact counts per
// direction, and the pcapng epb_flags direction tshark reads back (frame.packet_flags_direction:
// 1 inbound, 2 outbound). On loopback one hook sees everything, so nothing is captured twice.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type CaptureRun, capture, captureMany, scratchDir } from './helpers/agent.js';
import { fields } from './helpers/judge.js';
import { createVethPair, type VethPair } from './helpers/netns.js';
import { udpEcho, udpOneWay } from './helpers/traffic.js';

const INBOUND = '0x00000001';
const OUTBOUND = '0x00000002';
const A_MAC = '02:00:00:00:00:0a';

describe('capture directions', () => {
  let pair: VethPair;
  let dir: string;
  let runs: Map<string, CaptureRun>;

  before(async () => {
    pair = await createVethPair({ tag: 'dir' });
    dir = scratchDir('directions');
    const { a, b } = pair;
    const base = ['--netns', a.ns.name, '-i', a.dev, '-B', '1024'];
    runs = await captureMany(
      [
        { name: 'in', args: [...base, '--direction', 'in'] },
        { name: 'out', args: [...base, '--direction', 'out'] },
        { name: 'both', args: [...base, '--direction', 'both'] },
        { name: 'default', args: base },
      ],
      async () => {
        await udpEcho(a.ns, b.ns, b.ip4, 7000, 5, 200); // 5 out (requests) + 5 in (replies)
        await udpOneWay(a.ns, b.ns, b.ip4, 7001, 3, 300); // 3 out
        await udpOneWay(b.ns, a.ns, a.ip4, 7002, 2, 400); // 2 in
        await udpEcho(a.ns, b.ns, b.ip6, 7003, 2, 500); // 2 out + 2 in over IPv6
      },
      dir,
    );
  });

  after(() => pair?.destroy());

  /** [direction flag, source MAC, UDP destination port] per packet. */
  const packets = (name: string) =>
    fields(runs.get(name)!.file, ['frame.packet_flags_direction', 'eth.src', 'udp.dstport']);

  test('--direction in: exactly the 9 packets vA received, all flagged inbound', () => {
    const p = packets('in');
    assert.equal(p.length, 9);
    assert.ok(
      p.every(([flag, src]) => flag === INBOUND && src !== A_MAC),
      JSON.stringify(p),
    );
    assert.deepEqual(
      p.map((x) => x[2]).filter((port) => port === '7002'),
      ['7002', '7002'],
    );
  });

  test('--direction out: exactly the 10 packets vA sent, all flagged outbound', () => {
    const p = packets('out');
    assert.equal(p.length, 10);
    assert.ok(
      p.every(([flag, src]) => flag === OUTBOUND && src === A_MAC),
      JSON.stringify(p),
    );
    assert.equal(p.filter((x) => x[2] === '7000').length, 5);
    assert.equal(p.filter((x) => x[2] === '7001').length, 3);
  });

  for (const name of ['both', 'default']) {
    test(`--direction ${name === 'default' ? 'not given (both)' : 'both'}: all 19, each flagged by who sent it, requests before replies`, () => {
      const p = packets(name);
      assert.equal(p.length, 19);
      for (const [flag, src] of p) assert.equal(flag, src === A_MAC ? OUTBOUND : INBOUND);
      assert.equal(p.filter(([flag]) => flag === OUTBOUND).length, 10);
      // The echo exchange alternates strictly: request out, reply in.
      const echo = p.slice(0, 10).map(([flag]) => flag);
      assert.deepEqual(
        echo,
        Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? OUTBOUND : INBOUND)),
      );
    });
  }

  test('loopback inside a namespace: --direction both captures each packet once', async () => {
    const { a } = pair;
    const run = await capture(
      ['--netns', a.ns.name, '-i', 'lo', '-B', '1024', '-f', 'udp'],
      async () => {
        await udpEcho(a.ns, a.ns, '127.0.0.1', 7100, 3, 100);
        await udpOneWay(a.ns, a.ns, '::1', 7101, 2, 100);
      },
      { dir, name: 'lo.pcapng' },
    );
    const p = fields(run.file, ['udp.dstport']);
    assert.equal(p.length, 8, 'three requests, three replies, two one-way datagrams, each once');
  });
});
