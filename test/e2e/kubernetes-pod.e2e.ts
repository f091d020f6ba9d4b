// UI end-to-end on the real test cluster (scripts/test-cluster.sh), as a person: F1 → "Packet
// Capture: Capture Kubernetes Pod…" → the namespace → the pod → the panel opens with that pod chosen
// and its eth0 ticked → filter → Start → datagrams from this host to the pod fill the table, those
// to another pod do not → Stop; the capture helper (a Job on the pod's node) then ends by itself
// once idle, and its TTL removes it, while VS Code stays open. When the extension host is killed
// during a pod capture, the agent in the helper stops (the stdin of its `kubectl exec` ends with the
// extension host) and the helper goes the same way. A helper image the node cannot pull is named
// in the error, with its setting, and the helper that could not start is not left waiting.
//
// The test cluster's one node is this machine and the helper shares the node's PID namespace, so
// the agent running inside the helper is a process this test sees in /proc.
//
// The e2e layer runs after the cluster layer's teardown: this file brings the cluster down at its end.
import * as assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FrameLocator, Page } from 'playwright-core';
import { MANAGED_BY } from '../../extension/kubernetes/node-helper.js';
import {
  BUSYBOX_IMAGE,
  type Cluster,
  createNamespace,
  downCluster,
  helpersLeft,
  kubectl,
  kubectlOk,
  startUdpSink,
  upCluster,
} from '../cluster/helpers/cluster.js';
import { sendUdp } from '../cluster/helpers/kubectl-pcap-run.js';
import { descendants, processes } from '../vscode/processes.js';
import {
  answerQuickPick,
  runCommand,
  screenshot,
  type WorkbenchOptions,
  waitUnlessError,
  webviewFrame,
  withWorkbench,
} from '../vscode/workbench.js';
import { agentsLeft, isCaptureAgent, isExtensionHost, startChosen, stillAgent } from './helpers/capture-ui.js';

const NAMESPACE = `e2e-k8s-${process.pid}`;
/** The captured pod and, with the same sink on the same port, a pod whose traffic must not show. */
const POD = 'sink';
const CONTROL = 'control';
const PORT = 9000;
const DATAGRAMS = 5;
/** How long the agent may outlive its capture (Stop, or the extension host's death). */
const AGENT_GONE_MS = 20_000;
/** How long a helper may stay after its last capture: 60 s idle, the Job's TTL of 30 s, and slack. */
const HELPER_GONE_MS = 150_000;
/** How long a helper that could not start may stay once the error is shown (deleted at once; its
 *  pod has 2 s of grace). */
const FAILED_HELPER_GONE_MS = 30_000;
/** A helper image the node does not have (and cannot pull: no registry answers here). */
const MISSING_IMAGE = 'pcap-test.local/no-such-image:1';

/** The one helper pod running in the test namespace. */
function helperPod(cluster: Cluster): string {
  const names = kubectlOk(cluster, [
    '-n',
    NAMESPACE,
    'get',
    'pods',
    '-l',
    MANAGED_BY,
    '--field-selector=status.phase=Running',
    '-o',
    'jsonpath={.items[*].metadata.name}',
  ])
    .split(' ')
    .filter(Boolean);
  assert.equal(names.length, 1, `one capture helper runs in ${NAMESPACE}: ${names.join(', ')}`);
  return names[0]!;
}

/** The capture agents running inside the helper `pod` (it runs them as /tmp/POD/pcap-agent), as
 *  this host, the node, sees them. */
function agentsInHelper(pod: string) {
  return processes().filter((p) => isCaptureAgent(p) && p.argv[0] === `/tmp/${pod}/pcap-agent`);
}

/** Polls until `left()` names nothing; the ms since `since`, or an error naming what is still there
 *  `timeoutMs` after it. */
async function untilNoneLeft(what: string, since: number, timeoutMs: number, left: () => string[]): Promise<number> {
  for (;;) {
    const still = left();
    const elapsed = Date.now() - since;
    if (still.length === 0) return elapsed;
    if (elapsed > timeoutMs)
      throw new Error(`${what} still there ${Math.round(elapsed / 1000)} s later: ${still.join('; ')}`);
    await sleep(500);
  }
}

