// The static agent where eBPF cannot load: root without CAP_BPF, CAP_SYS_ADMIN and CAP_PERFMON (as
// in a container that has only NET_RAW among them) captures through libpcap's AF_PACKET instead,
// says so (a W_AF_PACKET warning, interfaces in mode "af_packet"), and writes what tcpdump writes
// for the same traffic and filter: the same packets in the same order, with their directions.
// The same command with the capabilities kept captures with eBPF (tcx), so the dropped capabilities
// are what makes the difference.
//
// The agent runs inside the capturing namespace (`ip netns exec`), not with --netns: entering a
// namespace takes CAP_SYS_ADMIN, which a fallback run does not have.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Agent, SETTLE_MS, STATIC_AGENT, scratchDir, spawnAgent } from './helpers/agent.js';
import { tcx as tcxOf } from './helpers/bpf.js';
import { assertClean, fields, readFile } from './helpers/judge.js';
import { createVethPair, type VethPair } from './helpers/netns.js';
import { Tcpdump, tcpExchange, udpEcho, udpOneWay } from './helpers/traffic.js';

const DROPPED = 'cap_bpf,cap_sys_admin,cap_perfmon';
const PORT = 7400;
const FILTER = `udp port ${PORT}`;
const EXCHANGES = 20; // request/reply pairs that match the filter

/** What tshark says of each packet, in file order: enough to tell every packet of the traffic apart. */
const PACKET_FIELDS = ['frame.len', 'ip.src', 'ip.dst', 'udp.srcport', 'udp.dstport', 'data.data'];

