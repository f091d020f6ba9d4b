// What names a Kubernetes capture target, read without a cluster: kubectl-pcap's POD|TYPE/NAME
// argument, a workload's selector in kubectl's -l syntax, a pod's JSON as `kubectl get pod -o json`
// prints it, and the node object the Kubernetes extension's explorer hands to our command.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { explorerChoice } from '../../extension/kubernetes/explorer-node.js';
import { notCapturable, parsePodTarget, podInfo, selectorText } from '../../extension/kubernetes/pods.js';

describe('Kubernetes targets', () => {
  test('POD, pod/POD and TYPE/NAME as kubectl spells them; anything else is refused with why', () => {
    assert.deepEqual(parsePodTarget('web-0'), { kind: 'pod', name: 'web-0' });
    assert.deepEqual(parsePodTarget('po/web-0'), { kind: 'pod', name: 'web-0' });
    assert.deepEqual(parsePodTarget('deploy/shop'), { kind: 'workload', resource: 'deployment', name: 'shop' });
    assert.deepEqual(parsePodTarget('StatefulSet/db'), { kind: 'workload', resource: 'statefulset', name: 'db' });
    assert.deepEqual(parsePodTarget('ds/agent'), { kind: 'workload', resource: 'daemonset', name: 'agent' });
    assert.throws(() => parsePodTarget('svc/web'), /"svc" is not a workload kind/);
    assert.throws(() => parsePodTarget('Web_0'), /not a pod or workload name/);
    assert.throws(() => parsePodTarget('deploy/$(reboot)'), /not a pod or workload name/);
  });

  test("a workload's selector in -l syntax, expressions included", () => {
    assert.equal(
      selectorText({
        matchLabels: { app: 'shop', tier: 'web' },
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['a', 'b'] },
          { key: 'canary', operator: 'DoesNotExist' },
          { key: 'zone', operator: 'NotIn', values: ['x'] },
          { key: 'team', operator: 'Exists' },
        ],
      }),
      'app=shop,tier=web,env in (a,b),!canary,zone notin (x),team',
    );
  });

  test("a pod's JSON: node, phase, containers with their runtime ids (hex only), host networking, address", () => {
    const id = 'a1b2c3d4e5f6'.repeat(5).slice(0, 64);
    const pod = podInfo({
      metadata: { namespace: 'shop', name: 'web-0', uid: 'u-1' },
      spec: { nodeName: 'node-1', hostNetwork: true, containers: [{ name: 'app' }, { name: 'sidecar' }] },
      status: {
        phase: 'Running',
        podIP: '198.18.0.7',
        containerStatuses: [
          { name: 'app', containerID: `containerd://${id}`, ready: true },
          { name: 'sidecar', containerID: 'containerd://not-hex;rm -rf /', ready: false },
        ],
      },
    });
    assert.deepEqual(pod, {
      namespace: 'shop',
      name: 'web-0',
      uid: 'u-1',
      node: 'node-1',
      phase: 'Running',
      hostNetwork: true,
      ip: '198.18.0.7',
      containers: [
        { name: 'app', id, ready: true },
        { name: 'sidecar', id: undefined, ready: false },
      ],
    });
    assert.equal(notCapturable(pod), undefined);
    assert.match(notCapturable({ ...pod, phase: 'Pending' }) ?? '', /is Pending, not Running/);
    assert.match(notCapturable({ ...pod, containers: [] }) ?? '', /no started container/);
  });

  test("the explorer's resolved node: pods and workloads are targets, other kinds are not", () => {
    const node = (manifestKind: string, namespace: string | null = 'shop') => ({
      nodeType: 'resource',
      namespace,
      name: 'web',
      resourceKind: { manifestKind, abbreviation: 'x' },
    });
    assert.deepEqual(explorerChoice(node('Pod')), { namespace: 'shop', choice: { kind: 'pod', name: 'web' } });
    assert.deepEqual(explorerChoice(node('Deployment', null)), {
      namespace: undefined,
      choice: { kind: 'workload', resource: 'deployment', name: 'web' },
    });
    assert.equal(explorerChoice(node('Service')), undefined);
    assert.equal(explorerChoice({ nodeType: 'context', name: 'minikube' }), undefined);
    assert.equal(explorerChoice(undefined), undefined);
  });
});
