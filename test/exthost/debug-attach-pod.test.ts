// A debug session attached through `kubectl port-forward` captures the pod it forwards to, on the
// real test cluster (scripts/test-cluster.sh; brought up here, and down at the end unless it was up
// before). The debuggee is a Node service with its inspector on 127.0.0.1:9229 of the pod's own
// network namespace (the cluster's one node is this machine: the service runs here, entered into
// the namespace of the pod's container with nsenter, as a process of the pod would). The attach
// names only the forward's local port: the capture finds kubectl listening there, reads the pod
// from its command line, asks "pod NAMESPACE/NAME", and captures the pod's eth0 through the
// extension's pod target; the service's HTTP requests to the bridge's address are its packets,
// the `debugger` statement's pause and the continue its markers.
import * as assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import type { PacketCaptureApi } from '../../extension/extension.js';
import {
  BUSYBOX_IMAGE,
  busyboxPod,
  type Cluster,
  clusterEnv,
  createNamespace,
  downCluster,
  kubectl,
  kubectlOk,
  upCluster,
} from '../cluster/helpers/cluster.js';
import { tshark } from './helpers/capture-files.js';
import { captureRunning, PAUSING_SERVICE, pauseAndContinue, recordDebugSessions } from './helpers/debug-sessions.js';
import { allRows } from './helpers/panel-rows.js';
import { until } from './helpers/until.js';

const ID = 'ebpf-packet-capture.ebpf-packet-capture';
const NAMESPACE = `debug-attach-${process.pid}`;
const POD = 'debuggee';
/** The host's address on the pods' bridge (test/cluster/fixture/common.sh): pods reach it on eth0. */
const BRIDGE_ADDRESS = '198.18.0.1';

/** Whether the test cluster answers now (then it is left up at the end). */
function clusterIsUp(): boolean {
  const { KUBECTL } = clusterEnv().env;
  if (!KUBECTL || !fs.existsSync(KUBECTL)) return false;
  return kubectl(clusterEnv(), ['get', '--raw=/readyz']).status === 0;
}

/** A process of the pod's container on this node: its cgroup names the container's id. */
function containerProcess(containerId: string): number {
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/cgroup`, 'utf8').includes(containerId)) return Number(name);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no process of container ${containerId} on this node`);
}

/** A long-running child whose output is searched for `pattern`: resolves with its first group. */
function startAndRead(
  command: string,
  args: string[],
  pattern: RegExp,
  env: NodeJS.ProcessEnv = process.env,
): { child: ChildProcess; found: Promise<string> } {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const found = new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`${command}: no ${pattern} within 60 s: ${text}`)), 60_000);
    const read = (d: Buffer) => {
      text += d.toString();
      const m = pattern.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code) => reject(new Error(`${command} ended (${code}): ${text}`)));
  });
  return { child, found };
}

