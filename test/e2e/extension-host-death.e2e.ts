// UI end-to-end, from outside VS Code: a capture runs in the panel, then the extension host dies
// (SIGKILL, no deactivate(), no dispose). The agent must not outlive it: its stdin (the stop
// channel) ends with the extension host, so it stops and its tcx links go with it.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { agentLinksHeldBy, links, ourTcx } from '../kernel/helpers/bpf.js';
import { createVethPair, type VethPair } from '../kernel/helpers/netns.js';
import { udpOneWay } from '../kernel/helpers/traffic.js';
import { descendants, type Proc } from '../vscode/processes.js';
import { withWorkbench } from '../vscode/workbench.js';
import { agentsLeft, isCaptureAgent, isExtensionHost, startCapture, stillAgent } from './helpers/capture-ui.js';

const PORT = 7000;
const PACKETS = 5;
/** How long the agent and its links may outlive the extension host. */
const DEADLINE_MS = 10_000;

test('no capture agent outlives the extension host', { timeout: 300_000 }, async (t) => {
  let pair: VethPair | undefined;
  let agents: Proc[] = [];
  try {
    pair = await createVethPair({ tag: 'death' });
    const { a, b } = pair;
    await withWorkbench(t, async ({ page, server }) => {
      const frame = await startCapture(page, a);
      await udpOneWay(a.ns, b.ns, b.ip4, PORT, PACKETS, 64);
      await frame.locator('.pt-row[aria-rowindex]').first().waitFor({ timeout: 20_000 });

      // Before: exactly one extension host below this code-server, an agent below it, and the
      // agent's ingress and egress links on vA, as the kernel shows them.
      const tree = descendants(server.pgid);
      const hosts = tree.filter(isExtensionHost);
      assert.equal(hosts.length, 1, `one extension host below code-server (group ${server.pgid})`);
      const exthost = hosts[0]!;
      agents = tree.filter(isCaptureAgent);
      assert.ok(agents.length >= 1, 'a capture agent runs below code-server');
      for (const agent of agents) assert.equal(agent.ppid, exthost.pid, 'the extension host started the agent');
      const linkIds = agents.flatMap((agent) => agentLinksHeldBy(agent.pid)).sort((x, y) => x - y);
      assert.equal(linkIds.length, 2, 'the agent holds an ingress and an egress link');
      assert.deepEqual(
        ourTcx(a.ns, a.dev)
          .map((x) => x.link)
          .sort((x, y) => x - y),
        linkIds,
        'the kernel shows exactly these links on vA',
      );
      t.diagnostic(`extension host ${exthost.pid}, agent ${agents.map((p) => p.pid).join(', ')}, links ${linkIds}`);

      process.kill(exthost.pid, 'SIGKILL');
      const killed = Date.now();
      // After: poll until neither an agent nor one of its links is left (or the deadline passes).
      let agentsGoneMs: number | undefined;
      let linksGoneMs: number | undefined;
      let agentsRunning: string[] = [];
      let linksLeft: number[] = [];
      for (;;) {
        agentsRunning = agentsLeft(agents, server.pgid).map((p) => `pid ${p.pid}: ${p.argv.slice(1).join(' ')}`);
        const live = links();
        linksLeft = linkIds.filter((id) => live.has(id));
        const elapsed = Date.now() - killed;
        if (agentsRunning.length === 0) agentsGoneMs ??= elapsed;
        if (linksLeft.length === 0) linksGoneMs ??= elapsed;
        if ((agentsRunning.length === 0 && linksLeft.length === 0) || elapsed > DEADLINE_MS) break;
        await sleep(50);
      }
      t.diagnostic(
        `after SIGKILL of the extension host: agents gone after ${agentsGoneMs ?? '-'} ms, ` +
          `links gone after ${linksGoneMs ?? '-'} ms (deadline ${DEADLINE_MS} ms)`,
      );
      const restarted = descendants(server.pgid).filter(isExtensionHost);
      t.diagnostic(`extension hosts below code-server now: ${restarted.map((p) => p.pid).join(', ') || 'none'}`);
      assert.deepEqual(agentsRunning, [], `no capture agent ${DEADLINE_MS} ms after the extension host died`);
      assert.deepEqual(linksLeft, [], `no link of the agent ${DEADLINE_MS} ms after the extension host died`);
      assert.deepEqual(ourTcx(a.ns, a.dev), [], 'nothing of ours on vA');
    });
  } finally {
    // A failed run leaves nothing behind: an agent still running is killed.
    for (const agent of agents) if (stillAgent(agent.pid)) process.kill(agent.pid, 'SIGKILL');
    pair?.destroy();
  }
});
