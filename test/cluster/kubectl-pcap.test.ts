// kubectl-pcap against the real test cluster (scripts/test-cluster.sh): a pod's UDP and TCP under
// a filter, several pods merged in time order with one interface block each, Pod Security's
// refusal in its own words, clear messages for a missing or stopped pod, and no helper left
// behind. tshark reads every capture.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readCaptureFile } from '../../packet/capture-file.js';
import {
  apply,
  busyboxPod,
  type Cluster,
  createNamespace,
  fixtureFacts,
  helpersLeft,
  kubectl,
  kubectlOk,
  upCluster,
  waitFor,
} from './helpers/cluster.js';
import { kubectlPcap, packetsIn, sendUdp } from './helpers/kubectl-pcap-run.js';

const NAMESPACE = `kubectl-pcap-${process.pid}`;
const RESTRICTED = `${NAMESPACE}-restricted`;
const BASELINE = `${NAMESPACE}-baseline`;
const UDP_PORT = 9000;
const { BRIDGE } = fixtureFacts('BRIDGE');
const HTTP_PORT = 8080;

/** [interface name, protocol, source, destination, destination port] of each packet, by tshark. */
function tsharkRows(file: string): string[][] {
  const r = spawnSync(
    'tshark',
    [
      '-r',
      file,
      '-T',
      'fields',
      '-e',
      'frame.interface_name',
      '-e',
      '_ws.col.Protocol',
      '-e',
      'ip.src',
      '-e',
      'ip.dst',
      '-e',
      'udp.dstport',
      '-e',
      'tcp.dstport',
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t'));
}

/** One HTTP/1.0 request to busybox httpd: a whole TCP connection, handshake to close. */
function httpGet(address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(HTTP_PORT, address, () => socket.end('GET / HTTP/1.0\r\n\r\n'));
    socket.setTimeout(10_000, () => socket.destroy(new Error('HTTP request timed out')));
    socket.on('data', () => {});
    socket.once('close', () => resolve());
    socket.once('error', reject);
  });
}

/** A kubeconfig (JSON, which kubectl reads) for a ServiceAccount of NAMESPACE: the test cluster's
 *  server and CA, the account's short-lived token. */
function accountKubeconfig(cluster: Cluster, account: string): object {
  const admin = JSON.parse(kubectlOk(cluster, ['config', 'view', '--raw', '--minify', '-o', 'json'])) as {
    clusters: { cluster: object }[];
  };
  const token = kubectlOk(cluster, ['-n', NAMESPACE, 'create', 'token', account, '--duration=10m']).trim();
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster: admin.clusters[0]!.cluster }],
    users: [{ name: account, user: { token } }],
    contexts: [{ name: account, context: { cluster: 'test', user: account, namespace: NAMESPACE } }],
    'current-context': account,
  };
}

