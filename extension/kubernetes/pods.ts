// Which pods a capture is for: one pod by name, every pod of a workload (deploy/NAME, sts/NAME,
// ds/NAME…), or every pod a label selector picks; and what a capture needs to know of each pod.
import { type Kubectl, KubectlError } from './kubectl.js';

export type PodTarget =
  | { kind: 'pod'; name: string }
  | { kind: 'workload'; resource: string; name: string }
  | { kind: 'selector'; selector: string };

export interface ContainerInfo {
  name: string;
  /** The runtime's id without its scheme (containerd://, cri-o://): hex only; absent before it starts. */
  id?: string;
  ready: boolean;
}

export interface PodInfo {
  namespace: string;
  name: string;
  uid: string;
  node: string;
  phase: string;
  hostNetwork: boolean;
  /** Its IPv4 or IPv6 address; absent before it has one. */
  ip?: string;
  containers: ContainerInfo[];
}

/** Workload kinds as kubectl spells them (short and long), mapped to the resource to ask for. */
const WORKLOADS: Record<string, string> = {
  deploy: 'deployment',
  deployment: 'deployment',
  deployments: 'deployment',
  sts: 'statefulset',
  statefulset: 'statefulset',
  statefulsets: 'statefulset',
  ds: 'daemonset',
  daemonset: 'daemonset',
  daemonsets: 'daemonset',
  rs: 'replicaset',
  replicaset: 'replicaset',
  replicasets: 'replicaset',
  job: 'job',
  jobs: 'job',
};

/** A DNS-1123 name, as the API server requires of pods and workloads. */
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** POD, pod/POD, KIND/NAME; a selector comes from -l. Throws with what is wrong. */
export function parsePodTarget(text: string): PodTarget {
  const slash = text.indexOf('/');
  const [kind, name] = slash < 0 ? ['pod', text] : [text.slice(0, slash).toLowerCase(), text.slice(slash + 1)];
  if (!NAME.test(name)) throw new Error(`"${text}" is not a pod or workload name`);
  if (kind === 'pod' || kind === 'pods' || kind === 'po') return { kind: 'pod', name };
  const resource = WORKLOADS[kind];
  if (!resource) throw new Error(`"${kind}" is not a workload kind (deploy, sts, ds, rs, job) or pod`);
  return { kind: 'workload', resource, name };
}

interface PodJson {
  metadata: { namespace: string; name: string; uid: string };
  spec: { nodeName?: string; hostNetwork?: boolean; containers: { name: string }[] };
  status: {
    phase?: string;
    podIP?: string;
    containerStatuses?: { name: string; containerID?: string; ready?: boolean }[];
  };
}

/** The container id without its runtime scheme, if it is the hex id every runtime gives. */
function containerId(raw: string | undefined): string | undefined {
  const id = raw?.replace(/^[a-z-]+:\/\//, '');
  return id && /^[0-9a-f]{12,128}$/.test(id) ? id : undefined;
}

export function podInfo(p: PodJson): PodInfo {
  const statuses = p.status.containerStatuses ?? [];
  return {
    namespace: p.metadata.namespace,
    name: p.metadata.name,
    uid: p.metadata.uid,
    node: p.spec.nodeName ?? '',
    phase: p.status.phase ?? 'Unknown',
    hostNetwork: p.spec.hostNetwork === true,
    ip: p.status.podIP || undefined,
    containers: p.spec.containers.map((c) => {
      const s = statuses.find((x) => x.name === c.name);
      return { name: c.name, id: containerId(s?.containerID), ready: s?.ready === true };
    }),
  };
}

interface LabelSelectorJson {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** A workload's spec.selector as kubectl's -l syntax. */
export function selectorText(s: LabelSelectorJson): string {
  const parts = Object.entries(s.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of s.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

/** The pods of a target in `namespace` (the context's own when undefined), by name. An empty selector: every pod. */
export async function findPods(kubectl: Kubectl, namespace: string | undefined, target: PodTarget): Promise<PodInfo[]> {
  const ns = namespace ? ['-n', namespace] : [];
  if (target.kind === 'pod') {
    try {
      return [podInfo(await kubectl.json<PodJson>(['get', 'pod', target.name, ...ns]))];
    } catch (e) {
      if (e instanceof KubectlError && e.notFound)
        throw new Error(`pod "${target.name}" was not found${namespace ? ` in namespace "${namespace}"` : ''}`);
      throw e;
    }
  }
  let selector = target.kind === 'selector' ? target.selector : '';
  if (target.kind === 'workload') {
    const w = await kubectl.json<{ spec: { selector?: LabelSelectorJson } }>([
      'get',
      target.resource,
      target.name,
      ...ns,
    ]);
    selector = selectorText(w.spec.selector ?? {});
    if (!selector) throw new Error(`${target.resource} "${target.name}" has no pod selector`);
  }
  const list = await kubectl.json<{ items: PodJson[] }>(['get', 'pods', ...(selector ? ['-l', selector] : []), ...ns]);
  return list.items.map(podInfo).sort((a, b) => a.name.localeCompare(b.name));
}

/** Why a pod cannot be captured yet, or undefined when it can. */
export function notCapturable(pod: PodInfo): string | undefined {
  if (pod.phase !== 'Running') return `pod ${pod.namespace}/${pod.name} is ${pod.phase}, not Running`;
  if (!pod.node) return `pod ${pod.namespace}/${pod.name} is not scheduled on a node yet`;
  if (!pod.containers.some((c) => c.id)) return `pod ${pod.namespace}/${pod.name} has no started container`;
  return undefined;
}
