// The extension's workload target on the real test cluster: every pod of a Deployment captured as
// one stream, as the panel reads it — one interface block per pod ("namespace/pod:eth0"), packets
// in time order, each under its own pod's interface; a pod added by scaling up joins while it runs;
// closing its stdin (the panel's Stop) ends every pod's agent. tshark reads the stream.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kubectl } from '../../extension/kubernetes/kubectl.js';
import { PodTarget } from '../../extension/kubernetes/pod-target.js';
import { WorkloadTarget } from '../../extension/kubernetes/workload-target.js';
import {
  BUSYBOX_IMAGE,
  type Cluster,
  createNamespace,
  kubectl,
  kubectlOk,
  upCluster,
  waitFor,
} from './helpers/cluster.js';
import { packetsIn, sendUdp } from './helpers/kubectl-pcap-run.js';

const REPO = path.resolve(__dirname, '../..');
const NAMESPACE = `workload-${process.pid}`;
const UDP_PORT = 9000;
const PER_POD = 5;

function deployment(replicas: number): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'sinks', namespace: NAMESPACE },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'sinks' } },
      template: {
        metadata: { labels: { app: 'sinks' } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'main',
              image: BUSYBOX_IMAGE,
              imagePullPolicy: 'Never',
              command: ['udp', 'sink', String(UDP_PORT)],
            },
          ],
        },
      },
    },
  };
}

/** The Deployment's running pods: name → address, once `count` of them are ready. */
async function readyPods(cluster: Cluster, count: number): Promise<Map<string, string>> {
  return waitFor(`${count} ready pods`, 120_000, () => {
    const list = JSON.parse(kubectlOk(cluster, ['-n', NAMESPACE, 'get', 'pods', '-l', 'app=sinks', '-o', 'json'])) as {
      items: {
        metadata: { name: string };
        status: { podIP?: string; conditions?: { type: string; status: string }[] };
      }[];
    };
    const ready = list.items.filter((p) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    return ready.length === count ? new Map(ready.map((p) => [p.metadata.name, p.status.podIP!])) : undefined;
  });
}

/** [interface name, epoch time, destination] of each packet, by tshark. */
function tsharkRows(file: string): [string, number, string][] {
  const r = spawnSync(
    'tshark',
    ['-r', file, '-T', 'fields', '-e', 'frame.interface_name', '-e', 'frame.time_epoch', '-e', 'ip.dst'],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => l.split('\t'))
    .map(([iface, time, dst]) => [iface!, Number(time), dst!]);
}

describe("the extension's workload target on a real cluster", { timeout: 15 * 60_000 }, () => {
  let cluster: Cluster;
  let dir: string;

  before(async () => {
    cluster = upCluster();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'workload-'));
    await createNamespace(cluster, NAMESPACE);
  });

  after(() => {
    if (cluster)
      kubectl(cluster, ['delete', 'namespace', NAMESPACE, '--ignore-not-found', '--wait=true', '--timeout=90s']);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('merges every pod in time order, one interface each; a pod scaled up joins; Stop ends them all', async () => {
    assert.equal(kubectl(cluster, ['apply', '-f', '-'], JSON.stringify(deployment(2))).status, 0);
    const first = await readyPods(cluster, 2);
    const { KUBECTL, ...env } = cluster.env;
    const k = new Kubectl({ path: KUBECTL, env: { ...process.env, ...env } });
    const said: string[] = [];
    const target = new WorkloadTarget(
      k,
      { namespace: NAMESPACE, resource: 'deployment', name: 'sinks' },
      (pod) => new PodTarget(k, pod, { image: BUSYBOX_IMAGE, root: REPO }),
      (line) => said.push(line),
    );
    assert.deepEqual(await target.listInterfaces(), [], 'each pod is captured on its own interfaces');
    const file = path.join(dir, 'workload.pcapng');
    const agent = await target.startCapture({ interfaces: [], filter: `udp port ${UDP_PORT}`, snaplen: 262144 });
    const out = fs.createWriteStream(file);
    agent.stdout.pipe(out);
    const capturing = (name: string) => said.some((l) => l.startsWith(`${NAMESPACE}/${name}: capturing on eth0`));
    try {
      await waitFor('both pods capturing', 120_000, () => ([...first.keys()].every(capturing) ? true : undefined));
      for (const address of first.values()) await sendUdp(address, UDP_PORT, PER_POD);
      await waitFor("the first pods' datagrams", 30_000, () => (packetsIn(file) >= 2 * PER_POD ? true : undefined));

      assert.equal(kubectl(cluster, ['-n', NAMESPACE, 'scale', 'deployment/sinks', '--replicas=3']).status, 0);
      const all = await readyPods(cluster, 3);
      const [joiner, address] = [...all].find(([name]) => !first.has(name))!;
      await waitFor('the new pod joining', 120_000, () => (capturing(joiner) ? true : undefined));
      await sendUdp(address, UDP_PORT, PER_POD);
      await waitFor('every datagram', 30_000, () => (packetsIn(file) >= 3 * PER_POD ? true : undefined));
    } finally {
      agent.stdin.end(); // the panel's Stop
    }
    assert.equal(await agent.exited, 0, said.join('\n'));
    await new Promise<void>((resolve) => out.once('close', () => resolve()));

    const pods = await readyPods(cluster, 3);
    const rows = tsharkRows(file);
    assert.equal(rows.length, 3 * PER_POD, JSON.stringify(rows));
    assert.deepEqual(
      new Set(rows.map(([iface]) => iface)),
      new Set([...pods.keys()].map((name) => `${NAMESPACE}/${name}:eth0`)),
      'one interface per pod, named namespace/pod:eth0',
    );
    for (const [iface, , dst] of rows)
      assert.equal(
        dst,
        pods.get(iface.slice(NAMESPACE.length + 1, -':eth0'.length)),
        `${iface} holds its own pod's packets`,
      );
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i]![1] >= rows[i - 1]![1], 'packets in time order');
  });
});
