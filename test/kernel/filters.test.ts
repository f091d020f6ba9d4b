// Capture filters in the kernel, judged by tshark: every agent file must hold exactly the packets
// that an equivalent Wireshark display filter selects from an independent tcpdump capture of the
// same traffic (and, where the traffic is deterministic, exactly the number the generators made).
// The traffic mixes matching and non-matching packets of every kind: UDP and TCP over IPv4 and
// IPv6 to several ports and addresses, ICMP, ICMPv6 and ARP, in both directions.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CaptureRun, captureMany, scratchDir } from './helpers/agent.js';
import { counts, countsAsync, pool } from './helpers/judge.js';
import { createVethPair, settle, type VethPair } from './helpers/netns.js';
import { python, Tcpdump, tcpExchange, udpEcho, udpOneWay } from './helpers/traffic.js';

interface Case {
  filter: string;
  /** The same selection as a Wireshark display filter, applied to the reference capture. */
  display: string;
  /** The exact count the generators guarantee, where no TCP is involved. */
  exact?: number;
}

const A_MAC = '02:00:00:00:00:0a';
const B_MAC = '02:00:00:00:00:0b';
const B4_2 = '198.51.100.66'; // B's second addresses, for host and net filters
const B6_2 = '2001:db8:100::66';

// Batches of agents, each batch attached at once to vA and fed the traffic mix (one batch: with
// the verifier's work now ~10 ms per agent, 24 agents side by side start in a second or two).
const BATCHES: Case[][] = [
  [
    { filter: 'udp,7000', display: 'udp.port == 7000', exact: 10 },
    { filter: 'tcp', display: 'tcp' },
    { filter: 'udp port 7000', display: 'udp.port == 7000', exact: 10 },
    { filter: 'src port 7000', display: 'udp.srcport == 7000 || tcp.srcport == 7000', exact: 5 },
    { filter: 'dst port 7000', display: 'udp.dstport == 7000 || tcp.dstport == 7000', exact: 5 },
    { filter: 'portrange 7001-7003', display: 'udp.port in {7001..7003}', exact: 6 },
    // pcap-filter(7): `host` is IPv4, ARP and RARP, so the ARP exchange between A and B matches too.
    {
      filter: 'host 198.51.100.2',
      display: 'ip.addr == 198.51.100.2 || arp.src.proto_ipv4 == 198.51.100.2 || arp.dst.proto_ipv4 == 198.51.100.2',
    },
    { filter: 'src host 198.51.100.1', display: 'ip.src == 198.51.100.1 || arp.src.proto_ipv4 == 198.51.100.1' },
    { filter: 'dst host 198.51.100.2', display: 'ip.dst == 198.51.100.2 || arp.dst.proto_ipv4 == 198.51.100.2' },
    { filter: 'host 2001:db8:100::2', display: 'ipv6.addr == 2001:db8:100::2' },
    { filter: 'src host 2001:db8:100::1', display: 'ipv6.src == 2001:db8:100::1' },
    { filter: 'dst host 2001:db8:100::2', display: 'ipv6.dst == 2001:db8:100::2' },
    { filter: 'net 198.51.100.64/26', display: 'ip.addr == 198.51.100.64/26', exact: 2 },
    { filter: 'net 2001:db8:100::40/122', display: 'ipv6.addr == 2001:db8:100::40/122', exact: 2 },
    { filter: 'icmp', display: 'icmp', exact: 4 },
    { filter: 'icmp6', display: 'icmpv6', exact: 4 },
    { filter: 'ip6', display: 'ipv6' },
    { filter: 'arp', display: 'arp', exact: 4 },
    { filter: 'tcp or udp', display: 'tcp || udp' },
    { filter: 'inbound', display: `eth.src == ${B_MAC}` },
    { filter: 'outbound', display: `eth.src == ${A_MAC}` },
    // Several OR-ed kernel rules.
    { filter: 'udp port 7001 or icmp or arp', display: 'udp.port == 7001 || icmp || arp', exact: 10 },
    {
      filter: `host ${B4_2} or host ${B6_2} or (tcp and dst port 8001)`,
      display: `ip.addr == ${B4_2} || ipv6.addr == ${B6_2} || tcp.dstport == 8001`,
    },
    {
      filter: 'udp and (port 7000 or port 7002) and outbound',
      display: `(udp.port == 7000 || udp.port == 7002) && eth.src == ${A_MAC}`,
      exact: 7,
    },
  ],
];

interface Judged {
  run: CaptureRun;
  refTotal: number;
  /** Reference packets the display filter selects. */
  expected: number;
  /** Agent file: all packets, and those the display filter selects. */
  got: number;
  gotMatching: number;
}