describe('AF_PACKET fallback of the static agent', () => {
  let pair: VethPair;
  let dir: string;

  before(async () => {
    if (!fs.existsSync(STATIC_AGENT)) throw new Error(`${STATIC_AGENT} is missing: run scripts/build-agent.sh x64`);
    try {
      execFileSync('capsh', ['--help'], { stdio: 'ignore' });
    } catch {
      throw new Error('capsh is missing: install libcap2-bin (scripts/setup.sh does)');
    }
    pair = await createVethPair({ tag: 'afp' });
    dir = scratchDir('af-packet');
  });

  after(() => pair?.destroy());

  /**
   * The static agent in namespace A under capsh, with `drop` (capsh's --drop list, "" for none)
   * left out of its bounding set: as root, it then starts without them.
   */
  function agentInA(drop: string, file: string, extra: readonly string[] = []): Agent {
    const capsh = ['capsh', ...(drop ? [`--drop=${drop}`] : []), '--', '-c', 'exec "$0" "$@"'];
    const args = ['capture', '-i', pair.a.dev, '-B', '1024', '-f', FILTER, '-w', file, '--events', 'json', ...extra];
    return spawnAgent(args, { command: ['ip', 'netns', 'exec', pair.a.ns.name, ...capsh, STATIC_AGENT] });
  }

  /** Matching request/reply pairs, with traffic the filter leaves out around them. */
  async function traffic(): Promise<void> {
    const { a, b } = pair;
    await tcpExchange(a.ns, b.ns, b.ip4, 8080, 200, 300);
    await udpEcho(a.ns, b.ns, b.ip4, PORT, EXCHANGES, 64);
    await udpOneWay(a.ns, b.ns, b.ip4, PORT + 1, 5, 64);
    await udpOneWay(b.ns, a.ns, a.ip4, PORT, 3, 200); // inbound only
  }

  interface Run {
    agent: Agent;
    ours: string;
    theirs: string;
    /** How many tcx programs the device had while the agent ran (only ours can be in this namespace). */
    tcx: number;
  }

  /** Runs the agent and tcpdump (same device, same filter) over the traffic. */
  async function captureBoth(name: string, drop: string): Promise<Run> {
    const ours = path.join(dir, `${name}.pcapng`);
    const theirs = path.join(dir, `${name}-tcpdump.pcap`);
    const agent = agentInA(drop, ours);
    const tcpdump = new Tcpdump(pair.a.ns, pair.a.dev, theirs, [FILTER]);
    let tcx = -1;
    try {
      await Promise.all([agent.started(20_000), tcpdump.listening]);
      const attached = tcxOf(pair.a.ns, pair.a.dev);
      tcx = attached.ingress.length + attached.egress.length;
      await traffic();
      await sleep(SETTLE_MS);
      const exit = await agent.stop();
      assert.equal(exit.code, 0, agent.stderr);
    } finally {
      await tcpdump.stop();
      if (agent.child.exitCode === null && agent.child.signalCode === null) {
        agent.kill('SIGKILL');
        await agent.exited;
      }
    }
    return { agent, ours, theirs, tcx };
  }

  function assertSamePackets(ours: string, theirs: string): string[][] {
    assertClean(ours);
    const got = fields(ours, PACKET_FIELDS);
    const want = fields(theirs, PACKET_FIELDS);
    assert.equal(want.length, 2 * EXCHANGES + 3, 'tcpdump saw every matching packet');
    assert.deepEqual(got, want, 'the same packets as tcpdump, in the same order');
    return got;
  }

  test('without CAP_BPF and CAP_SYS_ADMIN: AF_PACKET, announced, and the packets tcpdump captures', async () => {
    const { agent, ours, theirs, tcx } = await captureBoth('fallback', DROPPED);
    const warning = agent.event('warning');
    assert.equal(warning?.code, 'W_AF_PACKET', agent.stderr);
    assert.match(String(warning?.message), /^eBPF cannot be used \(.*lacks CAP_BPF, CAP_PERFMON.*\): .*AF_PACKET/);
    const started = agent.event('started')!;
    assert.deepEqual(started.interfaces, [
      { name: pair.a.dev, ifindex: pair.a.ns.link(pair.a.dev).ifindex, mode: 'af_packet' },
    ]);
    assert.equal(tcx, 0, 'no tcx program on the device');
    const packets = assertSamePackets(ours, theirs);
    // Directions as the eBPF path writes them (epb_flags): A's packets outbound, B's inbound.
    const directions = fields(ours, ['ip.src', 'frame.packet_flags_direction']);
    for (const [src, flags] of directions) assert.equal(Number(flags), src === pair.a.ip4 ? 2 : 1, `from ${src}`);
    const stopped = agent.event('stopped')!;
    assert.equal(stopped.packets, packets.length);
    assert.equal(stopped.kernelDropped, 0);
    // The statistics block (ISB): what the sockets' filters passed, none dropped, all delivered.
    const isb = readFile(ours).reader.interfaces[0]!.statistics!;
    const n = BigInt(packets.length);
    assert.deepEqual([isb.ifRecv, isb.filterAccept, isb.ifDrop, isb.usrDeliv], [n, n, 0n, n]);
  });

  test('without eBPF, set-filter swaps the socket filter: the new one from the next packet on', async () => {
    const { a, b } = pair;
    const file = path.join(dir, 'swap.pcapng');
    const agent = agentInA(DROPPED, file);
    try {
      const started = await agent.started(20_000);
      assert.deepEqual(
        (started.interfaces as { mode: string }[]).map((i) => i.mode),
        ['af_packet'],
      );
      await udpOneWay(a.ns, b.ns, b.ip4, PORT, 2, 10);
      agent.child.stdin!.write(`${JSON.stringify({ command: 'set-filter', filter: `udp port ${PORT + 1}` })}\n`);
      await agent.waitFor('filter');
      await udpOneWay(a.ns, b.ns, b.ip4, PORT, 2, 10);
      await udpOneWay(a.ns, b.ns, b.ip4, PORT + 1, 3, 10);
      await sleep(SETTLE_MS);
      assert.equal((await agent.stop()).code, 0, agent.stderr);
    } finally {
      if (agent.child.exitCode === null && agent.child.signalCode === null) {
        agent.kill('SIGKILL');
        await agent.exited;
      }
    }
    const ports = fields(file, ['udp.dstport']).map(([port]) => Number(port));
    assert.deepEqual(ports, [PORT, PORT, PORT + 1, PORT + 1, PORT + 1]);
  });

  test('without eBPF, --processes-if-available captures through AF_PACKET without processes; --processes refuses', async () => {
    const file = path.join(dir, 'if-available.pcapng');
    const agent = agentInA(DROPPED, file, ['--processes-if-available']);
    try {
      const started = await agent.started(20_000);
      assert.deepEqual(
        (started.interfaces as { mode: string }[]).map((i) => i.mode),
        ['af_packet'],
      );
      assert.equal(started.processes, false);
      assert.match(
        String(agent.event('warning')?.message),
        /AF_PACKET instead, where packets do not name their processes$/,
      );
      assert.equal((await agent.stop()).code, 0, agent.stderr);
    } finally {
      if (agent.child.exitCode === null && agent.child.signalCode === null) {
        agent.kill('SIGKILL');
        await agent.exited;
      }
    }
    const refused = agentInA(DROPPED, path.join(dir, 'required.pcapng'), ['--processes']);
    assert.notEqual((await refused.exited).code, 0);
    assert.match(String(refused.event('error')?.message), /process attribution .* needs eBPF/);
  });

  test('with the capabilities kept, the same command captures with eBPF (tcx)', async () => {
    const { agent, ours, theirs, tcx } = await captureBoth('ebpf', '');
    assert.equal(agent.event('warning'), undefined, agent.stderr);
    const started = agent.event('started')!;
    assert.deepEqual(
      (started.interfaces as { mode: string }[]).map((i) => i.mode),
      ['tcx'],
    );
    assert.equal(tcx, 2, 'our ingress and egress programs on the device');
    assertSamePackets(ours, theirs);
  });
});
