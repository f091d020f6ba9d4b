// Every pod of a workload (a Deployment, StatefulSet, DaemonSet, ReplicaSet or Job) as one capture
// target of the panel: each pod captured in its own network namespace (pod-target.ts), the packets
// merged in time order into one pcapng stream with one interface block per pod and interface
// (pod-set.ts), which the panel reads as any agent's. Pods that start while it runs join; pods
// deleted leave.
import { PassThrough, Writable } from 'node:stream';
import type { InterfaceInfo, TargetInfo } from '../../packet/protocol.js';
import type { AgentProcess, CaptureRequest, CaptureTarget } from '../targets/target.js';
import type { Kubectl } from './kubectl.js';
import { PodSetCapture } from './pod-set.js';
import type { PodTarget } from './pod-target.js';
import type { PodInfo } from './pods.js';

export interface Workload {
  namespace: string;
  /** As kubectl names the resource: deployment, statefulset, daemonset, replicaset, job. */
  resource: string;
  name: string;
}

export class WorkloadTarget implements CaptureTarget {
  readonly info: TargetInfo;

  constructor(
    private readonly kubectl: Kubectl,
    readonly workload: Workload,
    private readonly podTarget: (pod: PodInfo) => PodTarget,
    private readonly progress: (line: string) => void,
  ) {
    const { namespace, resource, name } = workload;
    this.info = {
      id: `kubernetes:${kubectl.options.context ?? ''}:${namespace}/${resource}/${name}`,
      kind: 'kubernetes',
      label: `${namespace}/${resource}/${name}`,
      description: 'every pod, merged',
    };
  }

  /** Each pod is captured on its own interfaces (up, not loopback): there is nothing to choose. */
  async listInterfaces(): Promise<InterfaceInfo[]> {
    return [];
  }

  async startCapture(request: CaptureRequest): Promise<AgentProcess> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const { namespace, resource, name } = this.workload;
    const pods = new PodSetCapture({
      kubectl: this.kubectl,
      namespace,
      choice: { kind: 'workload', resource, name },
      request: { ...request, interfaces: request.interfaces.length > 0 ? request.interfaces : undefined },
      targetFor: this.podTarget,
      write: (bytes) => stdout.write(bytes),
      say: (line) => {
        this.progress(line);
        stderr.write(`${line}\n`); // plain text: the panel shows the last line if the capture fails
      },
      userAppl: 'eBPF Packet Capture for VS Code',
    });
    try {
      await pods.start();
    } catch (e) {
      pods.stop();
      await pods.finished();
      throw e;
    }
    const exited = pods.finished().then((code) => {
      stdout.end();
      stderr.end();
      return code;
    });
    return {
      stdin: new Writable({
        write: (_chunk, _encoding, done) => done(), // no control channel: one filter for every pod
        final: (done) => {
          pods.stop();
          done();
        },
      }),
      stdout,
      stderr,
      kill: () => pods.stop(),
      exited,
      note: `every pod of ${resource} ${name}, merged in time order (Pod column); pods that start join, pods deleted leave`,
      reportsEvents: false,
    };
  }
}