describe('capture filters (exact counts, judged by tshark against tcpdump)', () => {
  let pair: VethPair;
  let dir: string;
  const results = new Map<string, Judged>();

  /** The traffic mix; every UDP datagram has a receiver, so no ICMP errors join in. */
  async function mix(): Promise<void> {
    const { a, b } = pair;
    await udpEcho(a.ns, b.ns, b.ip4, 7000, 3, 100, 40001); // 6 packets, port 7000
    await udpOneWay(a.ns, b.ns, b.ip4, 7001, 2, 100, 40002); // 2, port 7001
    await udpEcho(a.ns, b.ns, b.ip6, 7000, 2, 100, 40003); // 4, port 7000 over IPv6
    await udpOneWay(a.ns, b.ns, b.ip6, 7002, 2, 100, 40004); // 2, port 7002 over IPv6
    await udpOneWay(a.ns, b.ns, B4_2, 7003, 2, 100, 40005); // 2, to the second IPv4 address
    await udpOneWay(a.ns, b.ns, B6_2, 7004, 2, 100, 40006); // 2, to the second IPv6 address
    await tcpExchange(a.ns, b.ns, b.ip4, 8000, 5000, 3000, 40007);
    await tcpExchange(a.ns, b.ns, b.ip6, 8001, 5000, 3000, 40008);
    await python(a.ns, 'icmp4', b.ip4, 2).expectOk(); // 4
    await python(a.ns, 'icmp6', b.ip6, 2).expectOk(); // 4
    await python(a.ns, 'arp', a.dev, a.mac, a.ip4, b.ip4, 2).expectOk(); // 4
  }

  before(async () => {
    pair = await createVethPair({ tag: 'flt' });
    const { a, b } = pair;
    b.ns.ip('addr', 'add', `${B4_2}/24`, 'dev', b.dev);
    b.ns.ip('addr', 'add', `${B6_2}/64`, 'dev', b.dev, 'nodad');
    a.ns.ip('neigh', 'replace', B4_2, 'lladdr', b.mac, 'dev', a.dev, 'nud', 'permanent');
    a.ns.ip('neigh', 'replace', B6_2, 'lladdr', b.mac, 'dev', a.dev, 'nud', 'permanent');
    await settle([b]); // the new IPv6 address's MLD report
    dir = scratchDir('filters');
    for (const [i, batch] of BATCHES.entries()) {
      const ref = path.join(dir, `ref${i}.pcap`);
      const tcpdump = new Tcpdump(a.ns, a.dev, ref);
      const runs = batch.map((c, j) => ({
        name: `b${i}-${j}.pcapng`,
        args: ['--netns', a.ns.name, '-i', a.dev, '-B', '1024', '-f', c.filter],
      }));
      try {
        await tcpdump.listening;
        const done = await captureMany(runs, mix, dir);
        await tcpdump.stop();
        // One tshark pass per file: the reference against every display filter, each agent file
        // against its own.
        const [refCounts, ...fileCounts] = await pool(
          [
            () => countsAsync(ref, ['frame', ...batch.map((c) => c.display)]),
            ...batch.map((c, j) => () => countsAsync(done.get(runs[j]!.name)!.file, ['frame', c.display])),
          ],
          2,
        );
        const judged: Judged[] = batch.map((_, j) => ({
          run: done.get(runs[j]!.name)!,
          refTotal: refCounts![0]!,
          expected: refCounts![j + 1]!,
          got: fileCounts[j]![0]!,
          gotMatching: fileCounts[j]![1]!,
        }));
        for (const [j, c] of batch.entries()) results.set(c.filter, judged[j]!);
      } finally {
        await tcpdump.stop();
      }
      // The mix is what the cases assume: nothing else on the wire, no ICMP errors.
      const [all, noise, known] = counts(ref, [
        'frame',
        'icmp.type == 3 || icmpv6.type == 1 || icmpv6.type == 135 || icmpv6.type == 143',
        'tcp || udp || icmp || icmpv6 || arp',
      ]);
      assert.equal(noise, 0, 'reference holds no ICMP errors, ND or MLD');
      assert.equal(known, all, 'reference holds only generated traffic');
    }
  });

  after(() => pair?.destroy());

  for (const c of BATCHES.flat()) {
    test(`-f "${c.filter}"`, () => {
      const r = results.get(c.filter);
      assert.ok(r, 'capture ran');
      const expected = r.expected;
      assert.ok(
        expected > 0 && expected < r.refTotal,
        `the traffic has matching (${expected}) and non-matching (${r.refTotal - expected}) packets`,
      );
      if (c.exact !== undefined) assert.equal(expected, c.exact, 'reference count equals what the generators sent');
      assert.equal(r.got, expected, 'packets in the agent file');
      assert.equal(r.gotMatching, r.got, 'every packet in the agent file passes the display filter');
      assert.equal(r.run.stopped.packets, expected, 'the stopped event reports the same count');
      assert.equal(r.run.stopped.kernelDropped, 0);
    });
  }
});
