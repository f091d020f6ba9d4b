// A pod or workload the Kubernetes extension's Cluster Explorer hands to our "Capture Kubernetes
// Pod…" item: the node object its Command Targets API resolves (its documented schema), read here
// without importing vscode, so the shape is tested on its own.
import type { PodTarget as PodChoice } from './pods.js';

/** What a Cluster Explorer node of the Kubernetes extension says (its Command Targets API, resolved). */
export interface ExplorerResourceNode {
  nodeType: 'resource';
  namespace: string | null;
  name: string;
  resourceKind: { manifestKind: string };
  kubectlContext?: string;
}

/** The manifest kinds our explorer item appears on, as `kubectl get` spells them. */
const EXPLORER_KINDS: Record<string, string> = {
  Pod: 'pod',
  Deployment: 'deployment',
  StatefulSet: 'statefulset',
  DaemonSet: 'daemonset',
  ReplicaSet: 'replicaset',
  Job: 'job',
};

/** A pod or workload from an explorer node; undefined for anything else. */
export function explorerChoice(node: unknown): { namespace?: string; choice: PodChoice } | undefined {
  const n = node as Partial<ExplorerResourceNode> | undefined;
  if (n?.nodeType !== 'resource' || typeof n.name !== 'string') return undefined;
  const resource = EXPLORER_KINDS[n.resourceKind?.manifestKind ?? ''];
  if (!resource) return undefined;
  const namespace = n.namespace ?? undefined;
  return {
    namespace,
    choice: resource === 'pod' ? { kind: 'pod', name: n.name } : { kind: 'workload', resource, name: n.name },
  };
}
