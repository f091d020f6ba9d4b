// Kubernetes benchmark: a pod's capture through kubectl-pcap on the tests' real cluster
// (scripts/test-cluster.sh), against the same static agent run directly on the node.
//
//   npm run bench:k8s          (as root; builds first; the first run builds Kubernetes)
//
// A benchmark, not a test: it prints figures and never fails on them. Figures:
// - time from starting kubectl-pcap to the first packet in its file, with no helper on the node
//   (the Job is created) and with one there, in use by another capture (reused), the helper image
//   present both times;
// - a bounded UDP flood from one pod to another (`udp flood` in the sender pod), captured on the
//   receiver: packets kept of those sent, through kubectl-pcap and by the agent run directly on
//   the node in the receiver's network namespace, each in its own flood;
// - CPU per packet of the agent inside the helper, against the agent run directly; and of what
//   carries the stream out (the kubectl client, and the kubelet and API server the exec goes
//   through).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { apply, busyboxPod, type Cluster, kubectl, kubectlOk, upCluster, waitFor } from '../cluster/helpers/cluster.js';
import { kubectlPcap, packetsIn } from '../cluster/helpers/kubectl-pcap-run.js';
import { STATIC_AGENT } from '../kernel/helpers/agent.js';

const NAMESPACE = `bench-k8s-${process.pid}`;
const PORT = 7000;
const FLOOD = 200_000;
const SIZE = 64;
const RUNS = 3;
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** utime + stime of a process, in seconds; 0 once it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** The host pids whose command line contains `text` (the node's processes, helpers' included). */
function pidsOf(text: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(text))
        found.push(Number(entry));
    } catch {}
  }
  return found;
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('close', () => resolve())));

/** Start → first packet in the file, while the host sends a datagram to the pod every 20 ms. */
async function timeToFirstPacket(cluster: Cluster, receiver: string, dir: string, run: string): Promise<number> {
  const file = path.join(dir, `first-${run}.pcapng`);
  const socket = dgram.createSocket('udp4');
  const ticker = setInterval(() => socket.send(Buffer.from('tick'), PORT, receiver), 20);
  const start = performance.now();
  const capture = kubectlPcap(
    cluster,
    ['-n', NAMESPACE, 'receiver', '-f', `udp port ${PORT}`, '--count', '1', '-w', file],
    {
      stdout: 'ignore',
    },
  );
  try {
    await waitFor('the first packet', 120_000, () => (packetsIn(file) >= 1 ? true : undefined));
    return performance.now() - start;
  } finally {
    clearInterval(ticker);
    socket.close();
    capture.child.kill('SIGINT');
    await capture.exited;
  }
}

/** Runs `measure` while another capture on the node keeps its helper in use (kubectl-pcap removes
 *  an idle helper when it exits, so without one the next capture would make a new helper). */
async function withHelperInUse<T>(cluster: Cluster, dir: string, run: string, measure: () => Promise<T>): Promise<T> {
  const other = kubectlPcap(
    cluster,
    ['-n', NAMESPACE, 'sender', '-f', 'udp port 9', '-w', path.join(dir, `other-${run}.pcapng`)],
    { stdout: 'ignore' },
  );
  try {
    await waitFor('the other capture', 120_000, () => (/capturing on/.test(other.stderr()) ? true : undefined));
    return await measure();
  } finally {
    other.child.kill('SIGINT');
    await other.exited;
  }
}

function deleteHelpers(cluster: Cluster): void {
  kubectl(cluster, [
    '-n',
    NAMESPACE,
    'delete',
    'jobs',
    '-l',
    'app.kubernetes.io/managed-by=ebpf-packet-capture',
    '--wait=true',
  ]);
  kubectl(cluster, [
    '-n',
    NAMESPACE,
    'wait',
    '--for=delete',
    'pod',
    '-l',
    'app.kubernetes.io/managed-by=ebpf-packet-capture',
    '--timeout=60s',
  ]);
}

/** Cluster daemons the exec stream passes through. */
function daemonCpu(): number {
  return ['kubelet', 'kube-apiserver'].flatMap((d) => pidsOf(`/bin/${d} `)).reduce((t, pid) => t + cpuSeconds(pid), 0);
}

