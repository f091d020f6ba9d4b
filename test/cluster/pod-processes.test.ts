// Process attribution of a pod's capture on the real test cluster, through the extension's own pod
// target (the node helper: hostPID, the agent streamed in) with `processes: true`: every packet a
// process of the pod sends names that process's container and pod as the cluster knows them (the
// container id as the pod's status gives it, the container's name, the pod's name, namespace and
// uid as its metadata gives them), in ptcpdump's keys and order. Read both by our reader and parser
// (container.*, k8s.* as the display filter sees them) and by tshark, which agree.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { finished } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { type AgentEvent, parseAgentEvent } from '../../agent/events.js';
import { Kubectl } from '../../extension/kubernetes/kubectl.js';
import { PodTarget } from '../../extension/kubernetes/pod-target.js';
import { findPods } from '../../extension/kubernetes/pods.js';
import type { AgentProcess } from '../../extension/targets/target.js';
import { readCaptureFile } from '../../packet/capture-file.js';
import { decodePacket } from '../../packet/decode/index.js';
import { compileDisplayFilter } from '../../packet/display-filter.js';
import { parseProcessComments, processPod } from '../../packet/process-comment.js';
import {
  BUSYBOX_IMAGE,
  busyboxPod,
  type Cluster,
  createNamespace,
  inPrefix,
  kubectl,
  kubectlOk,
  startUdpSink,
  upCluster,
  waitFor,
} from './helpers/cluster.js';
import { packetsIn } from './helpers/kubectl-pcap-run.js';

const REPO = path.resolve(__dirname, '../..');
const NAMESPACE = `pod-processes-${process.pid}`;
const POD_NETWORK = '198.18.0.0/24';
const UDP_PORT = 9000;
const COUNT = 8;
/** Run by sh in the pod: COUNT `udp ask` at once to the sink at $1; each says "no reply" and fails. */
const SEND = `i=0; while [ $i -lt ${COUNT} ]; do udp ask "$1" ${UDP_PORT} "datagram $i" & i=$((i + 1)); done; wait; true`;
const SENDER = 'sender';
const CONTAINER = 'talker';
/** The keys of each packet's comment, in ptcpdump's order. */
const KEYS = ['PID', 'Cmd', 'Args', 'ContainerName', 'ContainerId', 'PodName', 'PodNamespace', 'PodUID'];

/** What the cluster says of the sending pod: the identity each of its packets must carry. */
interface Identity {
  podName: string;
  podNamespace: string;
  podUid: string;
  containerName: string;
  containerId: string;
}

function identityOf(cluster: Cluster, pod: string): Identity {
  const json = JSON.parse(kubectlOk(cluster, ['-n', NAMESPACE, 'get', 'pod', pod, '-o', 'json'])) as {
    metadata: { name: string; namespace: string; uid: string };
    status: { containerStatuses: { name: string; containerID: string }[] };
  };
  const container = json.status.containerStatuses[0];
  if (!container?.containerID.startsWith('containerd://'))
    throw new Error(`no containerd container in ${JSON.stringify(json.status.containerStatuses)}`);
  return {
    podName: json.metadata.name,
    podNamespace: json.metadata.namespace,
    podUid: json.metadata.uid,
    containerName: container.name,
    containerId: container.containerID.slice('containerd://'.length),
  };
}

/** The agent's `started` event, once it comes; its stderr when the agent ends first. */
function started(agent: AgentProcess): Promise<Extract<AgentEvent, { event: 'started' }>> {
  let text = '';
  agent.stderr.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    agent.stderr.on('data', (chunk: string) => {
      text += chunk;
      for (const line of text.split('\n')) {
        const e = parseAgentEvent(line);
        if (e?.event === 'started') resolve(e);
      }
    });
    void agent.exited.then((code) => reject(new Error(`the agent ended (${code}) before it started:\n${text}`)));
  });
}

/** Each packet's comment as tshark shows it (frame.comment, its newlines as "\n"). */
function tsharkComments(file: string): string[] {
  const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.comment'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .trim()
    .split('\n')
    .map((line) => line.replaceAll('\\n', '\n'));
}

/** The "Key: value" lines of a comment, in their order. */
function commentLines(comment: string): [string, string][] {
  return comment.split('\n').map((line) => {
    const colon = line.indexOf(': ');
    return [line.slice(0, colon), line.slice(colon + 2)];
  });
}

