// Capture from inside the pod where the node helper is refused (Pod Security "baseline"): an
// ephemeral container, as `kubectl debug --target` adds, of the helper image with no capability
// added (baseline allows none beyond the default set), in which the agent captures through
// AF_PACKET (its fallback where eBPF cannot load) with the NET_RAW that container runtimes grant
// by default. An ephemeral container can never be removed from its pod's spec: the caller asks
// first; it ends by itself once idle and stays in the spec, stopped, until the pod is replaced.
import { randomBytes } from 'node:crypto';
import {
  HelperContainer,
  HelperError,
  type HelperSettings,
  helperContainerBase,
  type Progress,
} from './helper-container.js';
import { type Kubectl, KubectlError } from './kubectl.js';
import type { PodInfo } from './pods.js';

const PREFIX = 'pcap-capture-';

interface EphemeralStatusJson {
  status: {
    ephemeralContainerStatuses?: {
      name: string;
      state?: { running?: object; waiting?: { reason?: string; message?: string }; terminated?: object };
    }[];
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class EphemeralHelper extends HelperContainer {
  private constructor(kubectl: Kubectl, pod: PodInfo, container: string) {
    super(kubectl, pod.namespace, pod.name, container, pod.node);
  }

  /** A running ephemeral capture container of ours in `pod` (one already there, or a new one
   *  sharing `target`'s process namespace). */
  static async ensure(
    kubectl: Kubectl,
    pod: PodInfo,
    target: string,
    settings: HelperSettings,
    progress: Progress = () => {},
  ): Promise<EphemeralHelper> {
    const running = (await statuses(kubectl, pod)).find((s) => s.name.startsWith(PREFIX) && s.state?.running);
    if (running) return new EphemeralHelper(kubectl, pod, running.name);
    const name = `${PREFIX}${randomBytes(3).toString('hex')}`;
    progress(`adding the ephemeral container ${name} to ${pod.namespace}/${pod.name} (it stays in the pod's spec)`);
    const patch = {
      spec: {
        ephemeralContainers: [
          {
            name,
            ...helperContainerBase(settings),
            targetContainerName: target,
          },
        ],
      },
    };
    try {
      await kubectl.run([
        'patch',
        'pod',
        pod.name,
        '-n',
        pod.namespace,
        '--subresource',
        'ephemeralcontainers',
        '--type',
        'strategic',
        '-p',
        JSON.stringify(patch),
      ]);
    } catch (e) {
      throw refusal(e, pod);
    }
    await waitUntilRunning(kubectl, pod, name, settings);
    return new EphemeralHelper(kubectl, pod, name);
  }

  /** An ephemeral container cannot be removed: it ends by itself once idle. */
  protected async remove(): Promise<void> {}
}

async function statuses(kubectl: Kubectl, pod: PodInfo) {
  const json = await kubectl.json<EphemeralStatusJson>(['get', 'pod', pod.name, '-n', pod.namespace]);
  return json.status.ephemeralContainerStatuses ?? [];
}

function refusal(e: unknown, pod: PodInfo): unknown {
  if (!(e instanceof KubectlError)) return e;
  if (/violates PodSecurity/.test(e.detail))
    return new HelperError(
      `Pod Security admission of namespace "${pod.namespace}" refused a capture container inside the pod as well: no capture inside ${pod.name} is possible there. A node helper in another namespace may be (packetCapture.kubernetes.helperNamespace, kubectl-pcap --helper-namespace): ${e.detail}`,
      true,
    );
  if (e.forbidden)
    return new HelperError(
      `RBAC does not let you add ephemeral containers in namespace "${pod.namespace}" (patch on pods/ephemeralcontainers): ${e.detail}`,
    );
  return e;
}

async function waitUntilRunning(kubectl: Kubectl, pod: PodInfo, name: string, settings: HelperSettings) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const status = (await statuses(kubectl, pod)).find((s) => s.name === name);
    if (status?.state?.running) return;
    if (status?.state?.terminated) throw new HelperError(`the ephemeral container ${name} ended before it was used`);
    const waiting = status?.state?.waiting;
    if (waiting?.reason && /Image|ErrImage/.test(waiting.reason))
      throw new HelperError(
        `the capture image "${settings.image}" cannot be pulled on node ${pod.node} (${waiting.reason}: ${waiting.message ?? ''}); set packetCapture.kubernetes.helperImage to an image the node has or can pull`,
      );
    await sleep(200);
  }
  throw new HelperError(`the ephemeral container ${name} did not start within 2 minutes`);
}
