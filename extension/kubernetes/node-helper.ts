// The capture helper on a node: a short-lived Job whose one pod shares the node's PID namespace and
// holds the capabilities the agent needs, with a small image that is a setting (nothing of ours
// in it). The static agent is streamed into it over `kubectl exec -i` (no registry, no tar), the
// target container's process is found from its container id (its cgroup under /proc), and the
// agent captures in that process's network namespace. The pod ends by itself once no capture has
// run in it for a minute, and the Job's TTL then deletes it: a helper outlives neither its use nor
// a VS Code that died. One helper per node and namespace serves every capture there.
import { createHash } from 'node:crypto';
import {
  HelperContainer,
  HelperError,
  type HelperSettings,
  helperContainerBase,
  type Progress,
} from './helper-container.js';
import { type Kubectl, KubectlError } from './kubectl.js';

export const MANAGED_BY = 'app.kubernetes.io/managed-by=ebpf-packet-capture';
const COMPONENT = 'app.kubernetes.io/component=capture-helper';
const NODE_LABEL = 'packet-capture.ebpf/node';
const CONTAINER = 'agent';

/** A label value for a node name (which may be longer than a label value may be). */
export function nodeKey(node: string): string {
  return createHash('sha256').update(node).digest('hex').slice(0, 16);
}

/** The helper Job for one node (manifest as JSON, which kubectl reads like YAML). */
export function helperJob(node: string, namespace: string, settings: HelperSettings): object {
  const labels = {
    'app.kubernetes.io/managed-by': 'ebpf-packet-capture',
    'app.kubernetes.io/component': 'capture-helper',
    [NODE_LABEL]: nodeKey(node),
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { generateName: 'pcap-helper-', namespace, labels, annotations: { [NODE_LABEL]: node } },
    spec: {
      backoffLimit: 0,
      ttlSecondsAfterFinished: 30,
      // The last backstop only: the pod ends by itself once idle.
      activeDeadlineSeconds: 12 * 3600,
      template: { metadata: { labels }, spec: helperPodSpec(node, settings) },
    },
  };
}

function helperPodSpec(node: string, settings: HelperSettings): object {
  return {
    nodeName: node,
    hostPID: true,
    restartPolicy: 'Never',
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    terminationGracePeriodSeconds: 2,
    tolerations: [{ operator: 'Exists' }], // whatever the node's taints
    containers: [
      {
        name: CONTAINER,
        ...helperContainerBase(settings),
        securityContext: {
          // Load and attach BPF programs (BPF, PERFMON, NET_ADMIN), enter another process's
          // network namespace (SYS_ADMIN, SYS_PTRACE).
          capabilities: { add: ['BPF', 'PERFMON', 'NET_ADMIN', 'SYS_ADMIN', 'SYS_PTRACE'] },
          seccompProfile: { type: 'Unconfined' },
        },
        resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { memory: '256Mi' } },
      },
    ],
  };
}

interface PodJson {
  metadata: { name: string; namespace: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: {
    phase?: string;
    containerStatuses?: { state?: { waiting?: { reason?: string; message?: string } } }[];
  };
}

interface EventJson {
  reason?: string;
  message?: string;
  type?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Image problems a pod waits on forever: say which setting names the image. */
const IMAGE_REASONS = new Set(['ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull', 'InvalidImageName']);

export class NodeHelper extends HelperContainer {
  private constructor(kubectl: Kubectl, namespace: string, pod: string, node: string) {
    super(kubectl, namespace, pod, CONTAINER, node);
  }

  /** A running helper on `node` (one already there, or a new one). */
  static async ensure(
    kubectl: Kubectl,
    node: string,
    namespace: string,
    settings: HelperSettings,
    progress: Progress = () => {},
  ): Promise<NodeHelper> {
    const running = await NodeHelper.find(kubectl, node, namespace);
    if (running) return new NodeHelper(kubectl, namespace, running, node);
    progress(`starting the capture helper on node ${node}`);
    await refusedByAdmission(kubectl, node, namespace, settings);
    const job = await kubectl.json<{ metadata: { name: string } }>(['create', '-f', '-', '-n', namespace], {
      input: JSON.stringify(helperJob(node, namespace, settings)),
    });
    const pod = await waitForPod(kubectl, namespace, job.metadata.name, settings).catch(async (e: unknown) => {
      // A helper that could not start (its image, its scheduling) would otherwise wait until its
      // deadline, hours away: it goes now, with its pod.
      await kubectl
        .run(['delete', 'job', job.metadata.name, '-n', namespace, '--wait=false', '--ignore-not-found'])
        .catch(() => {});
      throw e;
    });
    return new NodeHelper(kubectl, namespace, pod, node);
  }

  /** A running helper pod of ours on `node`, if there is one. */
  static async find(kubectl: Kubectl, node: string, namespace: string): Promise<string | undefined> {
    const selector = `${MANAGED_BY},${COMPONENT},${NODE_LABEL}=${nodeKey(node)}`;
    const list = await kubectl.json<{ items: PodJson[] }>(['get', 'pods', '-n', namespace, '-l', selector]);
    return list.items.find(
      (p) => p.status.phase === 'Running' && !p.metadata.deletionTimestamp && p.spec.nodeName === node,
    )?.metadata.name;
  }