describe("a pod's packets name their process's container and pod", { timeout: 10 * 60_000 }, () => {
  let cluster: Cluster;
  let dir: string;

  before(async () => {
    cluster = upCluster();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pod-processes-'));
    await createNamespace(cluster, NAMESPACE);
  });

  after(() => {
    if (cluster)
      kubectl(cluster, ['delete', 'namespace', NAMESPACE, '--ignore-not-found', '--wait=true', '--timeout=90s']);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('through the pod target with processes: ContainerName, ContainerId, PodName, PodNamespace, PodUID on every packet', async () => {
    const sink = await startUdpSink(cluster, NAMESPACE, 'sink', UDP_PORT);
    assert.ok(inPrefix(sink, POD_NETWORK), `the sink's address ${sink} is in the pod network`);
    const sender = busyboxPod(NAMESPACE, SENDER, ['sleep', '3600'], { name: CONTAINER });
    assert.equal(kubectl(cluster, ['apply', '-f', '-'], JSON.stringify(sender)).status, 0);
    kubectlOk(cluster, ['-n', NAMESPACE, 'wait', '--for=condition=Ready', `pod/${SENDER}`, '--timeout=90s']);
    const identity = identityOf(cluster, SENDER);

    const { KUBECTL, ...env } = cluster.env;
    const k = new Kubectl({ path: KUBECTL, env: { ...process.env, ...env } });
    const [pod] = await findPods(k, NAMESPACE, { kind: 'pod', name: SENDER });
    const target = new PodTarget(k, pod!, { image: BUSYBOX_IMAGE, root: REPO });
    const file = path.join(dir, 'pod.pcapng');
    const agent = await target.startCapture({
      interfaces: await target.defaultInterfaces(),
      filter: `udp port ${UDP_PORT}`,
      snaplen: 262144,
      processes: true,
    });
    const out = fs.createWriteStream(file);
    agent.stdout.pipe(out);
    try {
      assert.equal((await started(agent)).processes, true, 'the agent says packets carry their process');
      // COUNT processes of the pod, one datagram each; each stays (5 s, waiting for a reply the sink
      // never sends) so that the agent finds it in /proc when it meets its packet.
      kubectlOk(cluster, ['-n', NAMESPACE, 'exec', SENDER, '-c', CONTAINER, '--', 'sh', '-c', SEND, 'send', sink]);
      await waitFor(`${COUNT} datagrams captured`, 30_000, () => (packetsIn(file) >= COUNT ? true : undefined));
    } finally {
      agent.stdin.end(); // the panel's Stop
    }
    assert.equal(await agent.exited, 0);
    await finished(out); // (it may have finished already)
    await target.removeHelperIfIdle();

    const packets = readCaptureFile(fs.readFileSync(file)).packets;
    assert.equal(packets.length, COUNT, 'the datagrams, nothing else');
    const shown = tsharkComments(file);
    assert.equal(shown.length, COUNT, 'tshark reads as many packets');
    const filter = compileDisplayFilter(
      `k8s.pod == "${identity.podName}" && k8s.namespace == "${identity.podNamespace}" && ` +
        `container.id == "${identity.containerId}" && container.name == "${identity.containerName}"`,
    );
    for (const [i, packet] of packets.entries()) {
      const [comment] = packet.comments ?? [];
      assert.equal(packet.comments?.length, 1, `packet ${i + 1}: one comment`);
      assert.equal(shown[i], comment, `packet ${i + 1}: tshark and our reader agree`);
      const lines = commentLines(comment!);
      assert.deepEqual(
        lines.map(([key]) => key),
        KEYS,
        `packet ${i + 1}: ptcpdump's keys in its order:\n${comment}`,
      );
      const value = new Map(lines);
      assert.equal(value.get('Cmd'), '/bin/udp', `packet ${i + 1}: the sending process`);
      assert.match(value.get('Args') ?? '', /^udp ask /, `packet ${i + 1}: its command line`);
      assert.deepEqual(
        {
          containerName: value.get('ContainerName'),
          containerId: value.get('ContainerId'),
          podName: value.get('PodName'),
          podNamespace: value.get('PodNamespace'),
          podUid: value.get('PodUID'),
        },
        identity,
        `packet ${i + 1}: the pod's identity`,
      );
      const processInfo = parseProcessComments(packet.comments);
      assert.ok(processInfo, `packet ${i + 1}: our parser reads a process`);
      assert.deepEqual(processPod(processInfo), { namespace: identity.podNamespace, pod: identity.podName });
      assert.equal(processInfo.containerId, identity.containerId);
      assert.equal(processInfo.containerName, identity.containerName);
      const decoded = decodePacket(packet.linkType, packet.data, packet.originalLength);
      assert.ok(
        filter.match(decoded, { number: i + 1, length: packet.originalLength, process: processInfo }),
        `packet ${i + 1}: the display filter's k8s.* and container.* fields`,
      );
    }
  });
});
