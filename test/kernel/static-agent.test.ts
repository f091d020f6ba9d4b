// The static pcap-agent (scripts/build-agent.sh): copied alone into an empty folder and run with
// an empty environment (env -i), it needs nothing from the host, not even a shared library. It
// prints the version and the usage text of agent/options.ts, lists a namespace's interfaces, and captures a
// veth pair into pcapng that capinfos and tshark read, with each packet's direction; the end of
// stdin stops it and leaves no BPF link behind.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { USAGE } from '../../agent/options.js';
import { type Agent, REPO, scratchDir, spawnAgent, within } from './helpers/agent.js';
import { heldBy, links, waitLinksGone } from './helpers/bpf.js';
import { assertClean, capinfosCount, fields } from './helpers/judge.js';
import { captureOnSideA, createVethPair, type VethPair } from './helpers/netns.js';
import { tcpdumpSays } from './helpers/tcpdump-verdict.js';
import { udpEcho, udpOneWay } from './helpers/traffic.js';

const BUILT = path.join(REPO, 'dist', 'agent', 'linux-x64', 'pcap-agent');
const BUILT_ARM64 = path.join(REPO, 'dist', 'agent', 'linux-arm64', 'pcap-agent');
const VERSION: string = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).version;
const INBOUND = '0x00000001';
const OUTBOUND = '0x00000002';

/** The executable alone in an empty folder: nothing beside it to find. */
function lonelyCopy(built: string): string {
  if (!fs.existsSync(built)) throw new Error(`${built} is missing: run scripts/build.sh (or scripts/build-agent.sh)`);
  const dir = scratchDir('static-agent');
  const copy = path.join(dir, 'pcap-agent');
  fs.copyFileSync(built, copy);
  fs.chmodSync(copy, 0o755);
  return copy;
}

