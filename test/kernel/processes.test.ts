// Process attribution (--processes, --pid, --container, --cgroup): every packet of a local socket
// names its process in its pcapng comment, both directions, over IPv4 and IPv6, the accepted side
// of a TCP connection too (its listener opened before the capture); packets the kernel makes itself
// name none; --pid, --container and --cgroup keep only the packets of the processes they choose and
// of the children those fork after the capture started; the socket hooks are BPF links that go with
// the agent, however it ends.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LiveCapture } from '../../extension/capture/live-capture.js';
import { PacketStore } from '../../extension/store/packet-store.js';
import { type CaptureTarget, captureArgs, childAgentProcess } from '../../extension/targets/target.js';
import {
  type Agent,
  type CaptureRun,
  capture,
  SETTLE_MS,
  STATIC_AGENT,
  scratchDir,
  spawnAgent,
  within,
} from './helpers/agent.js';
import { heldBy, waitLinksGone } from './helpers/bpf.js';
import { cgroup2Root, inCgroup } from './helpers/cgroups.js';
import { assertClean, fields, readFile } from './helpers/judge.js';
import { createVethPair, type VethPair } from './helpers/netns.js';
import { GENERATOR_TIMEOUT_MS, Generator, node, processTraffic } from './helpers/traffic.js';

const COUNT = 20;
// Ports on B: the echo server of the client process, its TCP server, the echo server of its child;
// on A: the server process's port, and a port nobody listens on.
const CLIENT_UDP = 7101;
const CLIENT_TCP = 7102;
const CHILD_UDP = 7103;
const SERVER_TCP = 7104;
const CLOSED = 7199;

type Owner = 'client' | 'child' | 'server' | 'none';

/** A process as it reported itself (process-traffic.py). */
interface Reported {
  pid: number;
  exe: string;
  args: string;
  child?: number;
}

/** Whose a packet is, from its ports (the test's own sockets) or its kind (what the kernel made). */
function ownerOf(ports: number[], icmp: boolean): Owner {
  if (icmp || ports.includes(CLOSED)) return 'none';
  if (ports.includes(CLIENT_UDP) || ports.includes(CLIENT_TCP)) return 'client';
  if (ports.includes(CHILD_UDP)) return 'child';
  if (ports.includes(SERVER_TCP)) return 'server';
  throw new Error(`a packet the test did not send: ports ${ports.join(',')}`);
}

/** The comment --processes writes for a process (what ptcpdump writes, and Wireshark shows). */
function commentOf(p: Reported, pid = p.pid): string {
  return `PID: ${pid}\nCmd: ${p.exe}\nArgs: ${p.args}`;
}