/** code-server finds the cluster as a user's VS Code would: KUBECONFIG in its environment, the
 *  cluster's kubectl in the machine-scoped setting, and the test image as the helper image (the
 *  node has it; nothing can be pulled here). */
function workbenchOptions(cluster: Cluster, helperImage = BUSYBOX_IMAGE): WorkbenchOptions {
  const { KUBECONFIG = '', KUBECACHEDIR = '', KUBECTL = '' } = cluster.env;
  return {
    server: {
      env: { KUBECONFIG, KUBECACHEDIR },
      settings: { 'packetCapture.kubectlPath': KUBECTL, 'packetCapture.kubernetes.helperImage': helperImage },
    },
  };
}

/** F1 → "Capture Kubernetes Pod…" → the namespace → `pod` (the kubeconfig has one context: no
 *  question about it). */
async function choosePod(page: Page, pod: string): Promise<void> {
  await runCommand(page, 'Packet Capture: Capture Kubernetes Pod…');
  await answerQuickPick(page, 'The namespace', NAMESPACE);
  await answerQuickPick(page, 'The pod', pod);
}

/** The pod chosen from the palette → the panel with the pod and its eth0 chosen → filter → Start. */
async function capturePod(t: TestContext, page: Page, pod: string): Promise<FrameLocator> {
  const t0 = Date.now();
  await choosePod(page, pod);
  const frame = webviewFrame(page);
  // Before the panel opens, the helper starts on the node and the agent is copied into it.
  const eth0 = frame.locator('.cf-if-row', { hasText: 'eth0' }).locator('vscode-checkbox');
  await waitUnlessError(page, eth0, 150_000);
  const chosen = Date.now();
  assert.ok(await eth0.evaluate((b) => (b as HTMLInputElement).checked), "the pod's eth0 is ticked");
  await frame
    .locator('vscode-single-select[aria-label="Capture target"]', { hasText: `${NAMESPACE}/${pod}` })
    .waitFor({ timeout: 10_000 });
  await startChosen(frame, { filter: `udp port ${PORT}` }, 60_000);
  t.diagnostic(`panel with ${pod} chosen after ${chosen - t0} ms, capturing after ${Date.now() - t0} ms`);
  return frame;
}

/** Until the table shows `count` rows; then each row's destination and info. */
async function tableRows(frame: FrameLocator, count: number): Promise<string[]> {
  await frame
    .locator('.pt-row[aria-rowindex] .c-number', { hasText: new RegExp(`^${count}$`) })
    .waitFor({ timeout: 30_000 });
  const rows: string[] = [];
  for (const row of await frame.locator('.pt-row[aria-rowindex]').all()) {
    const cell = async (column: string) => ((await row.locator(`.c-${column}`).textContent()) ?? '').trim();
    rows.push(`${await cell('destination')} ${await cell('info')}`);
  }
  return rows;
}

