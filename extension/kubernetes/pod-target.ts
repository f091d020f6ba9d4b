// One pod as a capture target: the static agent runs in the capture helper on the pod's node
// (node-helper.ts) and captures in the pod's network namespace; where Pod Security refuses that
// helper and the user agrees, it runs in an ephemeral container of the pod instead
// (ephemeral-helper.ts, AF_PACKET). pcapng comes back over the `kubectl exec` stdout, JSON events
// over its stderr, and closing its stdin stops the capture.
import * as path from 'node:path';
import { parseInterfaceList } from '../../agent/host.js';
import { interfacesArgv } from '../../agent/options.js';
import type { InterfaceInfo, TargetInfo } from '../../packet/protocol.js';
import { toInterfaceInfo } from '../targets/local.js';
import {
  type AgentProcess,
  type CaptureRequest,
  type CaptureTarget,
  captureArgs,
  childAgentProcess,
} from '../targets/target.js';
import { EphemeralHelper } from './ephemeral-helper.js';
import { type HelperContainer, HelperError, type HelperSettings, type Progress } from './helper-container.js';
import type { Kubectl } from './kubectl.js';
import { NodeHelper } from './node-helper.js';
import { type ContainerInfo, notCapturable, type PodInfo } from './pods.js';

export interface PodCaptureSettings extends HelperSettings {
  /** Where the helper runs: the pod's own namespace when absent. */
  helperNamespace?: string;
  /** The folder holding dist/agent/linux-{x64,arm64}/pcap-agent (the extension's, or the checkout's). */
  root: string;
  /** The container whose network namespace is captured (all of a pod's containers share one). */
  container?: string;
  /** Pod Security refused the node helper (`why`): may an ephemeral container, which can never be
   *  removed from the pod's spec, be added to capture from inside the pod? */
  allowEphemeral?: (why: string) => Promise<boolean>;
}

interface Prepared {
  helper: HelperContainer;
  agent: string;
  /** The pod's network namespace as the node helper sees it; none inside the pod. */
  netns?: string;
}

export class PodTarget implements CaptureTarget {
  readonly info: TargetInfo;
  private prepared?: Promise<Prepared>;

  constructor(
    readonly kubectl: Kubectl,
    readonly pod: PodInfo,
    private readonly settings: PodCaptureSettings,
    private readonly progress: Progress = () => {},
  ) {
    this.info = {
      id: `kubernetes:${kubectl.options.context ?? ''}:${pod.namespace}/${pod.name}`,
      kind: 'kubernetes',
      label: `${pod.namespace}/${pod.name}`,
      description: `pod on ${pod.node}`,
    };
  }

  /** What the user should know: a pod on the node's network shows the node's traffic. */
  get note(): string | undefined {
    return this.pod.hostNetwork
      ? `${this.pod.namespace}/${this.pod.name} uses its node's network (hostNetwork): this captures the node's interfaces, every pod on ${this.pod.node} with host networking included`
      : undefined;
  }

  private prepare(): Promise<Prepared> {
    this.prepared ??= this.doPrepare();
    this.prepared.catch(() => {
      this.prepared = undefined; // the next attempt starts over
    });
    return this.prepared;
  }

  private async doPrepare(): Promise<Prepared> {
    const why = notCapturable(this.pod);
    if (why) throw new Error(why);
    const container = this.settings.container
      ? this.pod.containers.find((c) => c.name === this.settings.container)
      : this.pod.containers.find((c) => c.id);
    if (!container)
      throw new Error(
        `pod ${this.pod.namespace}/${this.pod.name} has no container "${this.settings.container}" (it has ${this.pod.containers.map((c) => c.name).join(', ')})`,
      );
    if (!container.id) throw new Error(`container ${container.name} of ${this.pod.name} has not started`);
    let helper: HelperContainer;
    try {
      helper = await NodeHelper.ensure(
        this.kubectl,
        this.pod.node,
        this.settings.helperNamespace ?? this.pod.namespace,
        this.settings,
        this.progress,
      );
    } catch (e) {
      if (!(e instanceof HelperError && e.podSecurity && (await this.settings.allowEphemeral?.(e.message)))) throw e;
      helper = await EphemeralHelper.ensure(this.kubectl, this.pod, container.name, this.settings, this.progress);
    }
    try {
      const agent = await helper.install(
        (arch) => path.join(this.settings.root, 'dist', 'agent', `linux-${arch}`, 'pcap-agent'),
        this.progress,
      );
      return { helper, agent, netns: await this.netnsFor(helper, container) };
    } catch (e) {
      await helper.removeIfIdle(); // a helper we cannot use is not left behind
      throw e;
    }
  }

  private netnsFor(helper: HelperContainer, container: ContainerInfo): Promise<string> | undefined {
    return helper instanceof NodeHelper ? helper.netnsOf(container.id!) : undefined;
  }

  async listInterfaces(): Promise<InterfaceInfo[]> {
    const { helper, agent, netns } = await this.prepare();
    const text = await helper.run([agent, ...interfacesArgv({ netns, json: true })]);
    return parseInterfaceList(text).map(toInterfaceInfo);
  }

  /** The pod's interfaces that carry its traffic: up, not loopback (eth0 under most CNIs). */
  async defaultInterfaces(): Promise<string[]> {
    const all = await this.listInterfaces();
    return all.filter((i) => i.up && !i.loopback).map((i) => i.name);
  }

  async startCapture(request: CaptureRequest): Promise<AgentProcess> {
    const { helper, agent, netns } = await this.prepare();
    return childAgentProcess(helper.spawn([agent, ...captureArgs(request, netns)]), this.note);
  }

  /** Removes the helper now unless another capture runs in it (a one-shot command line's exit);
   *  otherwise, and in the extension, it ends by itself once idle. */
  async removeHelperIfIdle(): Promise<void> {
    const p = await this.prepared?.catch(() => undefined);
    await p?.helper.removeIfIdle();
  }
}
