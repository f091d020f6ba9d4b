// Several pods captured as one: each pod's agent (pod-target.ts) streams into one PcapngMerger, so
// packets come out in time order with one interface block per pod and interface
// ("namespace/pod:iface"). A workload's or selector's pods that start meanwhile join; those deleted
// leave (their agent sees its interfaces go and ends). Used by kubectl-pcap and by the extension's
// workload target alike.
import { parseAgentEvent } from '../../agent/events.js';
import { PcapngMerger } from '../../packet/pcapng-merge.js';
import type { AgentProcess, CaptureRequest } from '../targets/target.js';
import type { Kubectl } from './kubectl.js';
import type { PodTarget } from './pod-target.js';
import { findPods, notCapturable, type PodTarget as PodChoice, type PodInfo } from './pods.js';

/** How often a workload's or selector's pods are looked at again, so that new ones join. */
const JOIN_POLL_MS = 2000;
/** How often packets held for ordering are let go when a source is quiet. */
const TICK_MS = 100;

export interface PodSetOptions {
  kubectl: Kubectl;
  /** The pods' namespace; the context's own when absent. */
  namespace?: string;
  choice: PodChoice;
  /** The capture of each pod; `interfaces` absent: each pod's own (up, not loopback). */
  request: Omit<CaptureRequest, 'interfaces'> & { interfaces?: string[] };
  /** The capture target of one pod (its helper settings). */
  targetFor(pod: PodInfo): PodTarget;
  /** The merged pcapng, as it comes. */
  write(bytes: Uint8Array): void;
  /** Progress and each pod's messages, one line each. */
  say(line: string): void;
  /** The name of the program in the section header. */
  userAppl: string;
}

interface RunningPod {
  target: PodTarget;
  agent: AgentProcess;
}

export class PodSetCapture {
  /** Writes nowhere until start() finds pods and replaces it: no output (no file) for a target that has none. */
  private merger = new PcapngMerger(() => {}, { userAppl: '' });
  private readonly running: RunningPod[] = [];
  /** Pod uids started (or being started), so that a pod joins once. */
  private readonly started = new Set<string>();
  private stopping = false;
  private ticker?: NodeJS.Timeout;
  private joining?: NodeJS.Timeout;

  constructor(private readonly o: PodSetOptions) {}

  /** Starts every pod the choice names now (an error when there is none), then watches for more. */
  async start(): Promise<void> {
    const { kubectl, namespace, choice } = this.o;
    const pods = await findPods(kubectl, namespace, choice);
    if (pods.length === 0)
      throw new Error(
        `no pod matches ${choice.kind === 'selector' ? choice.selector : `${choice.kind} ${choice.name}`}`,
      );
    // A count is each agent's budget too, and the merged total's.
    this.merger = new PcapngMerger(this.o.write, { userAppl: this.o.userAppl }, { maxPackets: this.o.request.count });
    this.ticker = setInterval(() => this.merger.tick(), TICK_MS);
    for (const pod of pods) await this.startPod(pod);
    if (choice.kind !== 'pod') this.joining = this.watchForNewPods();
  }

  /** Closes every agent's stdin (their stop signal); no pod joins any more. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.joining);
    for (const r of this.running) r.agent.stdin.end();
  }

  /** Resolves once every capture started has ended and no more can join (a single pod: once it
   *  ends; a workload: once stopped), everything written; 0 when every agent ended well. */
  async finished(): Promise<number> {
    for (;;) {
      const known = this.running.length;
      const codes = await Promise.all(this.running.map((r) => r.agent.exited));
      if (this.running.length !== known) continue;
      if (this.o.choice.kind === 'pod' || this.stopping) {
        clearInterval(this.ticker);
        clearInterval(this.joining);
        this.merger.tick();
        return codes.every((c) => c === 0) ? 0 : 1;
      }
      await new Promise((resolve) => setTimeout(resolve, JOIN_POLL_MS));
    }
  }

  /** Packets written per pod. */
  summary(): { label: string; packets: number }[] {
    return this.merger.summary();
  }

  /** Removes the helpers no other capture uses (the extension's end their own once idle). */
  async removeIdleHelpers(): Promise<void> {
    await Promise.all(this.running.map((r) => r.target.removeHelperIfIdle()));
  }

  private async startPod(pod: PodInfo): Promise<void> {
    this.started.add(pod.uid);
    const label = `${pod.namespace}/${pod.name}`;
    const target = this.o.targetFor(pod);
    if (target.note) this.o.say(target.note);
    const interfaces = this.o.request.interfaces ?? (await target.defaultInterfaces());
    if (interfaces.length === 0) throw new Error(`${label} has no interface that is up, other than lo`);
    const agent = await target.startCapture({ ...this.o.request, interfaces });
    this.running.push({ target, agent });
    const source = this.merger.addSource({ namespace: pod.namespace, pod: pod.name });
    agent.stdout.on('data', (chunk: Buffer) => {
      this.merger.push(source, chunk);
      if (this.merger.full) this.stop();
    });
    agent.stdout.on('end', () => this.merger.end(source));
    agent.stdin.on('error', () => {});
    this.relayMessages(agent, label, interfaces);
    if (this.stopping) agent.stdin.end(); // stopped while it was starting
  }

  /** The agent's events, as lines for a person. */
  private relayMessages(agent: AgentProcess, label: string, interfaces: string[]): void {
    let partial = '';
    agent.stderr.setEncoding('utf8');
    agent.stderr.on('data', (text: string) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        const e = parseAgentEvent(line);
        if (!e) {
          if (line.trim()) this.o.say(`${label}: ${line}`);
        } else if (e.event === 'started') this.o.say(`${label}: capturing on ${interfaces.join(', ')}`);
        else if (e.event === 'error' || e.event === 'warning') this.o.say(`${label}: ${e.message}`);
      }
    });
  }

  private watchForNewPods(): NodeJS.Timeout {
    let looking = false;
    return setInterval(async () => {
      if (looking || this.stopping) return;
      looking = true;
      try {
        for (const pod of await findPods(this.o.kubectl, this.o.namespace, this.o.choice))
          if (!this.started.has(pod.uid) && !notCapturable(pod) && !this.stopping) await this.startPod(pod);
      } catch (e) {
        this.o.say(`looking for new pods: ${(e as Error).message}`);
      } finally {
        looking = false;
      }
    }, JOIN_POLL_MS);
  }
}