interface FloodResult {
  sent: number;
  kept: number;
  agentCpu: number;
  carrierCpu: number; // kubectl client + kubelet + apiserver; 0 for the agent run directly
}

function flood(cluster: Cluster, receiver: string): number {
  const out = kubectlOk(cluster, [
    '-n',
    NAMESPACE,
    'exec',
    'sender',
    '--',
    'udp',
    'flood',
    receiver,
    String(PORT),
    String(FLOOD),
    String(SIZE),
  ]);
  const sent = /sent (\d+)/.exec(out);
  return sent ? Number(sent[1]) : 0;
}

async function floodThroughKubectlPcap(
  cluster: Cluster,
  receiver: string,
  dir: string,
  run: string,
): Promise<FloodResult> {
  const file = path.join(dir, `flood-${run}.pcapng`);
  const capture = kubectlPcap(cluster, ['-n', NAMESPACE, 'receiver', '-f', `udp dst port ${PORT}`, '-w', file], {
    stdout: 'ignore',
  });
  await waitFor('kubectl-pcap capturing', 120_000, () => (/capturing on/.test(capture.stderr()) ? true : undefined));
  const [agentPid] = pidsOf('/pcap-agent capture');
  const kubectlPids = pidsOf(` exec -i -n ${NAMESPACE}`);
  const before = {
    agent: cpuSeconds(agentPid ?? -1),
    kubectl: kubectlPids.reduce((t, p) => t + cpuSeconds(p), 0),
    daemons: daemonCpu(),
  };
  const sent = flood(cluster, receiver);
  await sleep(1500); // what is in flight reaches the file
  const after = {
    agent: cpuSeconds(agentPid ?? -1),
    kubectl: kubectlPids.reduce((t, p) => t + cpuSeconds(p), 0),
    daemons: daemonCpu(),
  };
  capture.child.kill('SIGINT');
  await capture.exited;
  return {
    sent,
    kept: packetsIn(file),
    agentCpu: after.agent - before.agent,
    carrierCpu: after.kubectl - before.kubectl + (after.daemons - before.daemons),
  };
}