describe('a Kubernetes pod captured in VS Code, on the test cluster', { timeout: 20 * 60_000 }, () => {
  let cluster: Cluster | undefined;
  const address: Record<string, string> = {};

  before(async () => {
    cluster = upCluster();
    await createNamespace(cluster, NAMESPACE);
    for (const pod of [POD, CONTROL]) address[pod] = await startUdpSink(cluster, NAMESPACE, pod, PORT);
  });

  after(() => {
    try {
      if (cluster)
        kubectl(cluster, ['delete', 'namespace', NAMESPACE, '--ignore-not-found', '--wait=true', '--timeout=90s']);
    } finally {
      downCluster();
    }
  });

  it('capture a pod from the command palette', { timeout: 420_000 }, async (t) => {
    const c = cluster!;
    await withWorkbench(
      t,
      async ({ page }) => {
        const frame = await capturePod(t, page, POD);
        const helper = helperPod(c);
        assert.equal(agentsInHelper(helper).length, 1, `one agent runs in ${helper}`);

        // The other pod's datagrams first: had the capture seen them, they would be rows before ours.
        await sendUdp(address[CONTROL]!, PORT, DATAGRAMS);
        await sendUdp(address[POD]!, PORT, DATAGRAMS);
        const rows = await tableRows(frame, DATAGRAMS);
        t.diagnostic(`rows: ${rows.join(' | ')}`);
        assert.equal(rows.length, DATAGRAMS, `only the captured pod's datagrams: ${rows.join(' | ')}`);
        for (const row of rows) assert.match(row, new RegExp(`^${address[POD]} \\d+ → ${PORT} Len=`));
        t.diagnostic(`screenshot: ${await screenshot(page, 'kubernetes-pod')}`);

        await frame.locator('vscode-button', { hasText: 'Stop' }).click();
        await frame.locator('.sb-status', { hasText: /Stopped/i }).waitFor({ timeout: 20_000 });
        const stopped = Date.now();
        const agentGoneMs = await untilNoneLeft('the agent in the helper', stopped, AGENT_GONE_MS, () =>
          agentsInHelper(helper).map((p) => `pid ${p.pid}`),
        );
        // VS Code stays open: the helper ends because it is idle, not because anything removes it.
        const helperGoneMs = await untilNoneLeft('capture helpers', stopped, HELPER_GONE_MS, () => helpersLeft(c));
        t.diagnostic(`after Stop: agent gone after ${agentGoneMs} ms, helper Job and pod after ${helperGoneMs} ms`);
      },
      workbenchOptions(c),
    );
  });

  it('the extension host killed during a pod capture leaves no helper', { timeout: 420_000 }, async (t) => {
    const c = cluster!;
    await withWorkbench(
      t,
      async ({ page, server }) => {
        const frame = await capturePod(t, page, POD);
        await sendUdp(address[POD]!, PORT, DATAGRAMS);
        await tableRows(frame, DATAGRAMS);

        // Before: one extension host below this code-server, the `kubectl exec` of the capture below
        // it, and the agent that exec runs in the helper.
        const tree = descendants(server.pgid);
        const hosts = tree.filter(isExtensionHost);
        assert.equal(hosts.length, 1, `one extension host below code-server (group ${server.pgid})`);
        const exthost = hosts[0]!;
        const execs = tree.filter(isCaptureAgent);
        assert.equal(execs.length, 1, 'one kubectl exec of the agent below code-server');
        assert.equal(execs[0]!.ppid, exthost.pid, 'the extension host started it');
        const helper = helperPod(c);
        const inHelper = agentsInHelper(helper);
        assert.equal(inHelper.length, 1, `one agent runs in ${helper}`);
        t.diagnostic(
          `extension host ${exthost.pid}, kubectl exec ${execs[0]!.pid}, agent ${inHelper[0]!.pid} in ${helper}`,
        );

        process.kill(exthost.pid, 'SIGKILL');
        const killed = Date.now();
        const agentGoneMs = await untilNoneLeft('the capture agent or its kubectl exec', killed, AGENT_GONE_MS, () => [
          ...agentsLeft(execs, server.pgid).map((p) => `kubectl exec pid ${p.pid}`),
          ...inHelper.filter((p) => stillAgent(p.pid)).map((p) => `agent pid ${p.pid} in ${helper}`),
        ]);
        const helperGoneMs = await untilNoneLeft('capture helpers', killed, HELPER_GONE_MS, () => helpersLeft(c));
        t.diagnostic(
          `after SIGKILL of the extension host: agent gone after ${agentGoneMs} ms, helper Job and pod after ${helperGoneMs} ms`,
        );
      },
      workbenchOptions(c),
    );
  });

  it('a helper image the node cannot pull: the error names the setting, and no helper is left', {
    timeout: 300_000,
  }, async (t) => {
    const c = cluster!;
    await withWorkbench(
      t,
      async ({ page }) => {
        const t0 = Date.now();
        await choosePod(page, POD);
        const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'cannot be pulled' });
        await toast.waitFor({ timeout: 150_000 });
        const shown = Date.now();
        const message = ((await toast.locator('.notification-list-item-message').textContent()) ?? '').trim();
        t.diagnostic(`after ${shown - t0} ms: ${message}`);
        assert.ok(message.includes(`"${MISSING_IMAGE}"`), 'the message names the image');
        assert.ok(message.includes('packetCapture.kubernetes.helperImage'), 'and the setting that names it');
        const goneMs = await untilNoneLeft('capture helpers', shown, FAILED_HELPER_GONE_MS, () => helpersLeft(c));
        t.diagnostic(`the helper that could not start gone ${goneMs} ms after the error`);
      },
      workbenchOptions(c, MISSING_IMAGE),
    );
  });
});
