// IPv6 extension headers (hop-by-hop, destination options) and IP fragments under tcpdump's filter
// language (pcap-filter(7)), which the agent matches exactly: the port primitives read the header
// right after the fixed IPv6 header (not behind extension headers) and the first IPv4 fragment only
// (later fragments carry no ports); `ip6 proto N` also looks behind one fragment header, so it
// takes every fragment of an IPv6 series. tshark reassembles what it read. (--exclude, where a
// series follows its first fragment, is exclude.test.ts.)
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
        { name: 'proto6', args: [...base, '-f', 'ip6 proto 17'] },
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

  test('udp port 7000 does not look behind hop-by-hop and destination options headers', () => {
    const f = runs.get('port')!.file;
    assert.deepEqual(counts(f, ['ipv6.hopopts || ipv6.dstopts', 'udp.port == 7001']), [0, 0]);
  });

  test('udp port 7000 takes the first fragment of a matching IPv4 series, no later one, no IPv6 fragment', () => {
    const f = runs.get('port')!.file;
    assert.deepEqual(counts(f, ['frame', 'ip.flags.mf == 1 && ip.frag_offset == 0', 'ipv6.fraghdr']), [2, 2, 0]);
    assert.equal(runs.get('port')!.stopped.packets, 2);
  });

  test('ip6 proto 17 takes every fragment of each IPv6 UDP series, and no IPv4 or extension-header packet', () => {
    const f = runs.get('proto6')!.file;
    // 4 datagrams (2 to 7000, 2 to 7001) × 3 fragments.
    assert.deepEqual(counts(f, ['frame', 'ipv6.fraghdr', 'ip', 'ipv6.hopopts || ipv6.dstopts']), [12, 12, 0, 0]);
    // tshark reassembled all four datagrams from what the agent wrote.
    const whole = fields(f, ['udp.dstport', 'ipv6.fragment.count'], 'udp.length == 3008');
    assert.deepEqual(
      whole.map((r) => r[1]),
      Array(4).fill('3'),
      'each from its 3 fragments',
    );
    assert.deepEqual(whole.map((r) => r[0]).sort(), ['7000', '7000', '7001', '7001']);
  });
});