suite('an attach debug session through kubectl port-forward: the pod captured', () => {
  let api: PacketCaptureApi;
  let cluster: Cluster | undefined;
  let wasUp = false;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'pcap-exthost-attach-pod-'));
  const server = http.createServer((_req, res) => res.end('ok\n'));
  const children: ChildProcess[] = [];
  const savedPath = process.env.PATH;

  suiteSetup(async function () {
    this.timeout(30 * 60_000); // the first up on a machine builds Kubernetes
    api = (await vscode.extensions.getExtension<PacketCaptureApi>(ID)!.activate())!;
    wasUp = clusterIsUp();
    cluster = upCluster();
    await createNamespace(cluster, NAMESPACE);
    const r = kubectl(cluster, ['apply', '-f', '-'], JSON.stringify(busyboxPod(NAMESPACE, POD, ['sleep', '600'])));
    assert.equal(r.status, 0, r.stderr);
    kubectlOk(cluster, ['-n', NAMESPACE, 'wait', '--for=condition=Ready', `pod/${POD}`, '--timeout=120s']);
    await new Promise<void>((resolve) => server.listen(0, BRIDGE_ADDRESS, resolve));
    // The extension's kubectl (packetCapture.kubectlPath: "kubectl" on PATH) is the cluster's; the
    // helper image the node has (never pulled).
    process.env.PATH = `${path.dirname(cluster.env.KUBECTL!)}:${savedPath}`;
    await vscode.workspace
      .getConfiguration('packetCapture')
      .update('kubernetes.helperImage', BUSYBOX_IMAGE, vscode.ConfigurationTarget.Global);
  });

  suiteTeardown(async function () {
    this.timeout(5 * 60_000);
    process.env.PATH = savedPath;
    for (const c of children) c.kill('SIGKILL');
    server.close();
    for (const panel of api?.manager.openPanels ?? []) panel.dispose();
    await vscode.workspace
      .getConfiguration('packetCapture')
      .update('kubernetes.helperImage', undefined, vscode.ConfigurationTarget.Global);
    if (cluster)
      kubectl(cluster, ['delete', 'namespace', NAMESPACE, '--ignore-not-found', '--wait=true', '--timeout=90s']);
    if (cluster && !wasUp) downCluster();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  test('the forward found from the port, its pod asked about and captured, pause and continue as rows', async function () {
    this.timeout(300_000);
    const c = cluster!;
    const containerId = kubectlOk(c, [
      ...['-n', NAMESPACE, 'get', 'pod', POD],
      ...['-o', 'jsonpath={.status.containerStatuses[0].containerID}'],
    ]).replace(/^[a-z]+:\/\//, '');
    const inPod = containerProcess(containerId);
    const folder = vscode.workspace.workspaceFolders![0]!;
    const service = path.join(folder.uri.fsPath, 'pod-service.js');
    fs.writeFileSync(service, PAUSING_SERVICE);
    const go = path.join(scratch, 'go');
    const httpPort = (server.address() as AddressInfo).port;
    const debuggee = startAndRead(
      'nsenter',
      [`--net=/proc/${inPod}/ns/net`, '--', process.execPath, '--inspect=127.0.0.1:9229', service].concat([
        BRIDGE_ADDRESS,
        String(httpPort),
        go,
      ]),
      /(Debugger listening)/,
    );
    children.push(debuggee.child);
    await debuggee.found;
    const { KUBECTL, ...env } = c.env;
    const forward = startAndRead(
      KUBECTL!,
      ['port-forward', '-n', NAMESPACE, `pod/${POD}`, ':9229'],
      /Forwarding from 127\.0\.0\.1:(\d+) ->/,
      { ...process.env, ...env },
    );
    children.push(forward.child);
    const localPort = Number(await forward.found);

    const record = recordDebugSessions(api);
    const { asked } = record;
    try {
      assert.ok(
        await vscode.debug.startDebugging(folder, {
          type: 'node',
          request: 'attach',
          name: 'service in a pod',
          address: '127.0.0.1',
          port: localPort,
        }),
      );
      const root = await until('the attach session', record.root);
      const panel = await captureRunning(api, root, 180_000);
      assert.equal(api.debug.captureOf(root).pod, `${NAMESPACE}/${POD}`);
      assert.equal(api.debug.captureOf(root).pid, undefined, 'no pid of this machine');
      assert.deepEqual(asked, [`service in a pod pod ${NAMESPACE}/${POD}`]);

      await pauseAndContinue(api, record, panel, go);

      assert.deepEqual(
        api.debug.captureOf(root).markers.map((m) => m.kind),
        ['paused', 'continued'],
      );
      const file = path.join(scratch, 'pod.pcapng');
      assert.ok((await api.manager.saveTo(panel, vscode.Uri.file(file), 'pcapng')) !== undefined);
      assert.deepEqual(
        tshark(
          file,
          ...['-d', `tcp.port==${httpPort},http`, '-Y', 'http.request', '-T', 'fields'],
          '-e',
          'http.request.uri',
        )
          .split('\n')
          .filter(Boolean),
        ['/before', '/after'],
        "the pod's requests, captured on its eth0",
      );
      const markerRows = allRows(panel).filter((r) => r.marker);
      assert.equal(markerRows.length, 2);
      assert.match(markerRows[0]!.info, /^⏸ paused at pod-service\.js:\d+/);
      assert.match(markerRows[1]!.info, /^▶ continued/);
      panel.dispose();
    } finally {
      record.dispose();
      await vscode.debug.stopDebugging();
    }
  });
});
