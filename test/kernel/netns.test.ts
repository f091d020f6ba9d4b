// Network namespaces from outside: `--netns NAME` (/run/netns/NAME) and `--netns /proc/PID/ns/net`
// for capture, and `interfaces --netns … --json` listing that namespace's interfaces, not the host's.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { capture, scratchDir, spawnAgent, within } from './helpers/agent.js';
import { registerCleanup } from './helpers/cleanup.js';
import { fields } from './helpers/judge.js';
import { createVethPair, uniqueName, type VethPair } from './helpers/netns.js';
import { udpEcho } from './helpers/traffic.js';

interface ListedInterface {
  name: string;
  index: number;
  up: boolean;
  loopback: boolean;
  mac: string;
  addresses: { family: number; address: string; prefix: number }[];
}

async function interfaces(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const a = spawnAgent(['interfaces', ...args], { stdin: 'ignore' });
  const exit = await within(a.exited, 10_000, 'interfaces');
  return { code: exit.code, stdout: Buffer.concat(a.stdout).toString(), stderr: a.stderr };
}

describe('network namespaces', () => {
  let pair: VethPair;
  let holder: ChildProcess;
  let pidPath: string;

  before(async () => {
    pair = await createVethPair({ tag: 'ns' });
    // A process living in namespace A: its /proc/PID/ns/net is the namespace by another name.
    holder = spawn('ip', ['netns', 'exec', pair.a.ns.name, 'sleep', '60'], { stdio: 'ignore' });
    const h = holder;
    registerCleanup(() => h.kill('SIGKILL'));
    pidPath = `/proc/${holder.pid}/ns/net`;
    // ip netns exec enters the namespace, then execs sleep in the same process.
    for (let i = 0; fs.statSync(pidPath).ino !== fs.statSync(pair.a.ns.path).ino; i++) {
      if (i > 100) throw new Error(`${pidPath} never became ${pair.a.ns.path}`);
      await sleep(10);
    }
  });

  after(() => {
    holder?.kill('SIGKILL');
    pair?.destroy();
  });

  for (const how of ['NAME', '/proc/PID/ns/net'] as const) {
    test(`capture --netns ${how}: exact counts from inside the namespace`, async () => {
      const { a, b } = pair;
      const netns = how === 'NAME' ? a.ns.name : pidPath;
      const run = await capture(
        ['--netns', netns, '-i', a.dev, '-B', '1024', '-f', 'udp port 7000'],
        () => udpEcho(a.ns, b.ns, b.ip4, 7000, 4, 100),
        {
          dir: scratchDir('ns'),
          name: `ns-${how === 'NAME' ? 'name' : 'pid'}.pcapng`,
        },
      );
      assert.equal(fields(run.file, ['frame.number']).length, 8);
      assert.deepEqual(fields(run.file, ['frame.interface_name', 'frame.interface_description'])[0], [
        a.dev,
        `${a.dev} in ${how === 'NAME' ? a.ns.path : pidPath}`,
      ]);
    });
  }

  for (const how of ['NAME', '/proc/PID/ns/net'] as const) {
    test(`interfaces --netns ${how} --json: that namespace's interfaces with their addresses`, async () => {
      const { a } = pair;
      const r = await interfaces(['--netns', how === 'NAME' ? a.ns.name : pidPath, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const list = JSON.parse(r.stdout) as ListedInterface[];
      assert.deepEqual(list.map((i) => i.name).sort(), ['lo', 'vA']);
      const vA = list.find((i) => i.name === 'vA')!;
      assert.equal(vA.index, a.ns.link('vA').ifindex);
      assert.equal(vA.mac, a.mac);
      assert.equal(vA.up, true);
      assert.deepEqual(vA.addresses.map((x) => `${x.address}/${x.prefix}`).sort(), [
        '198.51.100.1/24',
        '2001:db8:100::1/64',
      ]);
      const lo = list.find((i) => i.name === 'lo')!;
      assert.equal(lo.loopback, true);
      assert.ok(lo.addresses.some((x) => x.address === '127.0.0.1' && x.prefix === 8));
    });
  }

  test('interfaces without --netns lists the host, not the namespace', async () => {
    const r = await interfaces(['--json']);
    assert.equal(r.code, 0, r.stderr);
    const names = (JSON.parse(r.stdout) as ListedInterface[]).map((i) => i.name);
    assert.ok(names.includes('lo'));
    assert.ok(!names.includes('vA') && !names.includes('vB'));
  });

  test('interfaces --netns NAME (human form)', async () => {
    const r = await interfaces(['--netns', pair.b.ns.name]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\d+\.vB \[up\] 198\.51\.100\.2\/24 2001:db8:100::2\/64$/m);
    assert.match(r.stdout, /^\d+\.lo \[up,loopback\]/m);
  });

  test('interfaces --netns of a namespace that does not exist: E_NO_NETNS, exit 2', async () => {
    const r = await interfaces(['--netns', uniqueName('gone')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^pcap-agent: network namespace \/run\/netns\/pcapk-.*gone does not exist/);
  });
});