  /** The network namespace of a container's processes on this node, as a /proc path the agent takes. */
  async netnsOf(containerId: string): Promise<string> {
    if (!/^[0-9a-f]{12,128}$/.test(containerId)) throw new Error(`"${containerId}" is not a container id`);
    const script =
      'for p in /proc/[0-9]*; do grep -q -- "$1" "$p/cgroup" 2>/dev/null && { echo "$p"; exit 0; }; done; exit 3';
    let proc: string;
    try {
      proc = (await this.run(['sh', '-c', script, 'find', containerId])).trim();
    } catch (e) {
      if (e instanceof KubectlError && e.code === 3)
        throw new HelperError(`no process of container ${containerId.slice(0, 12)} on node ${this.node}`);
      throw e;
    }
    if (!/^\/proc\/[0-9]+$/.test(proc))
      throw new HelperError(`the helper named no process for ${containerId.slice(0, 12)}`);
    return `${proc}/ns/net`;
  }

  /** Deletes the helper's Job (and so its pod) now, without waiting. */
  protected async remove(): Promise<void> {
    const job = await this.kubectl
      .json<{ metadata: { ownerReferences?: { kind: string; name: string }[] } }>([
        'get',
        'pod',
        this.pod,
        '-n',
        this.namespace,
      ])
      .catch(() => undefined);
    const owner = job?.metadata.ownerReferences?.find((o) => o.kind === 'Job')?.name;
    const what = owner ? ['job', owner] : ['pod', this.pod];
    await this.kubectl
      .run(['delete', ...what, '-n', this.namespace, '--wait=false', '--ignore-not-found'])
      .catch(() => {});
  }
}

/** A server-side dry run of the helper's pod: Pod Security admission and policy engines judge pods,
 * not Jobs, so a refusal shows here at once, in the admission's own words. */
async function refusedByAdmission(kubectl: Kubectl, node: string, namespace: string, settings: HelperSettings) {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName: 'pcap-helper-', namespace },
    spec: helperPodSpec(node, settings),
  };
  try {
    await kubectl.run(['create', '-f', '-', '-n', namespace, '--dry-run=server', '-o', 'name'], {
      input: JSON.stringify(pod),
    });
  } catch (e) {
    if (!(e instanceof KubectlError)) throw e;
    const podSecurity = /violates PodSecurity/.test(e.detail);
    const who = podSecurity
      ? `Pod Security admission of namespace "${namespace}"`
      : e.forbidden
        ? 'the cluster (RBAC or an admission policy)'
        : 'the API server';
    throw new HelperError(
      `${who} refused the capture helper pod (host PID namespace and BPF capabilities on node ${node}): ${e.detail}`,
      podSecurity,
    );
  }
}

/** Waits for the Job's pod to run; says why when it cannot (image, scheduling, creation refused). */
async function waitForPod(kubectl: Kubectl, namespace: string, job: string, settings: HelperSettings): Promise<string> {
  const deadline = Date.now() + 120_000;
  for (let round = 0; Date.now() < deadline; round++) {
    const list = await kubectl.json<{ items: PodJson[] }>(['get', 'pods', '-n', namespace, '-l', `job-name=${job}`]);
    const pod = list.items[0];
    if (pod?.status.phase === 'Running') return pod.metadata.name;
    if (pod?.status.phase === 'Failed' || pod?.status.phase === 'Succeeded')
      throw new HelperError(`the capture helper ${pod.metadata.name} ended before it was used`);
    const waiting = pod?.status.containerStatuses?.[0]?.state?.waiting;
    if (waiting?.reason && IMAGE_REASONS.has(waiting.reason))
      throw new HelperError(
        `the capture helper's image "${settings.image}" cannot be pulled on its node (${waiting.reason}: ${waiting.message ?? ''}); set packetCapture.kubernetes.helperImage to an image the node has or can pull`,
      );
    if (round % 10 === 9) await explainWait(kubectl, namespace, pod ? ['pod', pod.metadata.name] : ['job', job]);
    await sleep(200);
  }
  throw new HelperError(`the capture helper of job ${job} did not start within 2 minutes`);
}

/** Every two seconds of waiting: a Warning event on the pod or Job that says why is thrown. */
async function explainWait(kubectl: Kubectl, namespace: string, [kind, name]: string[]): Promise<void> {
  const events = await kubectl.json<{ items: EventJson[] }>([
    'get',
    'events',
    '-n',
    namespace,
    '--field-selector',
    `involvedObject.name=${name}`,
  ]);
  const warning = events.items.filter((e) => e.type === 'Warning').at(-1);
  if (warning?.reason === 'FailedScheduling' || warning?.reason === 'FailedCreate')
    throw new HelperError(`the capture helper ${kind} ${name} cannot start: ${warning.reason}: ${warning.message}`);
}
