// The seed-compatible PCA mode (ENABLE_PCA=true, PCA_FILTER, PCA_SERVER_PORT) and
// `capture --listen`, against the real kernel, judged by tshark and by raw sockets.
//
// Topology: the agent runs in namespace A; B is a peer host on a veth (vA 198.18.0.1 — vB
// 198.18.0.2). Matching traffic is UDP to A:7000 sent from B, numbered so every client can say
// exactly which packets it got; non-matching traffic (UDP to 7001) is interleaved with it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { STATIC_AGENT } from './helpers/agent.js';
import { AGENT, Agent, bpftoolLinks } from './pca-helpers/agent.js';
import { RawClient, range, readWithTshark, sendUdp, tsharkClient, tsharkDone } from './pca-helpers/clients.js';
import { exited, interfaceNames, Sandbox, sleep } from './pca-helpers/sandbox.js';

const PCA = { ENABLE_PCA: 'true', PCA_FILTER: 'udp,7000' };
const A_ADDR = '198.18.0.1';
let nextPort = 17_100;
const port = () => nextPort++;

// ~50 s on an idle machine; the timeout leaves room for a busy one.
describe('PCA mode (ENABLE_PCA=true) in a network namespace', { timeout: 180_000 }, () => {
  const sb = new Sandbox();
  let A = '';
  let B = '';
  let names = new Map<number, string>();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pcapp-'));

  before(() => {
    assert.equal(process.getuid?.(), 0, 'kernel tests run as root');
    assert.ok(fs.existsSync(STATIC_AGENT), `${STATIC_AGENT} is missing: build first (bash scripts/build.sh)`);
    A = sb.netns('a');
    B = sb.netns('b');
    sb.veth(A, 'vA', B, 'vB', ['198.18.0.1/25', '2001:db8:200::1/64'], ['198.18.0.2/25', '2001:db8:200::2/64']);
    names = interfaceNames(A);
  });

  after(async () => {
    await sb.cleanup();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** Stops the agent with SIGTERM and checks it went cleanly: status 0, its summary, no errors. */
  async function stopCleanly(agent: Agent): Promise<string> {
    const e = await agent.stop();
    assert.deepEqual(e, { code: 0, signal: null }, agent.stderr);
    const stopped = agent.lines.find((l) => /stopped \(signal\)/.test(l));
    assert.ok(stopped, `no "stopped" line:\n${agent.stderr}`);
    const unexpected = agent.lines.filter(
      (l) =>
        !/serving pcap on|clients? connected|capturing on|stopped \(signal\)|PCA interfaces: |warning: serving captures on [\d.]+:\d+ without a token/.test(
          l,
        ),
    );
    assert.deepEqual(unexpected, [], 'only the expected lines on stderr');
    return stopped;
  }

  it('serves classic pcap with the µs magic and LINKTYPE_ETHERNET, filtered as PCA_FILTER says', async () => {
    const p = port();
    const agent = Agent.start(sb, A, { ...PCA, PCA_SERVER_PORT: String(p) });
    await agent.ready();
    const client = new RawClient(sb, A, p);
    await client.whenConnected();
    await agent.attachedNames(names, ['vA']);
    await sendUdp(sb, B, A_ADDR, 7000, 20, 0, 7001);
    await sendUdp(sb, B, '2001:db8:200::1', 7000, 5, 100, 7001); // the filter holds for IPv6 too
    const got = await client.waitForMatching(25);
    const h = Buffer.from(got.header, 'hex');
    assert.equal(h.length, 24, 'a 24-byte pcap file header first');
    assert.equal(h.readUInt32LE(0), 0xa1b2c3d4, 'µs magic, little-endian');
    assert.deepEqual([h.readUInt16LE(4), h.readUInt16LE(6)], [2, 4], 'version 2.4');
    assert.ok(h.readUInt32LE(16) >= 65535, `snaplen ${h.readUInt32LE(16)}`);
    assert.equal(h.readUInt32LE(20), 1, 'LINKTYPE_ETHERNET');
    await sleep(200); // anything extra would arrive now
    const s = await client.stats();
    assert.deepEqual(s.errors, []);
    assert.equal(s.packets, 25, 'only udp port 7000 (udp 7001 was interleaved)');
    assert.deepEqual(s.seqs, [...range(0, 20), ...range(100, 5)]);
    // Tokenless is the seed-compatible mode the user asked for; it says what that means.
    assert.ok(
      agent.lines.some((l) =>
        /^pcap-agent: warning: serving captures on 127\.0\.0\.1:\d+ without a token \(the seed-compatible PCA mode; set PCA_TOKEN to require one\): any local user can read them$/.test(
          l,
        ),
      ),
      agent.stderr,
    );
    assert.ok(
      agent.lines.includes(
        'pcap-agent: PCA interfaces: vA (every interface but the excluded); left out: lo (excluded by default (EXCLUDE_INTERFACES=lo); name it in INTERFACES to capture it)',
      ),
      agent.stderr,
    );
    await stopCleanly(agent);
    const closed = await client.closed;
    assert.equal(closed.packets, 25, 'the client sees the end of the stream');
  });

  it('without PCA_FILTER serves every packet of the chosen interfaces', async () => {
    const p = port();
    const agent = Agent.start(sb, A, { ENABLE_PCA: 'true', PCA_SERVER_PORT: String(p) });
    await agent.ready();
    assert.ok(
      agent.lines.some((l) => /^pcap-agent: serving pcap on 127\.0\.0\.1:\d+$/.test(l)),
      agent.stderr,
    );
    const client = new RawClient(sb, A, p);
    await client.whenConnected();
    await agent.attachedNames(names, ['vA']);
    await sendUdp(sb, B, A_ADDR, 7000, 10, 0, 7001);
    const got = await client.waitForMatching(10);
    assert.equal(Buffer.from(got.header, 'hex').readUInt32LE(0), 0xa1b2c3d4);
    assert.deepEqual(got.seqs, range(0, 10));
    assert.ok(got.packets > got.matching, 'udp 7001 too: no filter');
    await stopCleanly(agent);
  });

  it('holds tcx links only while at least one client is connected', async () => {
    const p = port();
    const agent = Agent.start(sb, A, { ...PCA, PCA_SERVER_PORT: String(p) });
    await agent.ready();
    await sleep(300);
    assert.deepEqual(agent.tcxLinks(), [], 'no link before the first client');
    assert.deepEqual(agent.bpftoolLinks(), [], 'bpftool: no link of ours before the first client');

    const c1 = new RawClient(sb, A, p);
    await agent.attachedNames(names, ['vA']);
    const links = agent.tcxLinks();
    assert.deepEqual(links.map((l) => l.attach).sort(), ['egress', 'ingress']);
    assert.deepEqual(
      agent
        .bpftoolLinks()
        .map((l) => l.id)
        .sort(),
      links.map((l) => l.linkId).sort(),
      'bpftool shows the same links',
    );

    const c2 = new RawClient(sb, A, p);
    let mark = agent.mark();
    await c2.whenConnected();
    await agent.waitFor(/2 clients connected/, mark);
    assert.equal(agent.tcxLinks().length, 2, 'a second client adds no links');
    mark = agent.mark();
    await c1.end();
    await agent.waitFor(/1 client connected/, mark);
    assert.deepEqual(
      agent
        .tcxLinks()
        .map((l) => l.linkId)
        .sort(),
      links.map((l) => l.linkId).sort(),
      'capture goes on for the other client',
    );
    mark = agent.mark();
    await c2.end();
    await agent.waitFor(/0 clients connected/, mark);
    await agent.attachedNames(names, [], 2000);
    assert.deepEqual(agent.bpftoolLinks(), [], 'bpftool: no link of ours after the last client left');

    // … and capture comes back for the next client.
    const c3 = new RawClient(sb, A, p);
    await agent.attachedNames(names, ['vA']);
    await sendUdp(sb, B, A_ADDR, 7000, 10, 0, 7001);
    const s = await c3.waitForMatching(10);
    assert.deepEqual(s.seqs, range(0, 10));
    await stopCleanly(agent);
    assert.deepEqual(
      bpftoolLinks().filter((l) => links.some((k) => k.linkId === l.id)),
      [],
      'links gone after SIGTERM',
    );
  });

  it('gives two tshark clients every packet; one leaving stops neither the agent nor the other', async () => {
    const p = port();
    const agent = Agent.start(sb, A, { ...PCA, PCA_SERVER_PORT: String(p) });
    await agent.ready();
    const mark = agent.mark();
    const f1 = path.join(tmp, 'two-1.pcapng');
    const f2 = path.join(tmp, 'two-2.pcapng');
    const t1 = tsharkClient(sb, A, p, f1, 100);
    const t2 = tsharkClient(sb, A, p, f2, 250);
    const done1 = tsharkDone(t1);
    const done2 = tsharkDone(t2);
    await agent.waitFor(/2 clients connected/, mark, 15_000);
    await agent.attachedNames(names, ['vA']);

    const left = agent.mark();
    await sendUdp(sb, B, A_ADDR, 7000, 100, 0, 7001);
    await done1; // tshark -c 100 closes its connection after the 100th packet
    await agent.waitFor(/^pcap-agent: 1 client connected/, left);
    assert.equal(agent.child.exitCode, null, 'the agent runs on');
    assert.equal(agent.tcxLinks().length, 2, 'and still captures');

    await sendUdp(sb, B, A_ADDR, 7000, 150, 100, 7001);
    await done2;
    const first = readWithTshark(f1);
    const second = readWithTshark(f2);
    assert.ok(first.every((x) => x.dport === 7000) && second.every((x) => x.dport === 7000), 'only udp port 7000');
    assert.deepEqual(
      first.map((x) => x.seq),
      range(0, 100),
      'client 1: every packet, in order',
    );
    assert.deepEqual(
      second.map((x) => x.seq),
      range(0, 250),
      'client 2: every packet, in order, also after client 1 left',
    );
    await stopCleanly(agent);
  });

  it('picks up an interface created after it started, and lets go of one removed', async () => {
    const p = port();
    const agent = Agent.start(sb, A, { ...PCA, PCA_SERVER_PORT: String(p) });
    await agent.ready();
    const client = new RawClient(sb, A, p);
    await agent.attachedNames(names, ['vA']);

    sb.veth(A, 'vA2', B, 'vB2', ['198.18.0.129/25'], ['198.18.0.130/25']);
    const t0 = Date.now();
    await agent.attachedNames(interfaceNames(A), ['vA', 'vA2'], 5000); // polled every 2 s
    const pickedUpMs = Date.now() - t0;
    await sendUdp(sb, B, '198.18.0.129', 7000, 30, 1000, 7001);
    const s = await client.waitForMatching(30);
    assert.deepEqual(s.seqs, range(1000, 30), `the new interface's packets (picked up after ${pickedUpMs} ms)`);

    const vA2 = [...interfaceNames(A)].find(([, n]) => n === 'vA2')![0];
    spawnSync('ip', ['-n', A, 'link', 'del', 'vA2']);
    await agent.attachedNames(names, ['vA'], 5000);
    assert.ok(!agent.tcxLinks().some((l) => l.ifindex === vA2));
    await sendUdp(sb, B, A_ADDR, 7000, 5, 2000);
    assert.deepEqual((await client.waitForMatching(35)).seqs.slice(30), range(2000, 5), 'capture goes on');
    await stopCleanly(agent);
  });

  it('chooses interfaces with INTERFACES and EXCLUDE_INTERFACES, /regex/ entries included', async () => {
    const C = sb.netns('c');
    sb.veth(C, 'e0', C, 'e1');
    sb.veth(C, 'x0', C, 'x1');
    const cNames = interfaceNames(C);
    const cases: [Record<string, string>, string[], RegExp?][] = [
      [{}, ['e0', 'e1', 'x0', 'x1']], // everything but lo
      [{ INTERFACES: 'e0,x1' }, ['e0', 'x1']],
      [{ INTERFACES: '/^x/' }, ['x0', 'x1']],
      [{ EXCLUDE_INTERFACES: '/^(lo|e)/' }, ['x0', 'x1']],
      [{ INTERFACES: ' /0$/ , lo', EXCLUDE_INTERFACES: 'x0' }, ['e0', 'lo']], // an explicit exclude list replaces "lo"
      [{ INTERFACES: 'e1,/^x/', EXCLUDE_INTERFACES: '/1$/,lo' }, ['x0']],
      // Named in INTERFACES, lo wins over the default exclusion (a /regex/ does not name it), and
      // the agent says so.
      [
        { INTERFACES: 'lo' },
        ['lo'],
        /^pcap-agent: PCA interfaces: lo \(named in INTERFACES, over the default exclusion\); left out: .*e0 \(not in INTERFACES\)/,
      ],
      [
        { INTERFACES: '/^[lx]/' },
        ['x0', 'x1'],
        /left out: lo \(excluded by default \(EXCLUDE_INTERFACES=lo\); name it in INTERFACES to capture it\)/,
      ],
    ];
    // One agent per case, all at once (loading the BPF object takes most of a second each).
    await Promise.all(
      cases.map(async ([env, expected, says]) => {
        const p = port();
        const agent = Agent.start(sb, C, { ...PCA, PCA_SERVER_PORT: String(p), ...env });
        await agent.ready();
        if (says)
          assert.ok(
            agent.lines.some((l) => says.test(l)),
            `${JSON.stringify(env)}: ${says}\n${agent.stderr}`,
          );
        const mark = agent.mark();
        const client = new RawClient(sb, C, p);
        await agent.waitFor(/1 client connected/, mark);
        await agent.attachedNames(cNames, expected);
        await sleep(200);
        await agent.attachedNames(cNames, expected, 0); // and nothing more arrives
        await client.end();
        await stopCleanly(agent);
      }),
    );
  });

  it('refuses bad configuration with one line and a non-zero status, before touching the kernel', async () => {
    // strace, where present, proves no bpf() call was made at all.
    const strace = spawnSync('strace', ['-V']).status === 0;
    const cases: [Record<string, string>, RegExp][] = [
      [{ PCA_FILTER: 'tcp,abc' }, /invalid filter.*"abc"/],
      [{ PCA_FILTER: 'tcp,70000' }, /invalid filter.*70000/],
      [{ PCA_FILTER: 'foo,80' }, /invalid filter.*"foo"/],
      [{ PCA_SERVER_PORT: '' }, /needs PCA_SERVER_PORT/],
      [{ PCA_SERVER_PORT: 'abc' }, /PCA_SERVER_PORT.*"abc"/],
      [{ PCA_SERVER_PORT: '0' }, /PCA_SERVER_PORT must be between 1 and 65535/],
      [{ PCA_SERVER_PORT: '70000' }, /PCA_SERVER_PORT must be between 1 and 65535/],
      [{ PCA_SERVER_HOST: A_ADDR }, /refusing to serve captures on 198\.18\.0\.1 without a token: set PCA_TOKEN/],
      [{ PCA_SERVER_HOST: A_ADDR, PCA_TOKEN: '' }, /without a token/],
      [{ PCA_SERVER_HOST: 'example.org' }, /PCA_SERVER_HOST must be an IP address/],
      [{ INTERFACES: '/(/' }, /INTERFACES: invalid regular expression/],
      // Nothing to capture on is an error that says why, never a silent empty stream.
      [{ INTERFACES: 'nope0' }, /no interface to capture on: .*vA \(not in INTERFACES\)/],
      [{ EXCLUDE_INTERFACES: '/./' }, /no interface to capture on: .*vA \(in EXCLUDE_INTERFACES\)/],
    ];
    await Promise.all(
      cases.map(async ([env, message], i) => {
        const vars = Object.entries({ ...PCA, PCA_SERVER_PORT: String(17_000 + i), ...env }).map(
          ([k, v]) => `${k}=${v}`,
        );
        const trace = path.join(tmp, `bad-${i}.strace`);
        const argv = strace
          ? ['strace', '-f', '-qq', '-e', 'trace=bpf', '-o', trace, 'env', ...vars, AGENT]
          : ['env', ...vars, AGENT];
        const child = sb.spawn(A, ['timeout', '20', ...argv]);
        let err = '';
        child.stderr!.setEncoding('utf8').on('data', (t: string) => (err += t));
        // 'close', not 'exit': a fast agent exits before its stderr has been read.
        const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
        const what = JSON.stringify(env);
        assert.equal(code, 2, `${what}: exit status; stderr: ${err}`);
        assert.match(err, /^pcap-agent: [^\n]+\n$/, `${what}: one line`);
        assert.match(err, message, what);
        if (strace) assert.equal(fs.readFileSync(trace, 'utf8').trim(), '', `${what}: no bpf() call`);
      }),
    );

    // A port already taken is refused too, and the agent holding it carries on.
    const p = port();
    const holder = Agent.start(sb, A, { ...PCA, PCA_SERVER_PORT: String(p) });
    await holder.ready();
    const trace = path.join(tmp, 'in-use.strace');
    const second = Agent.start(
      sb,
      A,
      { ...PCA, PCA_SERVER_PORT: String(p) },
      [],
      strace ? ['strace', '-f', '-qq', '-e', 'trace=bpf', '-o', trace] : [],
    );
    const e = await second.exit;
    assert.equal(e.code, 2, second.stderr);
    assert.match(second.stderr, /^pcap-agent: cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
    assert.equal(second.lines.filter((l) => l !== '').length, 1, 'one line');
    // The control for the checks above: this one does load its BPF object first, and strace sees it.
    if (strace) assert.match(fs.readFileSync(trace, 'utf8'), /bpf\(BPF_PROG_LOAD/);
    await stopCleanly(holder);
  });

  it('off loopback with PCA_TOKEN, serves only clients that send the token line first', async () => {
    const p = port();
    const agent = Agent.start(sb, A, {
      ...PCA,
      PCA_SERVER_PORT: String(p),
      PCA_SERVER_HOST: A_ADDR,
      PCA_TOKEN: 's3cret',
    });
    await agent.ready();
    // Clients on the peer host, over the veth (TCP; the filter leaves it out).
    const silent = new RawClient(sb, B, p, { host: A_ADDR });
    const wrong = new RawClient(sb, B, p, { host: A_ADDR, line: 'guess' });
    const t0 = Date.now();
    await silent.whenConnected();
    const w = await wrong.closed;
    assert.equal(w.bytes, 0, 'a wrong token gets nothing');
    assert.deepEqual(agent.tcxLinks(), [], 'clients without the token do not start a capture');

    const good = new RawClient(sb, B, p, { host: A_ADDR, line: 's3cret' });
    await good.whenConnected();
    await agent.attachedNames(names, ['vA']).catch(async (e: Error) => {
      throw new Error(`${e.message}\nthe client with the token: ${JSON.stringify(await good.stats())}`);
    });
    await sendUdp(sb, B, A_ADDR, 7000, 20, 0, 7001);
    const g = await good.waitForMatching(20);
    assert.equal(Buffer.from(g.header, 'hex').readUInt32LE(0), 0xa1b2c3d4);
    assert.deepEqual(g.seqs, range(0, 20));
    assert.equal((await silent.stats()).bytes, 0, 'the silent client got nothing meanwhile');
    const s = await silent.closed; // closed by the agent: the token must come within 5 s
    assert.equal(s.bytes, 0);
    assert.ok(Date.now() - t0 < 9000, `closed after ${Date.now() - t0} ms`);
    await stopCleanly(agent);
  });

  it('bounds what it holds for a stalled client, and a fast client still gets everything', async (t) => {
    const p = port();
    const agent = Agent.start(sb, A, { ...PCA, PCA_SERVER_PORT: String(p) });
    await agent.ready();
    const mark = agent.mark();
    new RawClient(sb, A, p, { noRead: true }); // connects and never reads
    // "Fast" must stay true on a busy machine: a reader starved of CPU for longer than its
    // 8 MiB allowance lasts (~0.25 s here) is a slow reader, and the agent rightly drops for it.
    // Real-time scheduling keeps this reader fast whatever else runs on the 2 CPUs.
    const fast = new RawClient(sb, A, p, { realtime: true });
    await agent.waitFor(/2 clients connected/, mark);
    await agent.attachedNames(names, ['vA']);
    await sleep(200);
    const rssBefore = agent.rssKiB();

    // 170 MB of 1400-byte datagrams (~120k packets, ~5 s at 270 Mbit/s), far more than the bound.
    // The rate is capped so that the fast client, on a busy 2-CPU machine, can keep up with it.
    const server = sb.spawn(A, ['timeout', '40', 'iperf3', '-s', '-1', '-B', A_ADDR, '-p', '7000']);
    await sleep(300);
    const client = sb.spawn(B, [
      'timeout',
      '30',
      'iperf3',
      '-c',
      A_ADDR,
      '-p',
      '7000',
      '-u',
      '-b',
      '270M',
      '-l',
      '1400',
      '-n',
      '170M',
      '--json',
    ]);
    let json = '';
    client.stdout!.setEncoding('utf8').on('data', (t: string) => (json += t));
    let rssMax = rssBefore;
    const sampler = setInterval(() => {
      if (agent.child.exitCode === null && agent.child.signalCode === null) rssMax = Math.max(rssMax, agent.rssKiB());
    }, 100);
    try {
      await exited(client);
      await exited(server);
    } finally {
      clearInterval(sampler);
    }
    assert.equal(
      agent.child.exitCode ?? agent.child.signalCode,
      null,
      `the agent survives the flood; stderr:\n${agent.stderr}`,
    );
    const sent = (JSON.parse(json) as { end: { sum: { packets: number } } }).end.sum.packets;

    // Let the fast client catch up, then stop: the agent's summary says how many it wrote.
    let last = -1;
    for (let s = await fast.stats(); s.packets !== last; s = await fast.stats()) {
      last = s.packets;
      await sleep(300);
    }
    const stopped = await stopCleanly(agent);
    const m =
      /stopped \(signal\): (\d+) packets, \d+ bytes written; (\d+) dropped in the kernel \(ring full\), (\d+) dropped for slow readers/.exec(
        stopped,
      );
    assert.ok(m, stopped);
    const [written, kernelDropped, slowDropped] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const f = await fast.closed;
    const growthMiB = (rssMax - rssBefore) / 1024;
    const diag =
      `sent ${sent}, written ${written}, kernel drops ${kernelDropped}, dropped for the stalled client ${slowDropped}, ` +
      `fast client ${f.packets} (${(f.bytes / 2 ** 20).toFixed(0)} MiB), RSS ${(rssBefore / 1024).toFixed(0)} → max ${(rssMax / 1024).toFixed(0)} MiB`;
    t.diagnostic(diag);
    assert.deepEqual(f.errors, [], diag);
    assert.ok(f.bytes > 150 * 2 ** 20, `the flood must exceed the bound to mean anything: ${diag}`);
    assert.ok(growthMiB < 100, `RSS grew ${growthMiB.toFixed(0)} MiB: ${diag}`);
    assert.ok(slowDropped > 0, `the stalled client's share was dropped: ${diag}`);
    assert.equal(f.packets, written, `the fast client got every packet the agent wrote: ${diag}`);
    assert.ok(written + kernelDropped >= sent, `every datagram iperf3 sent was seen: ${diag}`);
    assert.ok(f.matching >= sent - kernelDropped, diag);
  });

  it('stops cleanly on SIGTERM with clients connected; they see the end of the stream', async () => {
    const p = port();
    const agent = Agent.start(sb, A, { ...PCA, PCA_SERVER_PORT: String(p) });
    await agent.ready();
    const mark = agent.mark();
    const file = path.join(tmp, 'sigterm.pcapng');
    const shark = tsharkClient(sb, A, p, file, 1000);
    const done = tsharkDone(shark);
    const raw = new RawClient(sb, A, p);
    const raw2 = new RawClient(sb, A, p);
    await agent.waitFor(/3 clients connected/, mark, 15_000);
    await agent.attachedNames(names, ['vA']);
    await sendUdp(sb, B, A_ADDR, 7000, 10, 0, 7001);
    await raw.waitForMatching(10);
    await sleep(300); // tshark writes what it got
    const links = agent.tcxLinks().map((l) => l.linkId);
    await stopCleanly(agent);
    await done; // tshark ends on its own at the end of the stream
    assert.deepEqual(
      readWithTshark(file).map((x) => x.seq),
      range(0, 10),
    );
    assert.deepEqual((await raw.closed).seqs, range(0, 10));
    assert.deepEqual((await raw2.closed).seqs, range(0, 10));
    assert.deepEqual(
      bpftoolLinks().filter((l) => links.includes(l.id)),
      [],
    );
  });
});

describe('pcap-agent capture --listen (pcapng over TCP)', { timeout: 60_000 }, () => {
  const sb = new Sandbox();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pcapp-'));
  after(async () => {
    await sb.cleanup();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('serves pcapng that tshark -i TCP@… reads', async () => {
    const A = sb.netns('a');
    const B = sb.netns('b');
    sb.veth(A, 'vA', B, 'vB', ['198.18.0.1/24'], ['198.18.0.2/24']);
    const p = port();
    const agent = Agent.start(sb, A, {}, [
      'capture',
      '-i',
      'vA',
      '-f',
      'udp port 7000',
      '--listen',
      `127.0.0.1:${p}`,
      '--no-token', // tshark cannot send a token: asked for explicitly, and warned about
      '--events',
      'json',
    ]);
    await agent.waitFor(/"event":"started"/);
    assert.match(
      await agent.waitFor(/"event":"warning"/),
      /"code":"W_NO_TOKEN","message":"serving captures on 127\.0\.0\.1:\d+ without a token \(asked for with --no-token\)/,
    );
    const raw = new RawClient(sb, A, p);
    const file = path.join(tmp, 'listen.pcapng');
    const mark = agent.mark();
    const done = tsharkDone(tsharkClient(sb, A, p, file, 40));
    await agent.waitFor(/"event":"clients","count":2/, mark, 15_000);
    await sendUdp(sb, B, '198.18.0.1', 7000, 40, 0, 7001);
    await done;
    assert.deepEqual(
      readWithTshark(file).map((x) => x.seq),
      range(0, 40),
    );
    const info = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.interface_name', '-c', '1'], {
      encoding: 'utf8',
    });
    assert.equal(info.stdout.trim(), 'vA', 'the interface description reaches the client');
    const s = await raw.stats();
    assert.equal(s.header.slice(0, 8), '0a0d0d0a', 'a pcapng section header first');
    const e = await agent.stop();
    assert.deepEqual(e, { code: 0, signal: null }, agent.stderr);
    const stopped = agent.lines.find((l) => l.includes('"event":"stopped"'));
    assert.ok(stopped, agent.stderr);
    assert.equal(JSON.parse(stopped).packets, 40);
  });

  it('without --no-token, --listen needs a token, and reads it from a 0600 file, never the command line', async () => {
    const A = sb.netns('t');
    sb.veth(A, 'tA', A, 'tB');
    const p = port();
    const refused = async (args: string[], says: RegExp) => {
      const agent = Agent.start(sb, A, {}, ['capture', '-i', 'tA', '--listen', `127.0.0.1:${p}`, ...args]);
      const e = await agent.exit;
      assert.equal(e.code, 2, agent.stderr);
      assert.match(agent.stderr, says);
    };
    await refused([], /refusing to serve captures on 127\.0\.0\.1:\d+ without a token/);
    await refused(['--token', 's3cret'], /--token is not accepted: a token on the command line is visible in ps/);
    const loose = path.join(tmp, 'loose-token');
    fs.writeFileSync(loose, 's3cret\n', { mode: 0o644 });
    await refused(['--token-file', loose], /mode 0644 lets others read it/);

    const file = path.join(tmp, 'token');
    fs.writeFileSync(file, 'sécret-✓\n', { mode: 0o600 });
    const agent = Agent.start(sb, A, {}, ['capture', '-i', 'tA', '--listen', `127.0.0.1:${p}`, '--token-file', file]);
    await agent.ready();
    assert.ok(!agent.lines.some((l) => /warning/.test(l)), 'no warning with a token');
    const wrong = new RawClient(sb, A, p, { line: 'guess' });
    assert.equal((await wrong.closed).bytes, 0, 'a wrong token gets nothing');
    const good = new RawClient(sb, A, p, { line: 'sécret-✓' });
    await good.whenConnected();
    await agent.waitFor(/1 client connected/);
    const deadline = Date.now() + 5000;
    let s = await good.stats();
    while (s.bytes === 0 && Date.now() < deadline) s = await good.stats();
    assert.equal(s.header.slice(0, 8), '0a0d0d0a', 'the UTF-8 token is accepted: a pcapng section header');
    await good.end();
    assert.deepEqual(await agent.stop(), { code: 0, signal: null }, agent.stderr);
  });
});
