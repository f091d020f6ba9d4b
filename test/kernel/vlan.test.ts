// VLAN-tagged traffic: 802.1Q, and QinQ (802.1ad outside, 802.1Q inside), captured with a port
// filter that sees through the tags, and shown to tshark with every tag in place. The filter is
// tcpdump's language: it reads the frame as the kernel holds it at tc, so a tag still in the
// packet bytes needs `vlan` (each `vlan` moves the following tests past one more tag, for the rest
// of the expression), while an outer tag the receive path moved into metadata does not.
//
// This kernel has no 802.1Q support (CONFIG_VLAN_8021Q is not set, and neither are bridge VLAN
// filtering nor act_vlan), so VLAN subinterfaces cannot exist here. The tagged frames are written
// through a packet socket on vA instead, which exercises both ways a tag reaches the BPF program:
// - vA egress: the tags are in the packet bytes (in band); the parser must skip them;
// - vB ingress: the receive path always moves the outer tag out of the packet into skb metadata
//   (skb_vlan_untag, whatever the rx offload setting); the program must re-insert it, and skip an
//   inner tag that stays in band (QinQ).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type CaptureRun, captureMany, scratchDir } from './helpers/agent.js';
import { counts, fields } from './helpers/judge.js';
import { createVethPair, type VethPair } from './helpers/netns.js';
import { python } from './helpers/traffic.js';

describe('VLAN tags (802.1Q, QinQ) in band and out of band', () => {
  let pair: VethPair;
  let runs: Map<string, CaptureRun>;

  before(async () => {
    pair = await createVethPair({ tag: 'vlan' });
    const { a, b } = pair;
    const onA = ['--netns', a.ns.name, '-i', a.dev, '-B', '1024', '--direction', 'out'];
    const onB = ['--netns', b.ns.name, '-i', b.dev, '-B', '1024', '--direction', 'in'];
    const port7000 = 'udp port 7000 or (vlan and udp port 7000) or (vlan and udp port 7000)'; // 0, 1 or 2 tags in band
    runs = await captureMany(
      [
        { name: 'a-port', args: [...onA, '-f', port7000] },
        { name: 'b-port', args: [...onB, '-f', port7000] },
        { name: 'b-snap', args: [...onB, '-f', port7000, '-s', '64'] },
        { name: 'b-all', args: onB },
      ],
      async () => {
        const send = (tags: string, src: string, dst: string, port: number, n: number) =>
          python(a.ns, 'vlan', a.dev, a.mac, b.mac, tags, src, dst, port, n, 100).expectOk();
        await send('8100:100', a.ip4, b.ip4, 7000, 3); // matching
        await send('8100:100:5', a.ip6, b.ip6, 7000, 2); // matching, priority 5
        await send('8100:100', a.ip4, b.ip4, 7001, 2); // not matching
        await send('88a8:200,8100:300', a.ip4, b.ip4, 7000, 2); // matching, QinQ
        await send('88a8:200,8100:300', a.ip6, b.ip6, 7001, 1); // not matching, QinQ
      },
      scratchDir('vlan'),
    );
  });

  after(() => pair?.destroy());

  for (const [name, where] of [
    ['a-port', 'vA egress (tags in band)'],
    ['b-port', 'vB ingress (outer tag out of band)'],
  ] as const) {
    test(`udp port 7000 on ${where}: exact counts, every tag in place`, () => {
      const f = runs.get(name)!.file;
      assert.deepEqual(counts(f, ['frame', 'udp.port == 7001']), [7, 0]);
      const single = fields(f, ['vlan.id', 'vlan.priority', 'eth.type', 'vlan.etype'], '!ieee8021ad');
      assert.deepEqual(single, [
        ...Array(3).fill(['100', '0', '0x8100', '0x0800']),
        ...Array(2).fill(['100', '5', '0x8100', '0x86dd']),
      ]);
      // tshark shows the 802.1ad outer tag as ieee8021ad, the inner 802.1Q tag as vlan.
      const qinq = fields(f, ['ieee8021ad.id', 'eth.type', 'vlan.id', 'vlan.etype'], 'ieee8021ad');
      assert.deepEqual(qinq, Array(2).fill(['200', '0x88a8', '300', '0x0800']));
    });
  }

  test('unfiltered on vB: all 10 frames, each with its tags', () => {
    const f = runs.get('b-all')!.file;
    assert.deepEqual(
      counts(f, ['frame', 'vlan.id == 100 && !ieee8021ad', 'ieee8021ad.id == 200 && vlan.id == 300']),
      [10, 7, 3],
    );
  });

  test('-s 64: the snap includes the re-inserted tag; frame.len is the true length', () => {
    const rows = fields(runs.get('b-snap')!.file, ['frame.cap_len', 'frame.len', 'ieee8021ad.id']);
    assert.equal(rows.length, 7);
    const lengths = rows.map(([cap, len, outer]) => [cap, Number(len) - (outer ? 8 : 4)]);
    // Ethernet 14 + tags + IPv4 20 / IPv6 40 + UDP 8 + 100.
    assert.deepEqual(lengths, [
      ...Array(3).fill(['64', 142]),
      ...Array(2).fill(['64', 162]),
      ...Array(2).fill(['64', 142]),
    ]);
  });
});