describe('kubectl-pcap on a real cluster', { timeout: 50 * 60_000 }, () => {
  let cluster: Cluster;
  let dir: string;
  const ip: Record<string, string> = {};

  before(async () => {
    cluster = upCluster();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubectl-pcap-'));
    await createNamespace(cluster, NAMESPACE);
    for (const name of ['web-1', 'web-2']) {
      const pod = busyboxPod(NAMESPACE, name, ['httpd', '-f', '-p', String(HTTP_PORT)]) as {
        metadata: { labels?: Record<string, string> };
      };
      pod.metadata.labels = { app: 'kp-web' };
      const r = apply(cluster, pod);
      assert.equal(r.status, 0, r.stderr);
    }
    kubectlOk(cluster, ['-n', NAMESPACE, 'wait', '--for=condition=Ready', 'pod', '-l', 'app=kp-web', '--timeout=90s']);
    for (const name of ['web-1', 'web-2'])
      ip[name] = kubectlOk(cluster, ['-n', NAMESPACE, 'get', 'pod', name, '-o', 'jsonpath={.status.podIP}']);
  });

  after(() => {
    if (cluster) {
      for (const ns of [NAMESPACE, RESTRICTED, BASELINE])
        kubectl(cluster, ['delete', 'namespace', ns, '--ignore-not-found', '--wait=true', '--timeout=90s']);
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("captures one pod's UDP and TCP under a filter, as ns/pod:eth0, and leaves no helper behind", async () => {
    const file = path.join(dir, 'one.pcapng');
    const run = kubectlPcap(cluster, [
      '-n',
      NAMESPACE,
      'web-1',
      '-f',
      `udp port ${UDP_PORT} or tcp port ${HTTP_PORT}`,
      '-w',
      file,
    ]);
    try {
      await waitFor('"capturing on"', 60_000, () => (/capturing on eth0/.test(run.stderr()) ? true : undefined));
      await sendUdp(ip['web-1']!, UDP_PORT, 3);
      await httpGet(ip['web-1']!);
      await httpGet(ip['web-2']!); // another pod's traffic: not in this capture
      // 3 datagrams, and at least the handshake, request, answer and close of the connection.
      await waitFor('the packets in the file', 30_000, () => (packetsIn(file) >= 9 ? true : undefined));
    } finally {
      run.child.kill('SIGINT');
    }
    assert.equal(await run.exited, 0, run.stderr());
    const rows = tsharkRows(file);
    assert.ok(
      rows.every(([iface]) => iface === `${NAMESPACE}/web-1:eth0`),
      JSON.stringify(rows),
    );
    assert.equal(rows.filter((r) => r[4] === String(UDP_PORT) && r[3] === ip['web-1']).length, 3);
    const tcp = rows.filter((r) => r[1] !== 'UDP' && r[1] !== 'ICMP');
    assert.ok(tcp.length >= 6, `the TCP connection: ${JSON.stringify(tcp)}`);
    assert.ok(
      rows.every((r) => r[2] === ip['web-1'] || r[3] === ip['web-1']),
      'only web-1 traffic',
    );
    assert.match(run.stderr(), new RegExp(`${NAMESPACE}/web-1: \\d+ packets`));
    await waitFor('no helper pod or job left', 60_000, () =>
      helpersLeft(cluster, NAMESPACE).length === 0 ? true : undefined,
    );
  });

  it("a pod on its node's network (hostNetwork): said so, and the node's interfaces captured", async () => {
    const pod = busyboxPod(NAMESPACE, 'on-host', ['sleep', '3600']) as { spec: { hostNetwork?: boolean } };
    pod.spec.hostNetwork = true;
    const r = apply(cluster, pod);
    assert.equal(r.status, 0, r.stderr);
    kubectlOk(cluster, ['-n', NAMESPACE, 'wait', '--for=condition=Ready', 'pod/on-host', '--timeout=90s']);
    const file = path.join(dir, 'host-network.pcapng');
    const run = kubectlPcap(cluster, ['-n', NAMESPACE, 'on-host', '-f', `udp port ${UDP_PORT}`, '-w', file]);
    try {
      await run.said(/on-host uses its node's network \(hostNetwork\): this captures the node's interfaces/);
      await run.said(new RegExp(`on-host: capturing on .*\\b${BRIDGE}\\b`));
      await sendUdp(ip['web-1']!, UDP_PORT, 3); // from the node to a pod: through the node's bridge
      await waitFor('the datagrams in the file', 30_000, () => (packetsIn(file) >= 3 ? true : undefined));
    } finally {
      run.child.kill('SIGINT');
    }
    assert.equal(await run.exited, 0, run.stderr());
    const onBridge = tsharkRows(file).filter(
      ([iface, , , dst]) => iface === `${NAMESPACE}/on-host:${BRIDGE}` && dst === ip['web-1'],
    );
    assert.equal(onBridge.length, 3, "the datagrams on the node's bridge");
    kubectlOk(cluster, ['-n', NAMESPACE, 'delete', 'pod', 'on-host', '--grace-period=1']);
  });

  it('the target pod deleted: the capture ends by itself, says why, and leaves no helper', async () => {
    const r = apply(cluster, busyboxPod(NAMESPACE, 'short-lived', ['sleep', '3600']));
    assert.equal(r.status, 0, r.stderr);
    kubectlOk(cluster, ['-n', NAMESPACE, 'wait', '--for=condition=Ready', 'pod/short-lived', '--timeout=90s']);
    const run = kubectlPcap(cluster, ['-n', NAMESPACE, 'short-lived', '-w', path.join(dir, 'deleted.pcapng')]);
    await waitFor('"capturing on"', 60_000, () => (/capturing on eth0/.test(run.stderr()) ? true : undefined));
    kubectlOk(cluster, ['-n', NAMESPACE, 'delete', 'pod', 'short-lived', '--grace-period=1', '--wait=false']);
    assert.equal(await run.exited, 0, run.stderr());
    assert.match(run.stderr(), /short-lived: eth0 is gone \(the interface, or its network namespace, was removed\)/);
    await waitFor('no helper pod or job left', 60_000, () =>
      helpersLeft(cluster, NAMESPACE).length === 0 ? true : undefined,
    );
  });

  it("a selector's pods that start during the capture join it, and those deleted leave it", async () => {
    const pod = (name: string) => {
      const manifest = busyboxPod(NAMESPACE, name, ['httpd', '-f', '-p', String(HTTP_PORT)]) as {
        metadata: { labels?: Record<string, string> };
      };
      manifest.metadata.labels = { app: 'kp-join' };
      const r = apply(cluster, manifest);
      assert.equal(r.status, 0, r.stderr);
      kubectlOk(cluster, ['-n', NAMESPACE, 'wait', '--for=condition=Ready', `pod/${name}`, '--timeout=90s']);
      return kubectlOk(cluster, ['-n', NAMESPACE, 'get', 'pod', name, '-o', 'jsonpath={.status.podIP}']);
    };
    const first = pod('join-1');
    const file = path.join(dir, 'join.pcapng');
    const run = kubectlPcap(cluster, ['-n', NAMESPACE, '-l', 'app=kp-join', '-f', `tcp port ${HTTP_PORT}`, '-w', file]);
    try {
      await waitFor('join-1 capturing', 60_000, () =>
        /join-1: capturing on eth0/.test(run.stderr()) ? true : undefined,
      );
      const second = pod('join-2');
      await waitFor('join-2 joining', 60_000, () =>
        /join-2: capturing on eth0/.test(run.stderr()) ? true : undefined,
      );
      await httpGet(first);
      await httpGet(second);
      kubectlOk(cluster, ['-n', NAMESPACE, 'delete', 'pod', 'join-1', '--grace-period=1', '--wait=false']);
      await waitFor('join-1 leaving', 60_000, () => (/join-1: eth0 is gone/.test(run.stderr()) ? true : undefined));
      assert.equal(run.child.exitCode, null, 'the capture goes on with join-2');
      await waitFor('both connections in the file', 30_000, () => (packetsIn(file) >= 12 ? true : undefined));
    } finally {
      run.child.kill('SIGINT');
    }
    assert.equal(await run.exited, 0, run.stderr());
    const names = new Set(tsharkRows(file).map(([iface]) => iface));
    assert.deepEqual([...names].sort(), [`${NAMESPACE}/join-1:eth0`, `${NAMESPACE}/join-2:eth0`]);
    kubectl(cluster, ['-n', NAMESPACE, 'delete', 'pod', 'join-2', '--grace-period=1', '--wait=false']);
  });

  it('kubectl-pcap killed: its agent stops and the helper ends by itself (idle a minute, then the Job TTL)', async () => {
    const run = kubectlPcap(cluster, ['-n', NAMESPACE, 'web-2', '-w', path.join(dir, 'killed.pcapng')]);
    await waitFor('"capturing on"', 60_000, () => (/capturing on eth0/.test(run.stderr()) ? true : undefined));
    assert.notDeepEqual(helpersLeft(cluster, NAMESPACE), [], 'a helper runs while capturing');
    run.child.kill('SIGKILL'); // as when VS Code dies: no cleanup of ours runs
    await run.exited;
    // The exec stream ends, so does the agent's stdin; the helper sees no agent for 60 s and ends,
    // and the Job's ttlSecondsAfterFinished (30 s) deletes it.
    await waitFor('no helper pod or job left', 180_000, () =>
      helpersLeft(cluster, NAMESPACE).length === 0 ? true : undefined,
    );
  });

  it('merges the pods of a selector in time order, one interface block per pod, up to --count', async () => {
    const file = path.join(dir, 'two.pcapng');
    const run = kubectlPcap(cluster, [
      '-n',
      NAMESPACE,
      '-l',
      'app=kp-web',
      '-f',
      `tcp port ${HTTP_PORT}`,
      '--count',
      '40',
      '-w',
      file,
    ]);
    try {
      await waitFor('both pods capturing', 90_000, () =>
        (run.stderr().match(/capturing on eth0/g) ?? []).length === 2 ? true : undefined,
      );
      for (let i = 0; i < 6 && run.child.exitCode === null; i++) {
        await httpGet(ip['web-1']!);
        await httpGet(ip['web-2']!);
      }
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGINT');
    }
    assert.equal(await run.exited, 0, run.stderr());
    const { reader, packets } = readCaptureFile(fs.readFileSync(file));
    assert.deepEqual(reader.interfaces.map((i) => i.name).sort(), [
      `${NAMESPACE}/web-1:eth0`,
      `${NAMESPACE}/web-2:eth0`,
    ]);
    assert.equal(packets.length, 40, '--count 40 over both pods');
    const times = packets.map((p) => p.timestampNs!);
    assert.ok(
      times.every((t, i) => i === 0 || t >= times[i - 1]!),
      'packets in time order',
    );
    const names = new Set(packets.map((p) => reader.interfaces[p.interfaceId]!.name));
    assert.equal(names.size, 2, 'packets of both pods');
    assert.equal(tsharkRows(file).length, 40, 'tshark reads all 40');
  });

  it('Pod Security "baseline": refused with the way out; with --ephemeral, captured from inside the pod (AF_PACKET)', async () => {
    await createNamespace(cluster, BASELINE, 'baseline');
    const r = apply(cluster, busyboxPod(BASELINE, 'app', ['httpd', '-f', '-p', String(HTTP_PORT)]));
    assert.equal(r.status, 0, r.stderr);
    kubectlOk(cluster, ['-n', BASELINE, 'wait', '--for=condition=Ready', 'pod/app', '--timeout=90s']);
    const address = kubectlOk(cluster, ['-n', BASELINE, 'get', 'pod', 'app', '-o', 'jsonpath={.status.podIP}']);

    const refused = kubectlPcap(cluster, ['-n', BASELINE, 'app', '-w', path.join(dir, 'baseline-refused.pcapng')]);
    assert.equal(await refused.exited, 1);
    assert.match(refused.stderr(), /Pod Security admission of namespace "[^"]+" refused the capture helper pod/);
    assert.match(refused.stderr(), /violates PodSecurity "baseline:latest"/);
    assert.match(refused.stderr(), /With --ephemeral, the capture runs in an ephemeral container/);
    const spec = () =>
      kubectlOk(cluster, ['-n', BASELINE, 'get', 'pod', 'app', '-o', 'jsonpath={.spec.ephemeralContainers[*].name}']);
    assert.equal(spec(), '', 'nothing added without --ephemeral');

    const file = path.join(dir, 'baseline.pcapng');
    const run = kubectlPcap(cluster, ['-n', BASELINE, 'app', '--ephemeral', '-f', `tcp port ${HTTP_PORT}`, '-w', file]);
    try {
      await waitFor('"capturing on"', 90_000, () => (/capturing on eth0/.test(run.stderr()) ? true : undefined));
      await httpGet(address);
      await waitFor('the connection in the file', 30_000, () => (packetsIn(file) >= 6 ? true : undefined));
    } finally {
      run.child.kill('SIGINT');
    }
    assert.equal(await run.exited, 0, run.stderr());
    assert.match(run.stderr(), /adding an ephemeral container, which stays in the pod's spec/);
    assert.match(run.stderr(), /AF_PACKET/i, 'the agent says it fell back to AF_PACKET');
    assert.match(spec(), /^pcap-capture-[0-9a-f]{6}$/);
    const rows = tsharkRows(file);
    assert.ok(rows.length >= 6 && rows.every(([iface]) => iface === `${BASELINE}/app:eth0`), JSON.stringify(rows));
  });

  it('a namespace enforcing Pod Security "restricted": refused, in the admission\'s own words', async () => {
    await createNamespace(cluster, RESTRICTED, 'restricted');
    const restrictedPod = busyboxPod(RESTRICTED, 'app', ['sleep', '3600'], {
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 1000,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      },
    });
    const r = apply(cluster, restrictedPod);
    assert.equal(r.status, 0, r.stderr);
    kubectlOk(cluster, ['-n', RESTRICTED, 'wait', '--for=condition=Ready', 'pod/app', '--timeout=90s']);
    const run = kubectlPcap(cluster, ['-n', RESTRICTED, 'app', '--ephemeral', '-w', path.join(dir, 'refused.pcapng')]);
    assert.equal(await run.exited, 1);
    assert.match(
      run.stderr(),
      /refused a capture container inside the pod as well: no capture inside app is possible there/,
    );
    assert.match(run.stderr(), /violates PodSecurity "restricted:latest"/);
    assert.deepEqual(helpersLeft(cluster, RESTRICTED), [], 'nothing was created');
  });

  it('RBAC without pods/exec: refused, saying what is missing, and the helper it started removed', async () => {
    const account = 'no-exec';
    kubectlOk(cluster, ['-n', NAMESPACE, 'create', 'serviceaccount', account]);
    const role = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: account, namespace: NAMESPACE },
      rules: [
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'create'] },
        { apiGroups: [''], resources: ['events'], verbs: ['list'] },
        { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'create', 'delete'] },
      ],
    };
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: account, namespace: NAMESPACE },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: account },
      subjects: [{ kind: 'ServiceAccount', name: account, namespace: NAMESPACE }],
    };
    for (const object of [role, binding]) assert.equal(apply(cluster, object).status, 0);
    const kubeconfig = path.join(dir, `${account}.kubeconfig`);
    fs.writeFileSync(kubeconfig, JSON.stringify(accountKubeconfig(cluster, account)), { mode: 0o600 });
    const run = kubectlPcap(cluster, ['-n', NAMESPACE, 'web-1', '-w', path.join(dir, 'rbac.pcapng')], {
      env: { KUBECONFIG: kubeconfig },
    });
    assert.equal(await run.exited, 1, run.stderr());
    assert.match(
      run.stderr(),
      /RBAC does not let you run commands in pods of namespace "[^"]+" \(create on pods\/exec\)/,
    );
    assert.match(run.stderr(), /cannot create resource "pods\/exec"/);
    await waitFor('no helper pod or job left', 60_000, () =>
      helpersLeft(cluster, NAMESPACE).length === 0 ? true : undefined,
    );
  });

  it('a cluster that does not answer: said so, exit 1', async () => {
    const kubeconfig = path.join(dir, 'unreachable.kubeconfig');
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'gone', cluster: { server: 'https://127.0.0.1:1' } }],
      users: [{ name: 'u', user: { token: 'unused' } }],
      contexts: [{ name: 'gone', context: { cluster: 'gone', user: 'u' } }],
      'current-context': 'gone',
    };
    fs.writeFileSync(kubeconfig, JSON.stringify(config), { mode: 0o600 });
    const run = kubectlPcap(cluster, ['web-1', '-w', path.join(dir, 'gone.pcapng')], {
      env: { KUBECONFIG: kubeconfig },
    });
    assert.equal(await run.exited, 1);
    assert.match(run.stderr(), /^kubectl-pcap: cannot reach the cluster of the current context: .*127\.0\.0\.1:1/m);
  });

  it('a pod that does not exist, or has ended: a clear message, exit 1', async () => {
    const missing = kubectlPcap(cluster, ['-n', NAMESPACE, 'no-such-pod', '-w', path.join(dir, 'x.pcapng')]);
    assert.equal(await missing.exited, 1);
    assert.match(missing.stderr(), new RegExp(`pod "no-such-pod" was not found in namespace "${NAMESPACE}"`));
    const r = apply(cluster, {
      ...busyboxPod(NAMESPACE, 'done', ['true']),
      spec: { ...(busyboxPod(NAMESPACE, 'done', ['true']) as { spec: object }).spec, restartPolicy: 'Never' },
    });
    assert.equal(r.status, 0, r.stderr);
    await waitFor('pod done to end', 60_000, () =>
      kubectlOk(cluster, ['-n', NAMESPACE, 'get', 'pod', 'done', '-o', 'jsonpath={.status.phase}']) === 'Succeeded'
        ? true
        : undefined,
    );
    const ended = kubectlPcap(cluster, ['-n', NAMESPACE, 'done', '-w', path.join(dir, 'y.pcapng')]);
    assert.equal(await ended.exited, 1);
    assert.match(ended.stderr(), /is Succeeded, not Running/);
  });
});