describe('the static pcap-agent', () => {
  let agent: string;
  let pair: VethPair;
  let dir: string;
  /** argv prefix: the copy, with an empty environment. */
  let command: string[];

  before(async () => {
    agent = lonelyCopy(BUILT);
    command = ['env', '-i', agent];
    assert.deepEqual(fs.readdirSync(path.dirname(agent)), ['pcap-agent']);
    pair = await createVethPair({ tag: 'static' });
    dir = scratchDir('static-capture');
  });

  after(() => pair?.destroy());

  /** Runs `body` with a static agent capturing; a failed assertion never leaves it running. */
  async function withCapture(args: string[], body: (a: Agent) => Promise<void>): Promise<void> {
    const a = spawnAgent(['capture', ...captureOnSideA(pair), ...args, '--events', 'json'], { command });
    try {
      await body(a);
    } finally {
      if (a.child.exitCode === null && a.child.signalCode === null) {
        a.kill('SIGKILL');
        await a.exited;
      }
    }
  }

  function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync('env', ['-i', agent, ...args], { encoding: 'utf8', timeout: 10_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  test('ldd: not a dynamic executable', () => {
    const r = spawnSync('ldd', [agent], { encoding: 'utf8' });
    assert.match(r.stdout + r.stderr, /not a dynamic executable/);
  });

  test('--version: the version of package.json; --help: the usage text of agent/options.ts', () => {
    assert.deepEqual(run(['--version']), { status: 0, stdout: `pcap-agent ${VERSION}\n`, stderr: '' });
    assert.deepEqual(run(['--help']), { status: 0, stdout: `${USAGE}\n`, stderr: '' });
  });

  test("interfaces --netns NAME --json: the namespace's loopback and veth, with addresses", () => {
    const r = run(['interfaces', '--netns', pair.a.ns.name, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const list = JSON.parse(r.stdout) as { name: string; index: number; mac: string; addresses: unknown[] }[];
    assert.deepEqual(
      list.map((i) => i.name),
      ['lo', pair.a.dev],
    );
    const veth = list[1]!;
    assert.equal(veth.index, pair.a.ns.link(pair.a.dev).ifindex);
    assert.equal(veth.mac, pair.a.mac);
    assert.deepEqual(veth.addresses, [
      { family: 4, address: pair.a.ip4, prefix: 24 },
      { family: 6, address: pair.a.ip6, prefix: 64 },
    ]);
    // The exact layout of today's agent: JSON.stringify with an indent of 2.
    assert.equal(r.stdout, `${JSON.stringify(list, null, 2)}\n`);
  });

  test('a missing namespace is named, with exit status 2', () => {
    const r = run(['interfaces', '--netns', 'pcapk-no-such-namespace']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /network namespace \/run\/netns\/pcapk-no-such-namespace does not exist/);
  });

  test("a filter libpcap refuses: E_FILTER with libpcap's message, before anything is loaded", () => {
    for (const expr of ['udp port 70000', 'tcp and', 'foo bar']) {
      const r = run(['capture', ...captureOnSideA(pair), '-f', expr, '--events', 'json']);
      assert.equal(r.status, 2, r.stderr);
      const e = JSON.parse(r.stderr);
      assert.deepEqual([e.event, e.code, e.message], ['error', 'E_FILTER', `invalid filter: ${tcpdumpSays(expr)}`]);
    }
  });

  test('check-filter: silent and 0 for what libpcap compiles, E_FILTER with its message otherwise', () => {
    assert.deepEqual(run(['check-filter', 'tcp[tcpflags] & tcp-syn != 0 and not port 22']), {
      status: 0,
      stdout: '',
      stderr: '',
    });
    assert.equal(run(['check-filter', 'udp,53']).status, 0, 'the PROTO,PORT form');
    const r = run(['check-filter', '--link', 'raw', '--events', 'json', 'ether host 00:00:0c:07:ac:01']);
    assert.equal(r.status, 2);
    assert.equal(JSON.parse(r.stderr).message, `invalid filter: ${tcpdumpSays('ether host 00:00:0c:07:ac:01', 'raw')}`);
  });

  test('PCA_FILTER: a bad PROTO,PORT gets the same message as -f, without privilege', () => {
    const r = spawnSync('env', ['-i', 'ENABLE_PCA=true', 'PCA_SERVER_PORT=17999', 'PCA_FILTER=udp,70000', agent], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^pcap-agent: invalid filter: .*70000/m);
  });

  test('capture on a veth: pcapng with every packet and its direction; stdin EOF stops and detaches', async () => {
    const file = path.join(dir, 'veth.pcapng');
    await withCapture(['-w', file], async (a) => {
      const started = await a.started();
      const ifindex = pair.a.ns.link(pair.a.dev).ifindex;
      assert.deepEqual(started.interfaces, [{ name: pair.a.dev, ifindex, mode: 'tcx' }]);
      assert.equal(started.filter, '');
      assert.equal(started.format, 'pcapng');
      const held = heldBy(a.pid).links;
      assert.deepEqual(held.map((l) => [l.type, l.ifindex, l.attachType]).sort(), [
        ['tcx', ifindex, '46 (ingress)'],
        ['tcx', ifindex, '47 (egress)'],
      ]);
      assert.ok(held.every((l) => links().has(l.id)));

      await udpEcho(pair.a.ns, pair.b.ns, pair.b.ip4, 7000, 5, 200); // 5 out, 5 in
      await udpOneWay(pair.b.ns, pair.a.ns, pair.a.ip4, 7001, 3, 300); // 3 in: received, so through the hook
      const exit = await a.stop();
      assert.deepEqual(exit, { code: 0, signal: null }, a.stderr);
      const stopped = a.event('stopped')!;
      assert.equal(stopped.reason, 'stdin-closed');
      assert.equal(stopped.packets, 13);
      assert.deepEqual(await waitLinksGone(held.map((l) => l.id)), [], 'no link left (bpftool link show)');
    });
    assertClean(file);
    assert.equal(capinfosCount(file), 13);
    const p = fields(file, ['frame.packet_flags_direction', 'eth.src', 'udp.dstport']);
    for (const [flag, src] of p) assert.equal(flag, src === pair.a.mac ? OUTBOUND : INBOUND);
    assert.equal(p.filter(([flag]) => flag === OUTBOUND).length, 5);
    assert.equal(p.filter(([, , port]) => port === '7001').length, 3);
  });

  test('capture -w -: pcapng on stdout, -c stops after that many packets', async () => {
    const file = path.join(dir, 'stdout.pcapng');
    await withCapture(['-c', '4', '-w', '-'], async (a) => {
      await a.started();
      await udpOneWay(pair.a.ns, pair.b.ns, pair.b.ip4, 7002, 6, 100);
      const exit = await within(a.exited, 10_000, 'exit after -c 4');
      assert.equal(exit.code, 0, a.stderr);
      assert.equal(a.event('stopped')!.reason, 'count');
      fs.writeFileSync(file, Buffer.concat(a.stdout));
    });
    assertClean(file);
    assert.equal(capinfosCount(file), 4);
  });
});

// qemu-user runs the arm64 build here; it has no bpf(2), so this stops short of capturing.
describe('the static pcap-agent for arm64, under qemu-aarch64', () => {
  test('--version and --help, alone in an empty folder with an empty environment', () => {
    const agent = lonelyCopy(BUILT_ARM64);
    const run = (arg: string) =>
      spawnSync('env', ['-i', 'qemu-aarch64', agent, arg], { encoding: 'utf8', timeout: 10_000 });
    const kind = spawnSync('file', [agent], { encoding: 'utf8' }).stdout;
    assert.match(kind, /ARM aarch64.*statically linked/);
    assert.deepEqual(
      [run('--version')].map((r) => [r.status, r.stdout, r.stderr]),
      [[0, `pcap-agent ${VERSION}\n`, '']],
    );
    assert.equal(run('--help').stdout, `${USAGE}\n`);
  });

  test("check-filter: the arm64 build's libpcap compiles and refuses as tcpdump does", () => {
    const agent = lonelyCopy(BUILT_ARM64);
    const check = (...args: string[]) =>
      spawnSync('env', ['-i', 'qemu-aarch64', agent, 'check-filter', '--events', 'json', ...args], {
        encoding: 'utf8',
        timeout: 10_000,
      });
    const good = check('tcp[13] & 0x12 = 0x12 or (ip6 and udp portrange 5000-6000)');
    assert.deepEqual([good.status, good.stderr], [0, '']);
    const bad = check('udp port 70000');
    assert.equal(bad.status, 2);
    assert.deepEqual(JSON.parse(bad.stderr).message, `invalid filter: ${tcpdumpSays('udp port 70000')}`);
  });
});
