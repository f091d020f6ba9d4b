// Port filters behind IPv6 extension headers (hop-by-hop, destination options), and IP fragments:
// a series whose first fragment matched a port filter is captured whole (the BPF program remembers
// the series), a series that did not match is not captured at all. tshark reassembles what it read.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type CaptureRun, captureMany, scratchDir } from './helpers/agent.js';
import { counts, fields } from './helpers/judge.js';
import { createVethPair, type VethPair } from './helpers/netns.js';
import { GENERATOR_TIMEOUT_MS, node, python } from './helpers/traffic.js';

describe('IPv6 extension headers and IP fragments', () => {
  let pair: VethPair;
  let runs: Map<string, CaptureRun>;

  before(async () => {
    pair = await createVethPair({ tag: 'ext' });
    const { a, b } = pair;
    const dir = scratchDir('ext');
    const base = ['--netns', a.ns.name, '-i', a.dev, '-B', '1024'];
    runs = await captureMany(
      [
        { name: 'port', args: [...base, '-f', 'udp port 7000'] },
        { name: 'dst6', args: [...base, '-f', 'ip6 and udp dst port 7000'] },
        { name: 'all', args: base },
      ],
      async () => {
        // Receivers for everything, so no ICMP errors: 7000 gets 2+2+2 small + 2 big v4 + 2 big v6.
        const s7000v6 = node(b.ns, 'udp-sink', b.ip6, 7000, 8, GENERATOR_TIMEOUT_MS);
        const s7001v6 = node(b.ns, 'udp-sink', b.ip6, 7001, 4, GENERATOR_TIMEOUT_MS);
        const s7000v4 = node(b.ns, 'udp-sink', b.ip4, 7000, 2, GENERATOR_TIMEOUT_MS);
        const s7001v4 = node(b.ns, 'udp-sink', b.ip4, 7001, 1, GENERATOR_TIMEOUT_MS);
        await Promise.all([s7000v6.ready, s7001v6.ready, s7000v4.ready, s7001v4.ready]);
        for (const kind of ['hop', 'dst', 'both']) {
          await python(a.ns, 'udp6ext', b.ip6, 7000, 2, 100, kind).expectOk();
        }
        await python(a.ns, 'udp6ext', b.ip6, 7001, 2, 100, 'both').expectOk();
        await python(a.ns, 'udpbig', b.ip4, 7000, 2, 3000).expectOk(); // 3 fragments each
        await python(a.ns, 'udpbig', b.ip4, 7001, 1, 3000).expectOk();
        await python(a.ns, 'udpbig', b.ip6, 7000, 2, 3000).expectOk(); // 3 fragments each
        await python(a.ns, 'udpbig', b.ip6, 7001, 2, 3000).expectOk();
        await Promise.all([s7000v6.expectOk(), s7001v6.expectOk(), s7000v4.expectOk(), s7001v4.expectOk()]);
      },
      dir,
    );
  });

  after(() => pair?.destroy());

  test('the traffic is what the cases assume (unfiltered capture)', () => {
    const f = runs.get('all')!.file;
    assert.deepEqual(
      counts(f, [
        'frame',
        'ipv6.hopopts && !ipv6.dstopts',
        'ipv6.dstopts && !ipv6.hopopts',
        'ipv6.hopopts && ipv6.dstopts',
        'ip.flags.mf == 1 || ip.frag_offset > 0',
        'ipv6.fraghdr',
      ]),
      [8 + 9 + 12, 2, 2, 4, 9, 12],
    );
  });

  test('udp port 7000 matches behind hop-by-hop and destination options headers', () => {
    const f = runs.get('port')!.file;
    assert.deepEqual(counts(f, ['udp.dstport == 7000 && (ipv6.hopopts || ipv6.dstopts)', 'udp.port == 7001']), [6, 0]);
  });

  test('udp port 7000 captures every fragment of the matching IPv4 and IPv6 series, none of the others', () => {
    const f = runs.get('port')!.file;
    // IPv4 and IPv6: 2 datagrams × 3 fragments each.
    assert.deepEqual(counts(f, ['frame', 'ip.flags.mf == 1 || ip.frag_offset > 0', 'ipv6.fraghdr']), [6 + 6 + 6, 6, 6]);
    // tshark reassembled all four datagrams from what the agent wrote.
    const whole = fields(f, ['udp.dstport', 'ip.fragment.count', 'ipv6.fragment.count'], 'udp.length == 3008');
    assert.deepEqual(
      whole.map((r) => [r[0], r[1] || r[2]]),
      Array(4).fill(['7000', '3']),
      'each from its 3 fragments',
    );
    assert.equal(runs.get('port')!.stopped.packets, 18);
  });

  test('ip6 and udp dst port 7000: the IPv6 part only', () => {
    assert.deepEqual(counts(runs.get('dst6')!.file, ['frame', 'ip', 'udp.length == 3008']), [6 + 6, 0, 2]);
  });
});
