// The in-cluster agent on the real test cluster: its OCI image made by scripts/build-agent-image.sh
// and imported into the node's containerd (no registry), the DaemonSet of agent/kubernetes/daemonset
// with its token in a Secret, read through a port-forward by `kubectl pcap --node-agent`; a client
// without the token gets nothing; the seed-compatible tokenless variant read by tshark as a
// PCAP-over-TCP client (TCP@). Everything is removed afterwards, the agent's namespace included.
import * as assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NODE_AGENT } from '../../extension/kubernetes/node-agent.js';
import {
  apply,
  CLUSTER_SCRIPT,
  type Cluster,
  createNamespace,
  kubectl,
  kubectlOk,
  startUdpSink,
  upCluster,
  waitFor,
} from './helpers/cluster.js';
import { kubectlPcap, sendUdp } from './helpers/kubectl-pcap-run.js';

const REPO = path.resolve(__dirname, '../..');
const NAMESPACE = `node-agent-${process.pid}`;
const UDP_PORT = 9000;
const DATAGRAMS = 20;
const TOKEN = 'a-token-for-the-test-agent-0123456789';

/** The payloads "datagram I" in a capture file, each once, as tshark reads them (a datagram passes
 *  the bridge and the pod's veth: the agent captures every interface of the node). */