describe('process attribution', () => {
  let pair: VethPair;
  let dir: string;

  before(async () => {
    pair = await createVethPair({ tag: 'proc', net4: '198.18.3' });
    dir = scratchDir('proc');
  });

  after(() => pair?.destroy());

  /**
   * The actors in A, both waiting: a client process (UDP pings and a TCP connection at once, then a
   * forked child's pings) and a server process, listening already, that a client in B connects to;
   * their peers in B. Both stay until released, so that the agent finds them in /proc.
   */
  async function startActors(family: 4 | 6): Promise<{ client: Generator; go: () => Promise<Actors> }> {
    const { a, b } = pair;
    const ip = family === 4 ? { a: a.ip4, b: b.ip4 } : { a: a.ip6, b: b.ip6 };
    const peers = [
      node(b.ns, 'udp-echo', ip.b, CLIENT_UDP, COUNT, GENERATOR_TIMEOUT_MS),
      node(b.ns, 'tcp-server', ip.b, CLIENT_TCP, 100, GENERATOR_TIMEOUT_MS),
      node(b.ns, 'udp-echo', ip.b, CHILD_UDP, COUNT, GENERATOR_TIMEOUT_MS),
    ];
    const server = processTraffic(a.ns, 'server', ip.a, SERVER_TCP);
    const client = processTraffic(a.ns, 'client', ip.b, CLIENT_UDP, CLIENT_TCP, COUNT, CHILD_UDP);
    await Promise.all([...peers, server, client].map((g) => g.ready));
    const go = async (): Promise<Actors> => {
      process.kill(client.pid, 'SIGUSR1');
      const [clientReport, serverReport] = await Promise.all([
        client.reported,
        server.reported,
        node(b.ns, 'tcp-client', ip.a, SERVER_TCP, COUNT, GENERATOR_TIMEOUT_MS).expectOk(),
        // The kernel answers a datagram to a closed port with an ICMP error: no process in either.
        node(b.ns, 'udp-send', ip.a, CLOSED, 3, 16).expectOk(),
        ...peers.map((p) => p.expectOk()),
      ]);
      const release = async () => {
        for (const g of [client, server]) process.kill(g.pid, 'SIGUSR1');
        await Promise.all([client.expectOk(), server.expectOk()]);
      };
      return { client: clientReport as unknown as Reported, server: serverReport as unknown as Reported, release };
    };
    return { client, go };
  }

  interface Actors {
    client: Reported;
    server: Reported;
    /** Lets the actors exit (after the capture stopped). */
    release: () => Promise<void>;
  }

  /** What each owner's packets must say. */
  function comments(actors: Actors, suffix = ''): Record<Owner, string | undefined> {
    const { client, server } = actors;
    assert.ok(client.child, 'the client forked its child');
    return {
      client: commentOf(client) + suffix,
      child: commentOf(client, client.child) + suffix,
      server: commentOf(server) + suffix,
      none: undefined,
    };
  }

  /**
   * Each packet's owner and comment, as tshark reads the file (frame.comment) and as our reader
   * does (the EPB's comments), which must agree.
   */
  function packetsOf(file: string): { owner: Owner; comment: string | undefined }[] {
    assertClean(file);
    const rows = fields(file, ['udp.port', 'tcp.port', 'icmp.type', 'icmpv6.type', 'frame.comment']);
    const ours = readFile(file).packets;
    assert.equal(ours.length, rows.length, 'our reader and tshark see the same packets');
    return rows.map(([udp = '', tcp = '', icmp = '', icmp6 = '', comment = ''], i) => {
      // tshark prints a comment's newlines as \n.
      const shown = comment === '' ? undefined : comment.replaceAll('\\n', '\n');
      assert.deepEqual(ours[i]!.comments, shown === undefined ? undefined : [shown], `packet ${i + 1}: our reader`);
      const ports = `${udp},${tcp}`
        .split(',')
        .filter((p) => p !== '')
        .map(Number);
      return { owner: ownerOf(ports, icmp !== '' || icmp6 !== ''), comment: shown };
    });
  }

  /**
   * Captures on vA with `args` while the actors run (`prepare` sees the waiting client first), then
   * checks every packet's comment (each followed by `suffix`); returns the packets per owner.
   */
  async function attributed(
    args: (client: Generator) => string[],
    options: { family?: 4 | 6; name: string; suffix?: string; prepare?: (client: Generator) => () => void },
  ): Promise<{ run: CaptureRun; n: Record<Owner, number> }> {
    const { client, go } = await startActors(options.family ?? 4);
    const done = options.prepare?.(client);
    let actors: Actors | undefined;
    try {
      const run = await capture(
        ['--netns', pair.a.ns.name, '-i', pair.a.dev, ...args(client)],
        async () => {
          actors = await go();
        },
        { dir, name: options.name },
      );
      await actors!.release();
      const expected = comments(actors!, options.suffix);
      const n: Record<Owner, number> = { client: 0, child: 0, server: 0, none: 0 };
      for (const [i, p] of packetsOf(run.file).entries()) {
        assert.equal(p.comment, expected[p.owner], `packet ${i + 1} (${p.owner}'s)`);
        n[p.owner]++;
      }
      return { run, n };
    } finally {
      done?.();
    }
  }

  /** The client's and its child's packets: both directions of COUNT pings each, and a TCP connection. */
  function assertClientAndChild(n: Record<Owner, number>): void {
    assert.ok(n.client >= 2 * COUNT + 6, `the client's packets: ${n.client}`);
    assert.equal(n.child, 2 * COUNT, "the forked child's pings and echoes");
  }

  for (const family of [4, 6] as const) {
    test(`--processes over IPv${family}: every packet of the test's sockets names its process and command, the accepted side too; kernel-made packets none`, async () => {
      const { run, n } = await attributed(() => ['--processes'], { family, name: `processes-${family}.pcapng` });
      assert.equal(run.started.processes, true, 'the started event says attribution is on');
      assertClientAndChild(n);
      assert.ok(n.server >= 6, `the accepted connection's packets: ${n.server}`);
      assert.equal(n.none, 6, 'three datagrams to a closed port, three ICMP errors');
    });
  }

  test('without --processes no packet carries a comment, and the started event says so', async () => {
    const { go } = await startActors(4);
    let actors: Actors | undefined;
    const run = await capture(
      ['--netns', pair.a.ns.name, '-i', pair.a.dev],
      async () => {
        actors = await go();
      },
      { dir, name: 'plain.pcapng' },
    );
    await actors!.release();
    assert.equal(run.started.processes, false);
    const packets = packetsOf(run.file);
    assert.ok(packets.length > 2 * COUNT);
    assert.deepEqual(
      packets.filter((p) => p.comment !== undefined),
      [],
    );
  });

  test('--pid: only that process and the child it forks after the capture started', async () => {
    const { run, n } = await attributed((client) => ['--pid', String(client.pid)], { name: 'pid.pcapng' });
    assert.equal(run.started.processes, true, '--pid implies --processes');
    assertClientAndChild(n);
    assert.equal(n.server, 0, "the other process's packets are not captured");
    assert.equal(n.none, 0, 'packets of no process are not captured');
  });

  test("--pid on loopback: the chosen process's exchanges with local servers of other processes, both ways", async () => {
    // On lo the agent sees a packet once, as it arrives: a request to a local server arrives at the
    // server's socket, and is the chosen process's all the same (its sender).
    const { ns } = pair.a;
    const host = '127.0.0.1';
    const peers = [
      node(ns, 'udp-echo', host, CLIENT_UDP, COUNT, GENERATOR_TIMEOUT_MS),
      node(ns, 'tcp-server', host, CLIENT_TCP, 100, GENERATOR_TIMEOUT_MS),
      node(ns, 'udp-echo', host, CHILD_UDP, COUNT, GENERATOR_TIMEOUT_MS),
    ];
    const client = processTraffic(ns, 'client', host, CLIENT_UDP, CLIENT_TCP, COUNT, CHILD_UDP);
    await Promise.all([...peers, client].map((g) => g.ready));
    let reported: Reported | undefined;
    const run = await capture(
      ['--netns', ns.name, '-i', 'lo', '--pid', String(client.pid)],
      async () => {
        process.kill(client.pid, 'SIGUSR1');
        const [report] = await Promise.all([client.reported, ...peers.map((p) => p.expectOk())]);
        reported = report as unknown as Reported;
      },
      { dir, name: 'pid-loopback.pcapng' },
    );
    process.kill(client.pid, 'SIGUSR1');
    await client.expectOk();
    assert.ok(reported?.child, 'the client forked its child');
    const expected: Record<Owner, string | undefined> = {
      client: commentOf(reported),
      child: commentOf(reported, reported.child),
      server: undefined,
      none: undefined,
    };
    const n: Record<Owner, number> = { client: 0, child: 0, server: 0, none: 0 };
    for (const [i, p] of packetsOf(run.file).entries()) {
      assert.equal(p.comment, expected[p.owner], `packet ${i + 1} (${p.owner}'s)`);
      n[p.owner]++;
    }
    assert.ok(n.client >= 2 * COUNT + 6, `the client's requests and the replies, UDP and TCP: ${n.client}`);
    assert.equal(n.child, 2 * COUNT, "the forked child's pings and echoes");
    assert.equal(n.none, 0, 'nothing else');
  });

  test('--container: its processes only, each packet naming the container', async () => {
    // A container as this host's runtimes make them: a cgroup named by 64 hex digits (in a cgroup v1
    // hierarchy here), holding the client.
    const id = `${'c0ffee'.repeat(10)}abcd`;
    const { n } = await attributed(() => ['--container', id.slice(0, 12)], {
      name: 'container.pcapng',
      suffix: `\nContainerId: ${id}`,
      prepare: (client) => inCgroup(`/sys/fs/cgroup/pids/${id}`, client.pid),
    });
    assertClientAndChild(n);
    assert.equal(n.server + n.none, 0, 'nothing from outside the container');
  });

  test('--cgroup: the processes of a cgroup v2 and below it only', async () => {
    const name = `pcapk-${process.pid}-proc`;
    const { n } = await attributed(() => ['--cgroup', `/${name}`], {
      name: 'cgroup.pcapng',
      prepare: (client) => inCgroup(path.join(cgroup2Root(), name, 'inner'), client.pid),
    });
    assertClientAndChild(n);
    assert.equal(n.server + n.none, 0, 'nothing from outside the cgroup');
  });

  test('choices that name nothing are refused before anything loads', async () => {
    for (const [args, says] of [
      [['--pid', '4194303'], /--pid 4194303: no such process/],
      [
        ['--container', 'abcdef0123456789'],
        /--container abcdef0123456789: no process of this host runs in such a container/,
      ],
      [['--cgroup', '/pcapk-no-such-cgroup'], /--cgroup: no cgroup v2 "\/pcapk-no-such-cgroup"/],
    ] as const) {
      const file = path.join(dir, 'refused.pcapng');
      const agent = spawnAgent(['capture', '--netns', pair.a.ns.name, '-i', pair.a.dev, ...args, '-w', file]);
      const exit = await within(agent.exited, 10_000, 'the agent to refuse');
      assert.equal(exit.code, 2, agent.stderr);
      assert.match(agent.stderr, says);
      assert.equal(fs.existsSync(file), false, 'nothing written');
    }
  });

  /**
   * The agent inside namespace A (`ip netns exec`: a fresh /sys, no cgroup v2 mounted), with
   * CAP_SYS_ADMIN dropped or kept: without it the agent cannot mount cgroup v2 for itself, so it
   * cannot attribute, while eBPF capture still works (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN).
   */
  function agentInA(sysAdmin: boolean, args: readonly string[], file: string): Agent {
    const capsh = ['capsh', ...(sysAdmin ? [] : ['--drop=cap_sys_admin']), '--', '-c', 'exec "$0" "$@"'];
    return spawnAgent(['capture', '-i', pair.a.dev, ...args, '-w', file, '--events', 'json'], {
      command: ['ip', 'netns', 'exec', pair.a.ns.name, ...capsh, STATIC_AGENT],
    });
  }

  /** Datagrams from a process in A with --processes-if-available; the comments of A's packets. */
  async function ifAvailable(sysAdmin: boolean): Promise<{ agent: Agent; comments: (string | undefined)[] }> {
    const file = path.join(dir, `if-available-${sysAdmin}.pcapng`);
    const agent = agentInA(sysAdmin, ['--processes-if-available', '-f', `udp port ${CLOSED}`], file);
    try {
      await agent.started();
      await node(pair.a.ns, 'udp-send', pair.b.ip4, CLOSED, 5, 16).expectOk();
      await sleep(SETTLE_MS);
      assert.deepEqual(await agent.stop(), { code: 0, signal: null }, agent.stderr);
    } finally {
      if (agent.child.exitCode === null && agent.child.signalCode === null) agent.kill('SIGKILL');
      await agent.exited;
    }
    return { agent, comments: readFile(file).packets.map((p) => p.comments?.join('\n')) };
  }

  test('--processes-if-available: processes where the host can attribute; elsewhere none, and a warning', async () => {
    const can = await ifAvailable(true);
    assert.equal(can.agent.event('started')?.processes, true);
    assert.equal(can.agent.event('warning'), undefined, can.agent.stderr);
    assert.equal(can.comments.length, 5);
    for (const c of can.comments) assert.match(String(c), /^PID: \d+\nCmd: .*node/);

    const cannot = await ifAvailable(false);
    assert.equal(cannot.agent.event('started')?.processes, false);
    const warning = cannot.agent.event('warning');
    assert.equal(warning?.code, 'W_NO_ATTRIBUTION', cannot.agent.stderr);
    assert.match(
      String(warning?.message),
      /^packets do not name their processes: process attribution needs cgroup v2, and its hierarchy cannot be opened \(Operation not permitted\)$/,
    );
    assert.deepEqual(cannot.comments, Array(5).fill(undefined), 'the packets, without processes');

    // A capture that must name processes, or of one process, refuses there instead.
    for (const args of [['--processes'], ['--processes-if-available', '--pid', String(process.pid)]]) {
      const file = path.join(dir, 'refused.pcapng');
      const agent = agentInA(false, args, file);
      const exit = await within(agent.exited, 10_000, 'the agent to refuse');
      assert.notEqual(exit.code, 0);
      assert.equal(agent.event('error')?.code, 'E_NO_ATTRIBUTION', agent.stderr);
      assert.equal(fs.existsSync(file), false, 'the file it created is not left behind');
    }
  });

  test("the panel's capture says why its packets name no process", async () => {
    const store = new PacketStore({ maxPackets: 1000, maxBytes: 1 << 20, whenFull: 'stop' });
    const withoutSysAdmin: CaptureTarget = {
      info: { id: 'local', kind: 'local', label: 'namespace A, without CAP_SYS_ADMIN' },
      listInterfaces: async () => [],
      startCapture: async (request) => {
        const capsh = ['capsh', '--drop=cap_sys_admin', '--', '-c', 'exec "$0" "$@"'];
        const argv = ['netns', 'exec', pair.a.ns.name, ...capsh, STATIC_AGENT, ...captureArgs(request)];
        return childAgentProcess(spawn('ip', argv, { stdio: ['pipe', 'pipe', 'pipe'] }));
      },
    };
    const statuses: string[] = [];
    const request = { interfaces: [pair.a.dev], filter: '', snaplen: 256, processesIfAvailable: true };
    const live = new LiveCapture(withoutSysAdmin, request, store, {
      onStatus: (status, message) => statuses.push(`${status}: ${message ?? ''}`),
      onPackets: () => {},
    });
    try {
      await within(live.start(), 10_000, 'the capture to start');
    } finally {
      await live.stop();
    }
    assert.ok(
      statuses.includes(
        'capturing: Packets do not name their processes: process attribution needs cgroup v2, and its hierarchy cannot be opened (Operation not permitted).',
      ),
      statuses.join(' | '),
    );
  });

  test('a process that runs exec() is named by its new program once its name is a second old', async () => {
    // Three datagrams as "phase one", then, 1.5 s later, the same process (exec'd, same PID) sends
    // three as "phase two": the agent read its name at the first datagram, and reads it again
    // for datagrams that come more than a second later.
    const code = [
      'import os, socket, sys, time',
      's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
      `for _ in range(3): s.sendto(b"x", ("${pair.b.ip4}", ${CLOSED}))`,
      'if sys.argv[1] == "one":',
      '    time.sleep(1.5)',
      '    os.execv(sys.executable, [sys.executable, "-c", sys.argv[2], "two", sys.argv[2]])',
      'print("{}")',
    ].join('\n');
    const file = path.join(dir, 'exec.pcapng');
    let pid = 0;
    const run = await capture(
      ['--netns', pair.a.ns.name, '-i', pair.a.dev, '--processes', '-f', `udp dst port ${CLOSED}`],
      async () => {
        const sender = new Generator(pair.a.ns, 'python3', ['-c', code, 'one', code]);
        pid = sender.pid;
        await sender.expectOk();
      },
      { dir, name: 'exec.pcapng' },
    );
    assert.equal(run.file, file);
    const args = readFile(file).packets.map((p) => /\nArgs: .* -c .* (one|two) /s.exec(p.comments?.[0] ?? '')?.[1]);
    assert.deepEqual(args, ['one', 'one', 'one', 'two', 'two', 'two']);
    for (const p of readFile(file).packets) assert.match(p.comments?.[0] ?? '', new RegExp(`^PID: ${pid}\n`));
  });

  let held = 0;

  /** The agent's links (tcx and the socket hooks), checked against what it should hold. */
  async function startHolding(args: string[]): Promise<{ agent: Agent; ids: number[] }> {
    const file = path.join(dir, `held-${held++}.pcapng`);
    const agent = spawnAgent(['capture', '--netns', pair.a.ns.name, '-i', pair.a.dev, ...args, '-w', file]);
    await agent.started();
    const links = heldBy(agent.pid).links;
    const types = links.map((l) => l.type).sort();
    assert.deepEqual(types, [...Array(10).fill('cgroup'), 'raw_tracepoint', 'tcx', 'tcx']);
    return { agent, ids: links.map((l) => l.id) };
  }

  test('the socket hooks are links that go with the agent: on stop, and when it is killed', async () => {
    const stopped = await startHolding(['--pid', String(process.pid), '--events', 'json']);
    assert.deepEqual(await stopped.agent.stop(), { code: 0, signal: null });
    assert.deepEqual(await waitLinksGone(stopped.ids), [], 'nothing left after a stop');
    const killed = await startHolding(['--pid', String(process.pid), '--events', 'json']);
    killed.agent.kill('SIGKILL');
    await killed.agent.exited;
    assert.deepEqual(await waitLinksGone(killed.ids), [], 'nothing left after SIGKILL');
  });
});
