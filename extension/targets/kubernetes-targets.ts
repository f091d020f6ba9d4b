// The Kubernetes side of the targets: "Capture Kubernetes Pod…" picks a context of the kubeconfig,
// a namespace and a pod (or a workload's pods), and the Kubernetes extension's explorer hands us a
// pod or workload it shows. Each chosen pod becomes a target of the panel (kubernetes/pod-target.ts).
import * as vscode from 'vscode';
import { type ExplorerResourceNode, explorerChoice } from '../kubernetes/explorer-node.js';
import { Kubectl } from '../kubernetes/kubectl.js';
import { PodTarget } from '../kubernetes/pod-target.js';
import { findPods, type PodInfo } from '../kubernetes/pods.js';
import { type Workload, WorkloadTarget } from '../kubernetes/workload-target.js';

export const DEFAULT_HELPER_IMAGE = 'busybox:1.36';

interface CommandTargetsApi {
  resolve(target: unknown): { targetType: string; node: unknown } | undefined;
}

/** The Kubernetes extension's Command Targets API (v1), when that extension is installed. */
async function commandTargets(): Promise<CommandTargetsApi | undefined> {
  const ext = vscode.extensions.getExtension('ms-kubernetes-tools.vscode-kubernetes-tools');
  if (!ext) return undefined;
  const api = (await ext.activate()) as
    | { getApi?(component: string, version: string): { available: boolean; api?: CommandTargetsApi } }
    | undefined;
  const v1 = api?.getApi?.('commandTargets', 'v1');
  return v1?.available ? v1.api : undefined;
}

/** Pod Security refused the node helper: the user decides whether an ephemeral container, which
 *  can never be removed from the pod's spec, may be added. */
async function askEphemeral(pod: PodInfo, why: string): Promise<boolean> {
  const add = 'Add Ephemeral Container';
  const answer = await vscode.window.showWarningMessage(
    `Capture ${pod.namespace}/${pod.name} from an ephemeral container inside the pod?`,
    {
      modal: true,
      detail: `${why}\n\nAn ephemeral container (no added capability; the capture uses AF_PACKET) is allowed there, but it can never be removed from the pod's spec: it stays, stopped, until the pod is replaced.`,
    },
    add,
  );
  return answer === add;
}

export class KubernetesTargets {
  private readonly targets = new Map<string, PodTarget | WorkloadTarget>();

  constructor(
    private readonly extensionPath: string,
    private readonly output: vscode.OutputChannel,
  ) {}

  private get settings(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration('packetCapture');
  }

  /** kubectl for a context; `kubeconfig` (a KUBECONFIG value) when not this window's (a port-forward's). */
  kubectl(context?: string, kubeconfig?: string): Kubectl {
    const env =
      kubeconfig && kubeconfig !== process.env.KUBECONFIG ? { ...process.env, KUBECONFIG: kubeconfig } : undefined;
    return new Kubectl({
      path: this.settings.get<string>('kubectlPath', 'kubectl') || 'kubectl',
      context,
      ...(env ? { env } : {}),
    });
  }

  /** The pods and workloads chosen in this window, each a target of the panel. */
  list(): (PodTarget | WorkloadTarget)[] {
    return [...this.targets.values()];
  }

  /** The same target each time it is chosen. */
  private remember<T extends PodTarget | WorkloadTarget>(target: T): T {
    const known = this.targets.get(target.info.id);
    if (known) return known as T;
    this.targets.set(target.info.id, target);
    return target;
  }

  /** A workload's pods as one target, merged (the same one each time it is chosen). */
  workloadTarget(context: string | undefined, workload: Workload): WorkloadTarget {
    const label = `${workload.namespace}/${workload.resource}/${workload.name}`;
    return this.remember(
      new WorkloadTarget(
        this.kubectl(context),
        workload,
        (pod) => this.targetFor(context, pod),
        (m) => this.output.appendLine(`${label}: ${m}`),
      ),
    );
  }

  /** The target for a pod (the same one each time it is chosen). */
  targetFor(context: string | undefined, pod: PodInfo, kubeconfig?: string): PodTarget {
    const kubectl = this.kubectl(context, kubeconfig);
    const target = new PodTarget(
      kubectl,
      pod,
      {
        image: this.settings.get<string>('kubernetes.helperImage', DEFAULT_HELPER_IMAGE) || DEFAULT_HELPER_IMAGE,
        helperNamespace: this.settings.get<string>('kubernetes.helperNamespace', '') || undefined,
        root: this.extensionPath,
        allowEphemeral: (why) => askEphemeral(pod, why),
      },
      (m) => this.output.appendLine(`${pod.namespace}/${pod.name}: ${m}`),
    );
    return this.remember(target);
  }

