// The extension's side of the agent contract (agent/options.ts, events.ts, control.ts, host.ts)
// held against the real agent (native/agent): the argv the TypeScript
// builder writes is accepted, every stderr line is an event of the TypeScript union, the
// set-filter line the extension writes changes the running filter, and `interfaces --json` reads
// as the TypeScript interface list.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { controlLine } from '../../agent/control.js';
import { type AgentEvent, isAgentEvent } from '../../agent/events.js';
import { parseInterfaceList } from '../../agent/host.js';
import { captureArgv, interfacesArgv } from '../../agent/options.js';
import { type Agent, STATIC_AGENT, scratchDir, spawnAgent, within } from './helpers/agent.js';
import { assertClean, fields } from './helpers/judge.js';
import { createVethPair, type VethPair } from './helpers/netns.js';
import { udpOneWay } from './helpers/traffic.js';

/** Every line the agent wrote on stderr is an event of the union (no plain text, no stray shape). */
function assertOnlyEvents(agent: Agent): void {
  assert.deepEqual(agent.otherStderr, [], 'stderr lines that are not JSON events');
  for (const e of agent.events) assert.ok(isAgentEvent(e), `not an event of agent/events.ts: ${JSON.stringify(e)}`);
}

/** Kills the agent if a failed assertion left it running. */
async function reap(agent: Agent): Promise<void> {
  if (agent.child.exitCode !== null || agent.child.signalCode !== null) return;
  agent.kill('SIGKILL');
  await agent.exited;
}

describe('the TypeScript contract against the agent', () => {
  let pair: VethPair;
  let dir: string;

  before(async () => {
    if (!fs.existsSync(STATIC_AGENT)) throw new Error(`${STATIC_AGENT} is missing: run scripts/build.sh`);
    pair = await createVethPair({ tag: 'ctr' });
    dir = scratchDir('agent-contract');
  });

  after(() => pair?.destroy());

  test('a capture from captureArgv, its events, and a set-filter from controlLine', async () => {
    const file = path.join(dir, 'contract.pcapng');
    // Every capture option but --exclude (exclude.test.ts) and --listen (a server, held to the
    // contract by pca.test.ts).
    const argv = captureArgv({
      interfaces: [pair.a.dev],
      netns: pair.a.ns.path,
      filter: 'udp port 7001',
      snaplen: 200,
      directions: ['in', 'out'],
      count: 1000,
      maxBytes: 10_000_000,
      durationMs: 120_000,
      format: 'pcapng',
      nanosecondPcap: false,
      write: file,
      overwrite: false,
      ringBytes: 1 << 20,
      eventsJson: true,
      attachMode: 'auto',
    });
    const agent = spawnAgent(argv);
    try {
      const started = (await agent.started()) as AgentEvent & { event: 'started' };
      assert.equal(started.snaplen, 200);
      assert.deepEqual(
        started.interfaces.map((i) => i.name),
        [pair.a.dev],
      );
      const { a, b } = pair;
      await udpOneWay(a.ns, b.ns, b.ip4, 7001, 3, 10);

      agent.child.stdin!.write(controlLine({ command: 'set-filter', filter: 'udp port 7002' }));
      assert.equal((await agent.waitFor('filter')).event, 'filter');
      await udpOneWay(a.ns, b.ns, b.ip4, 7001, 2, 10); // no longer matched
      await udpOneWay(a.ns, b.ns, b.ip4, 7002, 4, 10);

      agent.child.stdin!.write(controlLine({ command: 'set-filter', filter: 'udp port 70000' }));
      assert.equal((await agent.waitFor('error')).code, 'E_FILTER');
      await agent.waitFor('stats', 5000); // one a second while capturing

      const exit = await agent.stop();
      assert.equal(exit.code, 0, agent.stderr);
      const stopped = agent.event('stopped') as AgentEvent & { event: 'stopped' };
      assert.equal(stopped.reason, 'stdin-closed');
      assert.equal(stopped.packets, 7);
      assertOnlyEvents(agent);
      assertClean(file);
      const ports = fields(file, ['udp.dstport']).map(([p]) => p);
      assert.deepEqual(ports, [...Array(3).fill('7001'), ...Array(4).fill('7002')]);
    } finally {
      await reap(agent);
    }
  });

  test('`interfaces --json` from interfacesArgv reads as the interface list', async () => {
    const agent = spawnAgent(interfacesArgv({ json: true, netns: pair.a.ns.path }), { stdin: 'ignore' });
    try {
      const exit = await within(agent.exited, 10_000, 'pcap-agent interfaces to exit');
      assert.equal(exit.code, 0, agent.stderr);
      const list = parseInterfaceList(Buffer.concat(agent.stdout).toString('utf8'));
      const veth = list.find((i) => i.name === pair.a.dev);
      assert.ok(veth, `no ${pair.a.dev} in ${list.map((i) => i.name).join(', ')}`);
      assert.equal(veth.index, pair.a.ns.link(pair.a.dev).ifindex);
      assert.deepEqual(
        veth.addresses.filter((x) => x.family === 4).map((x) => `${x.address}/${x.prefix}`),
        [`${pair.a.ip4}/24`],
      );
    } finally {
      await reap(agent);
    }
  });
});