function datagramsIn(file: string, address: string): Set<string> {
  const r = spawnSync(
    'tshark',
    [
      '-r',
      file,
      '-Y',
      `ip.dst == ${address} && udp.dstport == ${UDP_PORT}`,
      '-T',
      'fields',
      '-e',
      'data.text',
      '-o',
      'data.show_as_text:TRUE',
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return new Set(r.stdout.split('\n').filter(Boolean));
}

function deployAgent(cluster: Cluster, variant: 'daemonset' | 'daemonset-tokenless'): void {
  kubectlOk(cluster, ['apply', '-k', path.join(REPO, 'agent/kubernetes', variant)]);
  kubectlOk(cluster, ['-n', NODE_AGENT.namespace, 'rollout', 'status', 'daemonset/pcap-agent', '--timeout=120s']);
}

/** `kubectl port-forward` to the agent, run by the test as a tshark user would; its local port. */
async function forwardToAgent(cluster: Cluster): Promise<{ child: ChildProcess; port: number }> {
  const { KUBECTL, ...env } = cluster.env;
  const child = spawn(
    KUBECTL!,
    [
      '-n',
      NODE_AGENT.namespace,
      'port-forward',
      'daemonset/pcap-agent',
      '--address',
      '127.0.0.1',
      `:${NODE_AGENT.port}`,
    ],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  const port = await waitFor('the port-forward', 30_000, () => {
    const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
    return m ? Number(m[1]) : undefined;
  });
  return { child, port };
}

/** What a client sending `line` first receives before the agent closes or 3 s of silence pass. */
function bytesAfterLogin(port: number, line: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let received = 0;
    const socket = net.connect(port, '127.0.0.1', () => socket.write(line));
    socket.on('data', (d: Buffer) => {
      received += d.length;
    });
    socket.setTimeout(3000, () => socket.destroy());
    socket.once('close', () => resolve(received));
    socket.once('error', reject);
  });
}

/** The log of the agent's pod (the one not being deleted: a rollout replaces it). */
function agentLog(cluster: Cluster): string {
  const pods = JSON.parse(
    kubectlOk(cluster, ['-n', NODE_AGENT.namespace, 'get', 'pods', '-l', NODE_AGENT.selector, '-o', 'json']),
  ) as { items: { metadata: { name: string; deletionTimestamp?: string } }[] };
  const current = pods.items.find((p) => !p.metadata.deletionTimestamp);
  return current ? kubectl(cluster, ['-n', NODE_AGENT.namespace, 'logs', current.metadata.name]).stdout.toString() : '';
}

/** Until the agent has a client and has attached to the node's interfaces: what is sent from then on is served. */
function waitForCapturing(cluster: Cluster): Promise<true> {
  return waitFor('the agent capturing for its client', 60_000, () =>
    /1 client connected[\s\S]*capturing on/.test(agentLog(cluster)) ? true : undefined,
  );
}

function portForwardsLeft(): string[] {
  const r = spawnSync('pgrep', ['-af', `port-forward -n ${NODE_AGENT.namespace} pod/`], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean);
}

describe('the in-cluster agent (DaemonSet, PCA mode) on a real cluster', { timeout: 20 * 60_000 }, () => {
  let cluster: Cluster;
  let dir: string;
  let address: string;

  before(async () => {
    cluster = upCluster();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-agent-'));
    const built = spawnSync('bash', [path.join(REPO, 'scripts/build-agent-image.sh')], { encoding: 'utf8' });
    assert.equal(built.status, 0, built.stderr);
    const archive = /^(dist\/image\/\S+\.oci\.tar)/m.exec(built.stdout)?.[1];
    assert.ok(archive, built.stdout);
    const imported = spawnSync('bash', [CLUSTER_SCRIPT, 'import', path.join(REPO, archive)], { encoding: 'utf8' });
    assert.equal(imported.status, 0, imported.stderr);
    await createNamespace(cluster, NAMESPACE);
    address = await startUdpSink(cluster, NAMESPACE, 'sink', UDP_PORT);
  });

  after(() => {
    if (cluster)
      for (const ns of [NAMESPACE, NODE_AGENT.namespace])
        kubectl(cluster, ['delete', 'namespace', ns, '--ignore-not-found', '--wait=true', '--timeout=90s']);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("kubectl pcap --node-agent reads the pod's node with the token of the Secret; without the token, nothing", async () => {
    kubectlOk(cluster, ['create', 'namespace', NODE_AGENT.namespace]);
    // The token goes in on stdin, never on a command line.
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: NODE_AGENT.tokenSecret, namespace: NODE_AGENT.namespace },
      stringData: { token: TOKEN },
    };
    assert.equal(apply(cluster, secret).status, 0);
    deployAgent(cluster, 'daemonset');
    const file = path.join(dir, 'node.pcap');
    const run = kubectlPcap(cluster, ['-n', NAMESPACE, 'sink', '--node-agent', '-w', file], { helper: false });
    try {
      await run.said(/reading node/);
      await waitForCapturing(cluster);
      assert.match(run.stderr(), new RegExp(`sink ${address.replaceAll('.', '\\.')}`), 'the pod address is said');
      await sendUdp(address, UDP_PORT, DATAGRAMS);
      await waitFor('every datagram in the file', 30_000, () =>
        datagramsIn(file, address).size === DATAGRAMS ? true : undefined,
      );
    } finally {
      run.child.kill('SIGINT');
    }
    assert.equal(await run.exited, 0, run.stderr());
    assert.deepEqual(portForwardsLeft(), [], 'kubectl-pcap ends its port-forward');

    const forward = await forwardToAgent(cluster);
    try {
      assert.equal(await bytesAfterLogin(forward.port, 'not-the-token\n'), 0, 'a wrong token gets nothing');
      assert.ok((await bytesAfterLogin(forward.port, `${TOKEN}\n`)) >= 24, 'the token gets the pcap header');
    } finally {
      forward.child.kill();
    }
  });

  it('the tokenless seed-compatible variant is read by tshark through a port-forward (TCP@)', async () => {
    deployAgent(cluster, 'daemonset-tokenless');
    const forward = await forwardToAgent(cluster);
    const file = path.join(dir, 'tshark.pcapng');
    const tshark = spawn('tshark', ['-i', `TCP@127.0.0.1:${forward.port}`, '-w', file], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let said = '';
    tshark.stderr!.setEncoding('utf8').on('data', (d: string) => {
      said += d;
    });
    try {
      await waitFor('tshark capturing', 30_000, () => (/Capturing on/.test(said) ? true : undefined));
      await waitForCapturing(cluster);
      await sendUdp(address, UDP_PORT, DATAGRAMS);
      await waitFor("every datagram in tshark's file", 30_000, () =>
        datagramsIn(file, address).size === DATAGRAMS ? true : undefined,
      );
    } finally {
      tshark.kill('SIGINT');
      forward.child.kill();
    }
    assert.match(agentLog(cluster), /without a token/);
  });
});