async function floodThroughAgentOnNode(
  cluster: Cluster,
  receiver: string,
  netns: string,
  dir: string,
  run: string,
): Promise<FloodResult> {
  const file = path.join(dir, `direct-${run}.pcapng`);
  const agent = spawn(
    STATIC_AGENT,
    ['capture', '--netns', netns, '-i', 'eth0', '-f', `udp dst port ${PORT}`, '-w', file, '--events', 'json'],
    {
      stdio: ['pipe', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  agent.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  await waitFor('the agent attached', 30_000, () => (/"event":"started"/.test(stderr) ? true : undefined));
  const before = cpuSeconds(agent.pid!);
  const sent = flood(cluster, receiver);
  await sleep(1500);
  const cpu = cpuSeconds(agent.pid!) - before;
  agent.stdin!.end();
  await exited(agent);
  return { sent, kept: packetsIn(file), agentCpu: cpu, carrierCpu: 0 };
}

/** The receiver's network namespace as the node sees it: a process of its container, by its id. */
function receiverNetns(cluster: Cluster): string {
  const id = kubectlOk(cluster, [
    '-n',
    NAMESPACE,
    'get',
    'pod',
    'receiver',
    '-o',
    'jsonpath={.status.containerStatuses[0].containerID}',
  ]).replace(/^[a-z]+:\/\//, '');
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cgroup`, 'utf8').includes(id)) return `/proc/${entry}/ns/net`;
    } catch {}
  }
  throw new Error(`no process of the receiver's container ${id}`);
}

const us = (seconds: number, packets: number) => (packets ? `${((seconds * 1e6) / packets).toFixed(2)} µs` : '–');
const pct = (kept: number, sent: number) => (sent ? `${((100 * kept) / sent).toFixed(1)}%` : '–');

async function main(): Promise<void> {
  const cluster = upCluster();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-k8s-'));
  try {
    kubectlOk(cluster, ['create', 'namespace', NAMESPACE]);
    await waitFor('the default ServiceAccount', 30_000, () =>
      kubectl(cluster, ['-n', NAMESPACE, 'get', 'sa', 'default']).status === 0 ? true : undefined,
    );
    for (const [name, command] of [
      ['receiver', ['udp', 'sink', String(PORT)]],
      ['sender', ['sleep', '3600']],
    ] as const)
      if (apply(cluster, busyboxPod(NAMESPACE, name, [...command])).status !== 0)
        throw new Error(`pod ${name} refused`);
    kubectlOk(cluster, [
      '-n',
      NAMESPACE,
      'wait',
      '--for=condition=Ready',
      'pod/receiver',
      'pod/sender',
      '--timeout=90s',
    ]);
    const receiver = kubectlOk(cluster, ['-n', NAMESPACE, 'get', 'pod', 'receiver', '-o', 'jsonpath={.status.podIP}']);
    const netns = receiverNetns(cluster);
    const load = os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');

    const cold: number[] = [];
    const warm: number[] = [];
    const viaHelper: FloodResult[] = [];
    const direct: FloodResult[] = [];
    for (let run = 1; run <= RUNS; run++) {
      deleteHelpers(cluster);
      console.error(`run ${run}: start → first packet, new helper`);
      cold.push(await timeToFirstPacket(cluster, receiver, dir, `${run}-cold`));
      console.error(`run ${run}: start → first packet, helper reused`);
      warm.push(
        await withHelperInUse(cluster, dir, `${run}`, () => timeToFirstPacket(cluster, receiver, dir, `${run}-warm`)),
      );
      console.error(`run ${run}: flood through kubectl-pcap`);
      viaHelper.push(await floodThroughKubectlPcap(cluster, receiver, dir, `${run}`));
      console.error(`run ${run}: flood, agent on the node`);
      direct.push(await floodThroughAgentOnNode(cluster, receiver, netns, dir, `${run}`));
    }

    const ms = (xs: number[]) => xs.map((x) => `${(x / 1000).toFixed(2)} s`).join(' / ');
    console.log(
      `\nKubernetes ${kubectlOk(cluster, ['version', '-o', 'json']).match(/"gitVersion": "([^"]+)"/)?.[1] ?? ''}, one node, ${os.cpus().length} cores, load ${load} at the start; ${RUNS} runs each (run 1 / 2 / 3).`,
    );
    console.log(
      `UDP flood: ${FLOOD.toLocaleString('en')} datagrams of ${SIZE} bytes from pod "sender" to pod "receiver" (udp flood), captured on the receiver's eth0 with "udp dst port ${PORT}".\n`,
    );
    console.log('| metric | runs | goal |');
    console.log('|---|---|---|');
    console.log(`| start → first packet, new helper (Job created; image present) | ${ms(cold)} | ≤ 3 s |`);
    console.log(`| start → first packet, helper reused | ${ms(warm)} | ≤ 3 s |`);
    console.log(
      `| kept of sent, kubectl-pcap | ${viaHelper.map((r) => `${pct(r.kept, r.sent)} (${r.kept.toLocaleString('en')}/${r.sent.toLocaleString('en')})`).join(' / ')} | |`,
    );
    console.log(
      `| kept of sent, agent directly on the node | ${direct.map((r) => `${pct(r.kept, r.sent)} (${r.kept.toLocaleString('en')}/${r.sent.toLocaleString('en')})`).join(' / ')} | |`,
    );
    console.log(
      `| agent CPU per packet kept, in the helper / directly | ${viaHelper.map((r, i) => `${us(r.agentCpu, r.kept)} / ${us(direct[i]!.agentCpu, direct[i]!.kept)}`).join(' ; ')} | |`,
    );
    console.log(
      `| carrying the stream (kubectl client + kubelet + API server) per packet | ${viaHelper.map((r) => us(r.carrierCpu, r.kept)).join(' / ')} | |`,
    );
  } finally {
    kubectl(cluster, ['delete', 'namespace', NAMESPACE, '--wait=true', '--timeout=90s']);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
