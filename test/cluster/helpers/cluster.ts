// The test cluster (scripts/test-cluster.sh) as the cluster tests see it: bring it up (a no-op when
// it is up and healthy), then run its kubectl with argv arrays against it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MANAGED_BY } from '../../../extension/kubernetes/node-helper.js';

/** The repository's root: the nearest folder above this file that holds scripts/test-cluster.sh
 *  (this file also runs bundled into an extension-host test, from dist/test/exthost/). */
function repositoryRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'scripts', 'test-cluster.sh'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no scripts/test-cluster.sh above ${__dirname}`);
  }
}

export const CLUSTER_SCRIPT = path.join(repositoryRoot(), 'scripts', 'test-cluster.sh');
const COMMON = path.join(repositoryRoot(), 'test', 'cluster', 'fixture', 'common.sh');

/**
 * Variables of test/cluster/fixture/common.sh, where each fact of the cluster is named once
 * (arrays joined by spaces).
 */
export function fixtureFacts<Name extends string>(...names: Name[]): Record<Name, string> {
  const script = `. "$1"; shift; for name; do declare -n v=$name; printf "%s=%s\\n" "$name" "\${v[*]}"; unset -n v; done`;
  const out = execFileSync('bash', ['-c', script, 'facts', COMMON, ...names], { encoding: 'utf8' });
  return Object.fromEntries(out.trim().split('\n').map(splitAssignment)) as Record<Name, string>;
}

function splitAssignment(line: string): [string, string] {
  const eq = line.indexOf('=');
  return [line.slice(0, eq), line.slice(eq + 1)];
}

export const { BUSYBOX_IMAGE } = fixtureFacts('BUSYBOX_IMAGE');

export interface Cluster {
  /** KUBECONFIG, KUBECACHEDIR and KUBECTL as `scripts/test-cluster.sh env` prints them. */
  env: Record<string, string>;
}

export interface Result {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

function runScript(command: 'up' | 'down' | 'env', timeoutMs: number): string {
  const r = spawnSync('bash', [CLUSTER_SCRIPT, command], {
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGTERM',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.status !== 0)
    throw new Error(`scripts/test-cluster.sh ${command} failed (${r.status ?? r.signal}):\n${r.stderr}`);
  return r.stdout;
}

/** Brings the cluster up (the first time on a machine this builds Kubernetes, ~16 min). */
export function upCluster(): Cluster {
  runScript('up', 45 * 60_000);
  return clusterEnv();
}

/** The cluster's kubectl environment, whether it is up or not. */
export function clusterEnv(): Cluster {
  return { env: Object.fromEntries(runScript('env', 10_000).trim().split('\n').map(splitAssignment)) };
}

/** Stops the cluster and removes everything `up` made. */
export function downCluster(): void {
  runScript('down', 5 * 60_000);
}

export function kubectl(cluster: Cluster, args: string[], input?: Buffer | string): Result {
  const { KUBECTL, ...env } = cluster.env;
  if (!KUBECTL) throw new Error('scripts/test-cluster.sh env printed no KUBECTL line');
  const r = spawnSync(KUBECTL, ['--request-timeout=30s', ...args], {
    input,
    env: { ...process.env, ...env },
    timeout: 120_000,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

/** kubectl that must succeed; its stdout as text. */
export function kubectlOk(cluster: Cluster, args: string[], input?: Buffer | string): string {
  const r = kubectl(cluster, args, input);
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout.toString();
}

/** Creates a namespace and waits for its default ServiceAccount, which comes a moment after the
 *  namespace: a pod created before it is refused. */
export async function createNamespace(cluster: Cluster, name: string, podSecurity?: string): Promise<void> {
  kubectlOk(cluster, ['create', 'namespace', name]);
  if (podSecurity)
    kubectlOk(cluster, ['label', 'namespace', name, `pod-security.kubernetes.io/enforce=${podSecurity}`]);
  await waitFor(`the default ServiceAccount of namespace ${name}`, 30_000, () =>
    kubectl(cluster, ['-n', name, 'get', 'serviceaccount', 'default']).status === 0 ? true : undefined,
  );
}

export function apply(cluster: Cluster, object: object): Result {
  return kubectl(cluster, ['apply', '-f', '-'], JSON.stringify(object));
}

/** A pod of the local busybox image (never pulled) running `command`, deleted within a second. */
export function busyboxPod(namespace: string, name: string, command: string[], container: object = {}): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'main', image: BUSYBOX_IMAGE, imagePullPolicy: 'Never', command, ...container }],
    },
  };
}

/** A busybox pod running `udp sink PORT`, once it listens: its pod address. */
export async function startUdpSink(cluster: Cluster, namespace: string, name: string, port: number): Promise<string> {
  const r = apply(cluster, busyboxPod(namespace, name, ['udp', 'sink', String(port)]));
  if (r.status !== 0) throw new Error(`pod ${namespace}/${name} refused: ${r.stderr}`);
  kubectlOk(cluster, ['-n', namespace, 'wait', '--for=condition=Ready', `pod/${name}`, '--timeout=90s']);
  await waitFor(`${name} listening on udp port ${port}`, 30_000, () =>
    kubectlOk(cluster, ['-n', namespace, 'logs', name]).includes('listening on udp port') ? true : undefined,
  );
  return kubectlOk(cluster, ['-n', namespace, 'get', 'pod', name, '-o', 'jsonpath={.status.podIP}']);
}

/** Our capture helpers' Jobs and pods (in `namespace`, or in the whole cluster), as kubectl names them. */
export function helpersLeft(cluster: Cluster, namespace?: string): string[] {
  const where = namespace ? ['-n', namespace] : ['-A'];
  return kubectlOk(cluster, ['get', 'pods,jobs', ...where, '-l', MANAGED_BY, '-o', 'name'])
    .split('\n')
    .filter(Boolean);
}

function ipv4ToNumber(address: string): number {
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

/** Whether an IPv4 address lies in a prefix such as 198.18.0.0/24. */
export function inPrefix(address: string, prefix: string): boolean {
  const [network = '', bits = '32'] = prefix.split('/');
  const size = 2 ** (32 - Number(bits));
  return (
    /^\d+\.\d+\.\d+\.\d+$/.test(address) && Math.floor(ipv4ToNumber(address) / size) === ipv4ToNumber(network) / size
  );
}

/** Polls `check` until it returns a value, or throws naming `what` after timeoutMs. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}