  /** What an explorer node stands for: its pods' targets, and for a workload its merged target too;
   *  undefined when it is neither a pod nor a workload. */
  async fromExplorer(arg: unknown): Promise<{ pods: PodTarget[]; workload?: WorkloadTarget } | undefined> {
    const resolved = (await commandTargets())?.resolve(arg);
    const node = resolved?.targetType === 'kubernetes-explorer-node' ? resolved.node : arg;
    const found = explorerChoice(node);
    if (!found) return undefined;
    const context = (node as ExplorerResourceNode).kubectlContext;
    const kubectl = this.kubectl(context);
    const pods = (await findPods(kubectl, found.namespace, found.choice)).map((p) => this.targetFor(context, p));
    const { choice } = found;
    if (choice.kind !== 'workload') return { pods };
    const namespace = found.namespace ?? pods[0]?.pod.namespace ?? (await currentNamespace(kubectl));
    return {
      pods,
      workload: this.workloadTarget(context, { namespace, resource: choice.resource, name: choice.name }),
    };
  }

  /** Context, namespace, pod or workload: three QuickPicks; undefined when the user cancels. */
  async pick(): Promise<PodTarget | WorkloadTarget | undefined> {
    const title = 'Packet Capture: Capture Kubernetes Pod';
    const base = this.kubectl();
    const contexts = (await base.run(['config', 'get-contexts', '-o', 'name'])).split('\n').filter(Boolean);
    if (contexts.length === 0)
      throw new Error('the kubeconfig has no context (KUBECONFIG or ~/.kube/config): add a cluster first');
    const current = (await base.run(['config', 'current-context']).catch(() => '')).trim();
    const context =
      contexts.length === 1
        ? contexts[0]
        : (
            await vscode.window.showQuickPick(
              contexts.map((c) => ({ label: c, description: c === current ? 'current' : undefined })),
              { title, placeHolder: 'The cluster (a context of your kubeconfig)' },
            )
          )?.label;
    if (!context) return undefined;
    const kubectl = this.kubectl(context);
    const namespaces = await kubectl.json<{ items: { metadata: { name: string } }[] }>(['get', 'namespaces']);
    const namespace = (
      await vscode.window.showQuickPick(
        namespaces.items.map((n) => ({ label: n.metadata.name })),
        { title, placeHolder: `The namespace (${context})` },
      )
    )?.label;
    if (!namespace) return undefined;
    const [pods, workloads] = await Promise.all([
      findPods(kubectl, namespace, { kind: 'selector', selector: '' }),
      listWorkloads(kubectl, namespace),
    ]);
    if (pods.length === 0) throw new Error(`namespace ${namespace} has no pod`);
    const picked = await vscode.window.showQuickPick<vscode.QuickPickItem & { choose(): PodTarget | WorkloadTarget }>(
      [
        ...pods.map((p) => ({
          label: p.name,
          description: p.phase,
          detail: `${p.containers.map((c) => c.name).join(', ')} · node ${p.node || '(none)'}`,
          choose: () => this.targetFor(context, p),
        })),
        ...workloads.map((w) => ({
          label: `$(layers) ${w.resource}/${w.name}`,
          description: 'every pod, merged',
          choose: () => this.workloadTarget(context, w),
        })),
      ],
      { title, placeHolder: `The pod, or a workload's pods (${namespace})`, matchOnDetail: true },
    );
    return picked?.choose();
  }
}

/** The context's own namespace (its kubeconfig entry), "default" when it names none. */
async function currentNamespace(kubectl: Kubectl): Promise<string> {
  const ns = await kubectl.run(['config', 'view', '--minify', '-o', 'jsonpath={..namespace}']).catch(() => '');
  return ns.trim() || 'default';
}

/** The namespace's Deployments, StatefulSets and DaemonSets: the workloads a user captures whole. */
async function listWorkloads(kubectl: Kubectl, namespace: string): Promise<Workload[]> {
  const list = await kubectl.json<{ items: { kind: string; metadata: { name: string } }[] }>([
    'get',
    'deployments,statefulsets,daemonsets',
    '-n',
    namespace,
  ]);
  return list.items.map((w) => ({ namespace, resource: w.kind.toLowerCase(), name: w.metadata.name }));
}
