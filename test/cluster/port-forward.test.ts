// A debugger attached to a `kubectl port-forward` port debugs a process of that pod: on the real test
// cluster, real `kubectl port-forward`s (to a pod, to a service, to a Deployment) listen on ports of
// 127.0.0.1; the debug captures' resolver finds each one from its port alone (/proc), reads its
// command line and its KUBECONFIG, and finds the pod as kubectl did, or says why it cannot.
import * as assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { debuggeeOnPort } from '../../extension/debug/attached-process.js';
import { loopbackListeners } from '../../extension/debug/port-listener.js';
import { Kubectl } from '../../extension/kubernetes/kubectl.js';
import {
  apply,
  BUSYBOX_IMAGE,
  busyboxPod,
  type Cluster,
  createNamespace,
  kubectl,
  kubectlOk,
  upCluster,
} from './helpers/cluster.js';

const NAMESPACE = `forward-${process.pid}`;

/** Pods labelled `app` that sleep: a port-forward needs the pod running, not listening. */
function sleeper(name: string, app: string): object {
  const pod = busyboxPod(NAMESPACE, name, ['sleep', '600']) as { metadata: Record<string, unknown> };
  return { ...pod, metadata: { ...pod.metadata, labels: { app } } };
}

function deployment(name: string, replicas: number): object {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'main', image: BUSYBOX_IMAGE, imagePullPolicy: 'Never', command: ['sleep', '600'] }],
        },
      },
    },
  };
}

const service = (name: string, app: string) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: NAMESPACE },
  spec: { selector: { app }, ports: [{ name: 'debug', port: 9229, targetPort: 9229 }] },
});

describe('a kubectl port-forward found from its local port: its pod', { timeout: 5 * 60_000 }, () => {
  let cluster: Cluster;
  const forwards: ChildProcess[] = [];

  before(async () => {
    cluster = upCluster();
    await createNamespace(cluster, NAMESPACE);
    for (const object of [
      sleeper('api', 'api'),
      service('api', 'api'),
      deployment('single', 1),
      deployment('pair', 2),
    ]) {
      const r = apply(cluster, object);
      assert.equal(r.status, 0, r.stderr);
    }
    kubectlOk(cluster, ['-n', NAMESPACE, 'wait', '--for=condition=Ready', 'pod', '--all', '--timeout=120s']);
    kubectlOk(cluster, [
      '-n',
      NAMESPACE,
      'rollout',
      'status',
      'deployment/single',
      'deployment/pair',
      '--timeout=120s',
    ]);
  });

  after(() => {
    for (const f of forwards) f.kill('SIGKILL');
    if (cluster)
      kubectl(cluster, ['delete', 'namespace', NAMESPACE, '--ignore-not-found', '--wait=true', '--timeout=90s']);
  });

  /** `kubectl port-forward RESOURCE :9229` as a user runs it (namespace and KUBECONFIG its own),
   *  once it listens: the local port it picked ("Forwarding from 127.0.0.1:PORT -> 9229"). */
  function portForward(resource: string): Promise<number> {
    const { KUBECTL, ...env } = cluster.env;
    const child = spawn(KUBECTL!, ['port-forward', '--namespace', NAMESPACE, resource, ':9229'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    forwards.push(child);
    return new Promise((resolve, reject) => {
      let out = '';
      const timer = setTimeout(
        () => reject(new Error(`kubectl port-forward ${resource} did not listen: ${out}`)),
        60_000,
      );
      const read = (d: Buffer) => {
        out += d.toString();
        const m = /Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      child.stdout.on('data', read);
      child.stderr.on('data', read);
      child.once('exit', (code) => reject(new Error(`kubectl port-forward ${resource} ended (${code}): ${out}`)));
    });
  }

  /** What the debug captures make of an attach to `port`: the listener, its command line, the pod. */
  async function podBehind(port: number) {
    const listeners = loopbackListeners(port);
    assert.equal(listeners.length, 1, `one process listens on ${port}: ${listeners}`);
    // Our own kubectl, with only what was read from the forward's process: not this process's KUBECONFIG.
    const { KUBECONFIG: _, ...env } = process.env;
    const found = await debuggeeOnPort(port, listeners, (forward) => {
      assert.equal(forward.kubeconfig, cluster.env.KUBECONFIG, 'the kubeconfig read from its environment');
      return new Kubectl({ path: cluster.env.KUBECTL, env: { ...env, KUBECONFIG: forward.kubeconfig } });
    });
    if (found.kind === 'not captured') throw new Error(found.why);
    assert.equal(found.kind, 'pod', JSON.stringify(found));
    if (found.kind !== 'pod') throw new Error('unreachable');
    assert.match(found.from, new RegExp(`^kubectl port-forward \\(pid ${listeners[0]}\\) of port ${port} to `));
    return found.pod;
  }

  it('a pod by name, and a service with one pod: that pod', async () => {
    for (const resource of ['pod/api', 'svc/api']) {
      const pod = await podBehind(await portForward(resource));
      assert.equal(`${pod.namespace}/${pod.name}`, `${NAMESPACE}/api`, resource);
      assert.equal(pod.phase, 'Running');
    }
  });

  it("a Deployment with one pod: its pod; with two: not told, as kubectl's choice is not seen", async () => {
    const single = await podBehind(await portForward('deployment/single'));
    assert.match(single.name, /^single-/);
    await assert.rejects(
      podBehind(await portForward('deploy/pair')),
      /deployment\/pair has 2 running pods .*pod\/NAME/,
    );
  });
});
