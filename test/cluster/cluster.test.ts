// Proves the test cluster (scripts/test-cluster.sh) is a real Kubernetes: pods of the local images
// run to Ready, `kubectl exec -i` carries binary data both ways through the apiserver, the kubelet
// and containerd, pods reach each other over the bridge in the test range, and Pod Security
// admission refuses a privileged pod where the namespace enforces "restricted".
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  apply,
  busyboxPod,
  type Cluster,
  createNamespace,
  fixtureFacts,
  inPrefix,
  kubectl,
  kubectlOk,
  upCluster,
  waitFor,
} from './helpers/cluster.js';

const NAMESPACE = `cluster-test-${process.pid}`;
const UDP_PORT = '7000';
const { POD_CIDR } = fixtureFacts('POD_CIDR');

function podIp(cluster: Cluster, name: string): string {
  return kubectlOk(cluster, ['-n', NAMESPACE, 'get', 'pod', name, '-o', 'jsonpath={.status.podIP}']);
}

describe('test cluster', { timeout: 50 * 60_000 }, () => {
  let cluster: Cluster;

  before(() => {
    cluster = upCluster();
    return createNamespace(cluster, NAMESPACE);
  });
  after(() => {
    if (cluster) kubectl(cluster, ['delete', 'namespace', NAMESPACE, '--wait=true', '--timeout=90s']);
  });

  it('runs busybox pods from the local image to Ready', () => {
    for (const [name, command] of [
      ['echo', ['udp', 'echo', UDP_PORT]],
      ['client', ['sleep', '3600']],
    ] as const) {
      const applied = apply(cluster, busyboxPod(NAMESPACE, name, [...command]));
      assert.equal(applied.status, 0, applied.stderr);
    }
    kubectlOk(cluster, ['-n', NAMESPACE, 'wait', '--for=condition=Ready', 'pod/echo', 'pod/client', '--timeout=90s']);
    const phases = kubectlOk(cluster, ['-n', NAMESPACE, 'get', 'pods', '-o', 'jsonpath={.items[*].status.phase}']);
    assert.deepEqual(phases.split(' '), ['Running', 'Running']);
  });

  it('streams 5 MB through kubectl exec -i stdin and back on stdout intact', () => {
    const data = randomBytes(5 * 1024 * 1024);
    const r = kubectl(cluster, ['-n', NAMESPACE, 'exec', '-i', 'client', '--', 'cat'], data);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.length, data.length);
    assert.ok(r.stdout.equals(data), 'the bytes that came back differ from the bytes sent');
  });

  it('carries a UDP exchange between two pods on the pod network', async () => {
    const server = podIp(cluster, 'echo');
    const client = podIp(cluster, 'client');
    assert.ok(inPrefix(server, POD_CIDR) && inPrefix(client, POD_CIDR), `${server} ${client} in ${POD_CIDR}`);
    assert.notEqual(server, client);
    await waitFor('the echo pod listening', 30_000, () =>
      kubectlOk(cluster, ['-n', NAMESPACE, 'logs', 'echo']).includes(`listening on udp port ${UDP_PORT}`)
        ? true
        : undefined,
    );
    const text = `hello from ${client}`;
    const reply = kubectlOk(cluster, ['-n', NAMESPACE, 'exec', 'client', '--', 'udp', 'ask', server, UDP_PORT, text]);
    assert.equal(reply, `${text}\n`);
  });

  it('refuses a privileged pod in a namespace that enforces "restricted", quoting the admission', () => {
    const restricted = `${NAMESPACE}-restricted`;
    const namespace = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: restricted, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
    };
    const created = apply(cluster, namespace);
    assert.equal(created.status, 0, created.stderr);
    try {
      const privileged = busyboxPod(restricted, 'privileged', ['sleep', '60'], {
        securityContext: { privileged: true },
      });
      const refused = apply(cluster, privileged);
      assert.notEqual(refused.status, 0);
      assert.match(refused.stderr, /is forbidden: violates PodSecurity "restricted:latest"/);
      assert.match(refused.stderr, /privileged \(container "main" must not set securityContext\.privileged=true\)/);
      // The same namespace admits a pod that meets "restricted": the refusal above is the policy's.
      const compliant = busyboxPod(restricted, 'compliant', ['sleep', '60'], {
        securityContext: {
          runAsNonRoot: true,
          runAsUser: 65534,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        },
      });
      const admitted = kubectl(cluster, ['apply', '--dry-run=server', '-f', '-'], JSON.stringify(compliant));
      assert.equal(admitted.status, 0, admitted.stderr);
    } finally {
      kubectl(cluster, ['delete', 'namespace', restricted, '--wait=false']);
    }
  });
});
