// Proves scripts/test-cluster.sh leaves the host as it found it: what `up` makes (daemons, shims,
// mounts, the bridge, the node address and route, iptables chains and tables, pod cgroups, host
// folders, changed sysctls) is there while the cluster runs with a pod, and gone after `down`; an
// `up` killed half-way is removed and made anew by the next `up`; kernel.panic_on_oops, which the
// kubelet sets to 1 (a kernel oops would then reboot the host), keeps the host's value while the
// cluster runs. Leaves the cluster down.
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  apply,
  busyboxPod,
  CLUSTER_SCRIPT,
  clusterEnv,
  downCluster,
  fixtureFacts,
  kubectl,
  kubectlOk,
  upCluster,
  waitFor,
} from './helpers/cluster.js';

const facts = fixtureFacts(
  'CLUSTER_RUN',
  'CLUSTER_BIN',
  'CLUSTER_ETCD_DATA',
  'BRIDGE',
  'NODE_IP',
  'NODE_NAME',
  'TEST_RANGE',
  'HOST_PATHS',
  'SYSCTLS',
);
const READY = 'jsonpath={.status.conditions[?(@.type=="Ready")].status}';
const DAEMON_EXECUTABLES = [
  ...['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet'].map((c) =>
    path.join(facts.CLUSTER_BIN, c),
  ),
  '/usr/bin/etcd',
  '/usr/bin/containerd',
  '/usr/bin/containerd-shim-runc-v2',
];

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8' });
}

/** Live processes running one of the cluster's executables, as "pid executable". */
function clusterProcesses(): string[] {
  const found: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const exe = fs.readlinkSync(`/proc/${pid}/exe`);
      const state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0];
      if (state !== 'Z' && DAEMON_EXECUTABLES.includes(exe)) found.push(`${pid} ${exe}`);
    } catch {
      // the process exited while we looked
    }
  }
  return found;
}

/** Everything of the host the cluster touches, as comparable lines. */
function footprint(): Record<string, string[]> {
  const lines = (text: string) => text.split('\n').filter((line) => line !== '');
  return {
    processes: clusterProcesses(),
    mounts: lines(fs.readFileSync('/proc/self/mountinfo', 'utf8'))
      .map((line) => line.split(' ')[4] ?? '')
      .filter((mount) => mount.startsWith(facts.CLUSTER_RUN) || mount.startsWith(facts.CLUSTER_ETCD_DATA)),
    bridge: lines(run('ip', ['-o', 'link', 'show'])).filter((link) => link.includes(` ${facts.BRIDGE}`)),
    nodeAddress: lines(run('ip', ['-o', 'address', 'show', 'dev', 'lo'])).filter((a) =>
      a.includes(` ${facts.NODE_IP}/`),
    ),
    routes: lines(run('ip', ['route', 'show', 'table', 'all'])).filter(
      (route) => route.startsWith(`unreachable ${facts.TEST_RANGE}`) || route.includes(`dev ${facts.BRIDGE}`),
    ),
    // Whole rule sets without counters: chains, rules and the tables that hold them.
    iptables: lines(run('iptables-save', []))
      .filter((l) => !l.startsWith('#'))
      .map((l) => l.replace(/ \[\d+:\d+\]$/, '')),
    ip6tables: lines(run('ip6tables-save', []))
      .filter((l) => !l.startsWith('#'))
      .map((l) => l.replace(/ \[\d+:\d+\]$/, '')),
    cgroups: lines(run('bash', ['-c', 'ls -d /sys/fs/cgroup/*/kubepods 2>/dev/null || true'])),
    paths: [...facts.HOST_PATHS.split(' '), facts.CLUSTER_RUN, facts.CLUSTER_ETCD_DATA].filter((p) => fs.existsSync(p)),
    sysctls: facts.SYSCTLS.split(' ').map((name) => run('sysctl', [name]).trim()),
  };
}

function sysctl(footprintNow: Record<string, string[]>, name: string): string | undefined {
  return footprintNow.sysctls?.find((line) => line.startsWith(`${name} =`));
}

/** Runs a pod so that the pod network, its mounts and cgroups exist. */
async function runPod(): Promise<void> {
  const cluster = upCluster();
  const pod = busyboxPod('default', 'teardown-probe', ['sleep', '3600']);
  const applied = apply(cluster, pod);
  assert.equal(applied.status, 0, applied.stderr);
  kubectlOk(cluster, ['wait', '--for=condition=Ready', 'pod/teardown-probe', '--timeout=90s']);
}

describe('test cluster teardown', { timeout: 10 * 60_000 }, () => {
  after(downCluster); // also when a check failed with the cluster up
  it('removes everything up made, and keeps kernel.panic_on_oops as it was', async () => {
    downCluster();
    const before = footprint();
    await runPod();
    const up = footprint();
    for (const what of ['processes', 'mounts', 'bridge', 'nodeAddress', 'routes', 'cgroups', 'paths'])
      assert.notDeepEqual(up[what], before[what], `up made no ${what}: the check would prove nothing`);
    assert.notDeepEqual(up.iptables, before.iptables, 'the kubelet added no iptables chains');
    assert.equal(sysctl(up, 'kernel.panic_on_oops'), sysctl(before, 'kernel.panic_on_oops'));
    downCluster();
    assert.deepEqual(footprint(), before);
  });

  it('remakes a cluster whose up was killed half-way, and removes it all', async () => {
    const before = footprint();
    const killed = spawn('bash', [CLUSTER_SCRIPT, 'up'], { stdio: 'ignore' });
    const kubeletPid = path.join(facts.CLUSTER_RUN, 'pid', 'kubelet.pid');
    try {
      await waitFor('the killed up to start the kubelet', 120_000, () =>
        fs.existsSync(kubeletPid) ? true : undefined,
      );
    } finally {
      killed.kill('SIGKILL');
    }
    await new Promise((resolve) => killed.once('exit', resolve));
    // Every daemon runs and the node gets Ready, yet that up never finished (it had not seen the
    // default ServiceAccount): the next up must not take it for a cluster that is up.
    const halfMade = clusterEnv();
    await waitFor('the half-made node Ready', 60_000, () =>
      kubectl(halfMade, ['get', 'node', facts.NODE_NAME, '-o', READY]).stdout.toString() === 'True' ? true : undefined,
    );
    const caPath = path.join(facts.CLUSTER_RUN, 'pki', 'ca.crt');
    const halfMadeCa = fs.readFileSync(caPath, 'utf8');
    await runPod();
    assert.notEqual(fs.readFileSync(caPath, 'utf8'), halfMadeCa, 'up kept the half-made cluster');
    downCluster();
    assert.deepEqual(footprint(), before);
  });
});
