// The whole tcpdump filter language in the static agent's kernel path (libpcap → cBPF → eBPF,
// tail-called from the capture program at each tcx hook), judged by tcpdump itself:
// - live equivalence: tcpdump (AF_PACKET, `tcpdump -i vA EXPR`) and the static agent capture the
//   same traffic at once on a veth end, for a broad set of expressions; the two captures hold the
//   same packets, byte for byte. Where the two tools may legitimately differ, the traffic avoids it:
//   a veth has no qdisc (noqueue), so tcpdump's egress tap (after the qdisc) and our tcx egress hook
//   see the same packets, and no other tc program rewrites them; lo is not used (every packet passes
//   both of its hooks). VLAN tags are written in band (vA egress); a tag the receive path moved
//   into metadata is invisible to the data offsets libpcap compiles (see README, capture filters).
//   And libpcap (1.10, pcap-linux.c) judges the first packet after it sets a filter in user space,
//   where `inbound`/`outbound` (a pkt_type load) never match: tcpdump loses that packet. A warm-up
//   exchange before the traffic takes that place, and the comparison starts after it.
//   Payload bytes of TCP segments lie in paged data (TCP puts what it sends in page fragments on a
//   device with scatter-gather, as a veth is, and only the headers in the linear area): the
//   expressions reading them (`tcp[((tcp[12] & 0xf0) >> 2):4]`, `ip[1000:1]`) take the
//   translation's bpf_skb_load_bytes path, which filter-equivalence cannot reach (test_run gives
//   a linear skb), while the same offsets in UDP datagrams are read straight from the linear area.
// - a filter swap (set-filter) under a steady stream: every packet seen exactly once.
// - refused expressions: libpcap's message, and the old filter stays.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Agent, REPO, SETTLE_MS, scratchDir, spawnAgent } from './helpers/agent.js';
import { assertClean, readFile } from './helpers/judge.js';
import { captureOnSideA, createVethPair, type VethPair } from './helpers/netns.js';
import { tcpdumpSays } from './helpers/tcpdump-verdict.js';
import { node, python, Tcpdump, tcpExchange, udpEcho, udpOneWay } from './helpers/traffic.js';

const STATIC_AGENT = path.join(REPO, 'dist', 'agent', 'linux-x64', 'pcap-agent');

/** Each is captured by tcpdump and by the agent at once; every one matches some of the traffic. */
const EXPRESSIONS = [
  'tcp',
  'udp',
  'icmp',
  'icmp6',
  'arp',
  'ip6',
  'ip and not udp',
  'host 198.51.100.2',
  'src host 198.51.100.1 and dst port 8080',
  'net 198.51.100.0/24 and tcp',
  'ip6 net 2001:db8:100::/64 and udp',
  'dst host 2001:db8:100::1',
  'portrange 5000-8100',
  'tcp portrange 8000-9000',
  'udp[8:4] = 0',
  'tcp[tcpflags] & tcp-syn != 0',
  'tcp[13] & 0x12 = 0x12',
  'tcp[tcpflags] & (tcp-fin|tcp-rst) != 0',
  'not tcp',
  'not (udp or icmp) and ip',
  '(tcp and port 8080) or (udp and not port 5353)',
  'icmp[icmptype] = icmp-echoreply',
  'icmp6 and ip6[40] = 129',
  'ip6 and tcp port 8443',
  'greater 200',
  'less 100',
  'len >= 1000 and udp',
  'inbound',
  'outbound',
  'inbound and udp',
  'outbound and (tcp or icmp6)',
  'ip[6:2] & 0x1fff != 0',
  'udp port 7100',
  'ether src 02:00:00:00:00:0a and not ip6',
  'ether broadcast',
  'vlan',
  'vlan 100 and udp port 7000',
  // Paged data (see above): the first payload bytes of every TCP segment, an indirect load (the
  // first segment of each exchange carries sequence number 0 there); a byte deep in TCP segments
  // and in UDP datagrams, and one deeper still from the TCP header's end.
  'tcp[((tcp[12] & 0xf0) >> 2):4] = 0',
  'ip[1000:1] = 0x61',
  'tcp[((tcp[12] & 0xf0) >> 2) + 1100:2] = 0x6161',
];

const BATCH = 6; // expressions captured at once: 12 capturing processes on 2 cores

describe('the static agent filters as tcpdump does', () => {
  let pair: VethPair;
  let dir: string;

  before(async () => {
    if (!fs.existsSync(STATIC_AGENT)) throw new Error(`${STATIC_AGENT} is missing: run scripts/build-agent.sh`);
    pair = await createVethPair({ tag: 'sf' });
    dir = scratchDir('static-filter');
  });

  after(() => pair?.destroy());

  function staticAgent(args: readonly string[]): Agent {
    return spawnAgent(['capture', ...captureOnSideA(pair), ...args, '--events', 'json'], {
      command: [STATIC_AGENT],
    });
  }

  async function stopAll(agents: readonly Agent[]): Promise<void> {
    for (const a of agents) {
      if (a.child.exitCode !== null || a.child.signalCode !== null) continue;
      a.kill('SIGKILL');
      await a.exited;
    }
  }

  /** Every kind of packet the expressions test: TCP both ways and over IPv6, UDP, ICMP, fragments, ARP, VLAN. */
  async function traffic(): Promise<void> {
    const { a, b } = pair;
    await tcpExchange(a.ns, b.ns, b.ip4, 8080, 300, 1200); // a client, b server: SYN, SYN-ACK, FIN…
    await tcpExchange(a.ns, b.ns, b.ip6, 8443, 100, 50);
    await tcpExchange(b.ns, a.ns, a.ip4, 2222, 20, 20); // inbound connection
    await udpEcho(a.ns, b.ns, b.ip4, 5353, 3, 64);
    await udpEcho(a.ns, b.ns, b.ip6, 7000, 3, 40);
    await udpOneWay(b.ns, a.ns, a.ip4, 9000, 2, 1400);
    await python(a.ns, 'icmp4', b.ip4, 3).expectOk();
    await python(a.ns, 'icmp6', b.ip6, 3).expectOk();
    await python(a.ns, 'udpbig', b.ip4, 7100, 2, 3000).expectOk(); // fragments: first ones carry ports
    await python(a.ns, 'arp', a.dev, a.mac, a.ip4, b.ip4, 2).expectOk();
    await python(a.ns, 'vlan', a.dev, a.mac, b.mac, '8100:100', a.ip4, b.ip4, 7000, 2, 100).expectOk();
    await python(a.ns, 'vlan', a.dev, a.mac, b.mac, '8100:200', a.ip4, b.ip4, 7001, 1, 100).expectOk();
  }

  /** One packet each way over UDP and ICMPv6: the first match of every expression with a direction. */
  async function warmUp(): Promise<bigint> {
    const { a, b } = pair;
    await udpEcho(a.ns, b.ns, b.ip4, 4000, 1, 16);
    await python(a.ns, 'icmp6', b.ip6, 1).expectOk();
    await sleep(SETTLE_MS);
    return BigInt(Date.now() + 1) * 1_000_000n; // ns; every warm-up packet was captured before it
  }

  /** The packets after `since` (ns) as both files hold them: original length and bytes. */
  const packets = (file: string, since: bigint) =>
    readFile(file)
      .packets.filter((p) => p.timestampNs! > since)
      .map((p) => `${p.originalLength} ${Buffer.from(p.data).toString('hex')}`)
      .sort();

  const counts = new Map<string, number>();

  for (let first = 0; first < EXPRESSIONS.length; first += BATCH) {
    const batch = EXPRESSIONS.slice(first, first + BATCH);
    test(`live, at once, the same packets as tcpdump: ${batch.join(' | ')}`, async () => {
      const agents = batch.map((expr, i) =>
        staticAgent(['-f', expr, '-w', path.join(dir, `agent-${first + i}.pcapng`)]),
      );
      const dumps = batch.map(
        (expr, i) => new Tcpdump(pair.a.ns, pair.a.dev, path.join(dir, `tcpdump-${first + i}.pcap`), [expr]),
      );
      let since = 0n;
      try {
        await Promise.all([...agents.map((a) => a.started(20_000)), ...dumps.map((d) => d.listening)]);
        since = await warmUp();
        await traffic();
        await sleep(SETTLE_MS);
        const exits = await Promise.all(agents.map((a) => a.stop()));
        await Promise.all(dumps.map((d) => d.stop()));
        for (const [i, exit] of exits.entries()) assert.equal(exit.code, 0, agents[i]!.stderr);
      } finally {
        await stopAll(agents);
      }
      const mismatches: string[] = [];
      for (const [i, expr] of batch.entries()) {
        const ours = path.join(dir, `agent-${first + i}.pcapng`);
        assertClean(ours);
        assert.equal(agents[i]!.event('stopped')!.kernelDropped, 0, `"${expr}": kernel drops`);
        const want = packets(path.join(dir, `tcpdump-${first + i}.pcap`), since);
        const got = packets(ours, since);
        const onlyOurs = got.filter((p) => !want.includes(p));
        const onlyTcpdump = want.filter((p) => !got.includes(p));
        if (got.length !== want.length || onlyOurs.length + onlyTcpdump.length > 0)
          mismatches.push(
            `"${expr}": ${got.length} packets, tcpdump ${want.length}; only ours ${onlyOurs.slice(0, 2)}; only tcpdump's ${onlyTcpdump.slice(0, 2)}`,
          );
        assert.ok(want.length > 0, `"${expr}" matched nothing: the traffic does not exercise it`);
        counts.set(expr, want.length);
      }
      assert.deepEqual(mismatches, []);
    });
  }

  test('the expressions tell the traffic apart (not all matching the same packets)', () => {
    assert.equal(counts.size, EXPRESSIONS.length, 'every batch ran');
    assert.ok(new Set(counts.values()).size >= 10, JSON.stringify(Object.fromEntries(counts)));
    console.log(`packets per expression: ${JSON.stringify(Object.fromEntries(counts))}`);
  });

  test('set-filter under a steady stream: every packet seen exactly once across the swaps', async () => {
    const { a, b } = pair;
    const STREAM = 4000;
    // Both filters match the stream (port 7200); only the first matches the marker stream (7201),
    // whose packets, interleaved with the stream's, show which filter each moment ran.
    const both = 'udp dst port 7200 or udp dst port 7201';
    const streamOnly = 'udp and udp[2:2] = 7200';
    const file = path.join(dir, 'swap.pcapng');
    const agent = staticAgent(['-f', both, '-w', file]);
    let swaps = 0;
    try {
      await agent.started();
      const senders = [
        node(a.ns, 'udp-send', b.ip4, 7200, STREAM, 32).expectOk(),
        node(a.ns, 'udp-send', b.ip4, 7201, STREAM, 32).expectOk(),
      ];
      let running = true;
      const done = Promise.all(senders).finally(() => (running = false));
      while (running) {
        agent.child.stdin!.write(
          `${JSON.stringify({ command: 'set-filter', filter: swaps % 2 ? both : streamOnly })}\n`,
        );
        swaps++;
        await sleep(3);
      }
      await done;
      await sleep(SETTLE_MS);
      const exit = await agent.stop();
      assert.equal(exit.code, 0, agent.stderr);
    } finally {
      await stopAll([agent]);
    }
    assert.equal(agent.events.filter((e) => e.event === 'error').length, 0, agent.stderr);
    assert.equal(agent.events.filter((e) => e.event === 'filter').length, swaps);
    assert.ok(swaps >= 4, `only ${swaps} swaps happened while the stream ran`);
    assert.equal(agent.event('stopped')!.kernelDropped, 0);
    assertClean(file);
    const seen = new Map<number, number[]>([
      [7200, []],
      [7201, []],
    ]);
    for (const p of readFile(file).packets) {
      const data = Buffer.from(p.data);
      seen.get(data.readUInt16BE(14 + 20 + 2))!.push(data.readUInt32BE(14 + 20 + 8)); // dport; payload seq
    }
    const stream = seen.get(7200)!;
    assert.equal(stream.length, STREAM, 'each stream packet once: none lost, none doubled');
    assert.deepEqual(
      [...stream].sort((x, y) => x - y),
      Array.from({ length: STREAM }, (_, i) => i),
    );
    const markers = seen.get(7201)!.length;
    assert.ok(markers > 0 && markers < STREAM, `both filters ran during the stream (markers kept: ${markers})`);
    console.log(
      `${swaps} swaps during the stream; ${STREAM} stream packets each once; ${markers} of ${STREAM} markers`,
    );
  });

  test('set-filter with an expression libpcap refuses: its message, and the old filter stays', async () => {
    const { a, b } = pair;
    const file = path.join(dir, 'refused.pcapng');
    const agent = staticAgent(['-f', 'udp port 7301', '-w', file]);
    try {
      await agent.started();
      await udpOneWay(a.ns, b.ns, b.ip4, 7301, 2, 10);
      agent.child.stdin!.write('{"command":"set-filter","filter":"udp port 70000"}\n');
      const refused = await agent.waitFor('error');
      assert.deepEqual(
        [refused.code, refused.message],
        ['E_FILTER', `invalid filter: ${tcpdumpSays('udp port 70000')}`],
      );
      await udpOneWay(a.ns, b.ns, b.ip4, 7301, 3, 10);
      await udpOneWay(a.ns, b.ns, b.ip4, 7302, 2, 10); // neither filter
      agent.child.stdin!.write('{"command":"set-filter","filter":"udp,7302"}\n'); // PROTO,PORT form
      assert.equal((await agent.waitFor('filter')).filter, 'udp,7302');
      await udpOneWay(a.ns, b.ns, b.ip4, 7302, 1, 10);
      await sleep(SETTLE_MS);
      assert.equal((await agent.stop()).code, 0, agent.stderr);
    } finally {
      await stopAll([agent]);
    }
    const ports = readFile(file).packets.map((p) => Buffer.from(p.data).readUInt16BE(14 + 20 + 2));
    assert.deepEqual(ports, [7301, 7301, 7301, 7301, 7301, 7302]);
  });
});
