// kubectl-pcap: the extension's Kubernetes capture without VS Code, as a kubectl plugin.
//
//   kubectl pcap [-n NS] POD|deploy/NAME|-l SELECTOR [-c CONTAINER] [-i IFACE…] [-f FILTER]
//                [--count N] [--duration S] [-w FILE]
//
// pcapng goes to stdout (so `kubectl pcap web-0 | wireshark -k -i -` works) or to -w FILE; one
// interface block per pod and interface, named "namespace/pod:iface", packets of several pods
// merged in time order; a workload's pods that start meanwhile join, those that go away leave.
// Progress and errors go to stderr.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { HelperError } from './helper-container.js';
import { Kubectl, KubectlError } from './kubectl.js';
import { connectNodeAgent } from './node-agent.js';
import { MANAGED_BY } from './node-helper.js';
import { PodSetCapture } from './pod-set.js';
import { PodTarget } from './pod-target.js';
import { findPods, type PodTarget as PodChoice, type PodInfo, parsePodTarget } from './pods.js';

export const USAGE = `usage: kubectl pcap [-n NAMESPACE] POD|TYPE/NAME|-l SELECTOR [-c CONTAINER] [-i IFACE…]
                    [-f FILTER] [-s SNAPLEN] [--count N] [--duration SECONDS] [-w FILE]
                    [--context NAME] [--image IMAGE] [--helper-namespace NAMESPACE] [--ephemeral]
       kubectl pcap [-n NAMESPACE] POD --node-agent [--duration SECONDS] [-w FILE] [--context NAME]
       kubectl pcap --list-helpers [--context NAME]
       kubectl pcap --remove-helpers [--context NAME]
Captures a pod's packets (every pod of a Deployment, StatefulSet, DaemonSet, ReplicaSet or Job, or
every pod -l selects) in the pod's network namespace, from a short-lived helper pod on its node.
pcapng goes to stdout, or to FILE with -w: kubectl pcap web-0 | wireshark -k -i -
-f FILTER is a tcpdump expression; -i defaults to the pod's interfaces other than lo.
--image names the helper's image (any image with busybox; default ${'$'}PCAP_HELPER_IMAGE or busybox:1.36).
--ephemeral: where Pod Security refuses the helper (namespace "baseline"), capture from an
ephemeral container added to the pod (AF_PACKET); it stays in the pod's spec for good.
--node-agent: read the pod's node from the in-cluster agent (agent/kubernetes/daemonset) through a
port-forward, with the token of its Secret: the node's every interface, filtered by the agent's
PCA_FILTER, as the classic pcap stream it serves.`;

const OPTIONS = {
  namespace: { type: 'string', short: 'n' },
  selector: { type: 'string', short: 'l' },
  container: { type: 'string', short: 'c' },
  interface: { type: 'string', short: 'i', multiple: true },
  filter: { type: 'string', short: 'f' },
  snaplen: { type: 'string', short: 's' },
  count: { type: 'string' },
  duration: { type: 'string' },
  write: { type: 'string', short: 'w' },
  context: { type: 'string' },
  image: { type: 'string' },
  'helper-namespace': { type: 'string' },
  ephemeral: { type: 'boolean' },
  'node-agent': { type: 'boolean' },
  'list-helpers': { type: 'boolean' },
  'remove-helpers': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

class UsageError extends Error {}

function positiveInteger(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[1-9][0-9]{0,9}$/.test(value)) throw new UsageError(`${what} must be a positive whole number, not "${value}"`);
  return Number(value);
}

interface Plan {
  choice: PodChoice;
  namespace?: string;
  container?: string;
  interfaces?: string[];
  filter?: string;
  snaplen: number;
  count?: number;
  durationMs?: number;
  write?: string;
  ephemeral: boolean;
}

function plan(args: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>): Plan {
  const { values: v, positionals } = args;
  if (positionals.length > 1) throw new UsageError(`one target only, not ${positionals.join(' ')}`);
  if (!!v.selector === (positionals.length === 1)) throw new UsageError('name a pod or workload, or give -l SELECTOR');
  const choice: PodChoice = v.selector ? { kind: 'selector', selector: v.selector } : parsePodTarget(positionals[0]!);
  const duration = positiveInteger(v.duration, '--duration');
  return {
    choice,
    namespace: v.namespace,
    container: v.container,
    interfaces: v.interface,
    filter: v.filter,
    snaplen: positiveInteger(v.snaplen, '-s') ?? 262144,
    count: positiveInteger(v.count, '--count'),
    durationMs: duration === undefined ? undefined : duration * 1000,
    write: v.write,
    ephemeral: v.ephemeral === true,
  };
}

const say = (line: string) => process.stderr.write(`kubectl-pcap: ${line}\n`);

/** Where the pcapng goes: a new file (mode 0600, never replacing one), or stdout. */
function openOutput(file: string | undefined): (bytes: Uint8Array) => void {
  if (!file || file === '-') {
    if (process.stdout.isTTY) throw new UsageError('pcapng is binary: write it with -w FILE or pipe it to a reader');
    return (bytes) => process.stdout.write(bytes);
  }
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      code === 'EEXIST'
        ? `${file} exists: kubectl-pcap never replaces a file`
        : `cannot create ${file}: ${(e as Error).message}`,
    );
  }
  return (bytes) => fs.writeSync(fd, bytes);
}

/** The target of one pod, with kubectl-pcap's helper settings; Pod Security's refusal of the node
 *  helper falls back to an ephemeral container only with --ephemeral. */
function podTargetFor(kubectl: Kubectl, pod: PodInfo, p: Plan, image: string, helperNamespace?: string): PodTarget {
  const allowEphemeral = async (why: string) => {
    if (!p.ephemeral)
      throw new HelperError(
        `${why}\nWith --ephemeral, the capture runs in an ephemeral container added to the pod instead (AF_PACKET); it stays in the pod's spec for good.`,
      );
    say(
      `${pod.namespace}/${pod.name}: the node helper was refused; adding an ephemeral container, which stays in the pod's spec`,
    );
    return true;
  };
  const root = path.resolve(__dirname, '..', '..');
  const label = `${pod.namespace}/${pod.name}`;
  return new PodTarget(kubectl, pod, { image, helperNamespace, root, container: p.container, allowEphemeral }, (m) =>
    say(`${label}: ${m}`),
  );
}

async function listHelpers(kubectl: Kubectl, remove: boolean): Promise<void> {
  const jobs = await kubectl.json<{ items: { metadata: { name: string; namespace: string } }[] }>([
    'get',
    'jobs',
    '--all-namespaces',
    '-l',
    MANAGED_BY,
  ]);
  for (const j of jobs.items) {
    process.stdout.write(`${j.metadata.namespace}/${j.metadata.name}\n`);
    if (remove)
      await kubectl.run([
        'delete',
        'job',
        j.metadata.name,
        '-n',
        j.metadata.namespace,
        '--ignore-not-found',
        '--wait=true',
      ]);
  }
  if (remove) say(`removed ${jobs.items.length} capture helper job(s)`);
}

export async function main(argv: readonly string[]): Promise<number> {
  let args: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    args = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    say((e as Error).message);
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (args.values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const kubectl = new Kubectl({ path: process.env.KUBECTL, context: args.values.context });
  try {
    if (args.values['list-helpers'] || args.values['remove-helpers']) {
      await listHelpers(kubectl, !!args.values['remove-helpers']);
      return 0;
    }
    if (args.values['node-agent']) return await readNodeAgent(kubectl, plan(args), args.values);
    return await capture(kubectl, plan(args), args.values.image, args.values['helper-namespace']);
  } catch (e) {
    if (e instanceof UsageError) {
      say(e.message);
      process.stderr.write(`${USAGE}\n`);
      return 2;
    }
    say(e instanceof KubectlError || e instanceof HelperError ? e.message : (e as Error).message);
    return 1;
  }
}

/** What --node-agent leaves to the agent's own settings (its PCA_FILTER, every interface). */
const NOT_WITH_NODE_AGENT = [
  'container',
  'interface',
  'filter',
  'snaplen',
  'count',
  'image',
  'helper-namespace',
  'ephemeral',
] as const;

/** An option as the user spells it: -f, --count. */
function flag(name: keyof typeof OPTIONS): string {
  const short = (OPTIONS[name] as { short?: string }).short;
  return short ? `-${short}` : `--${name}`;
}

/** --node-agent: the pod's node as the in-cluster agent serves it, until --duration, SIGINT or its end. */
async function readNodeAgent(kubectl: Kubectl, p: Plan, given: Record<string, unknown>): Promise<number> {
  const refused = NOT_WITH_NODE_AGENT.filter((o) => given[o] !== undefined);
  if (refused.length > 0)
    throw new UsageError(
      `--node-agent reads what the in-cluster agent serves (its PCA_FILTER, every interface of the node): ${refused.map(flag).join(', ')} cannot apply`,
    );
  const pods = await findPods(kubectl, p.namespace, p.choice);
  const nodes = [...new Set(pods.map((pod) => pod.node).filter(Boolean))];
  if (nodes.length !== 1)
    throw new Error(
      nodes.length === 0
        ? 'no pod of this target runs on a node yet'
        : `these pods run on ${nodes.length} nodes (${nodes.join(', ')}): --node-agent reads one node; name one pod`,
    );
  const stream = await connectNodeAgent(kubectl, nodes[0]!);
  let write: (bytes: Uint8Array) => void;
  try {
    write = openOutput(p.write); // once connected: a refused connection leaves no empty file
  } catch (e) {
    stream.destroy();
    throw e;
  }
  const addresses = pods.map((pod) => `${pod.name} ${pod.ip ?? '(no address yet)'}`).join(', ');
  say(`reading node ${nodes[0]}'s packets from the in-cluster agent; pod addresses: ${addresses}`);
  const stop = () => stream.destroy();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const timer = p.durationMs ? setTimeout(stop, p.durationMs) : undefined;
  let bytes = 0;
  stream.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    write(chunk);
  });
  const failure = await new Promise<Error | undefined>((resolve) => {
    stream.once('error', resolve);
    stream.once('close', () => resolve(undefined));
  });
  clearTimeout(timer);
  if (failure) throw new Error(`the in-cluster agent's stream failed: ${failure.message}`);
  say(`${bytes} bytes of pcap read`);
  return 0;
}

async function capture(kubectl: Kubectl, p: Plan, imageOption?: string, helperNamespace?: string): Promise<number> {
  const image = imageOption ?? process.env.PCAP_HELPER_IMAGE ?? 'busybox:1.36';
  let write: ((bytes: Uint8Array) => void) | undefined;
  const pods = new PodSetCapture({
    kubectl,
    namespace: p.namespace,
    choice: p.choice,
    request: {
      interfaces: p.interfaces,
      filter: p.filter ?? '',
      snaplen: p.snaplen,
      count: p.count,
      durationMs: p.durationMs,
    },
    targetFor: (pod) => podTargetFor(kubectl, pod, p, image, helperNamespace),
    write: (bytes) => {
      write ??= openOutput(p.write); // once pods are found: no file for a target that has none
      write(bytes);
    },
    say,
    userAppl: 'kubectl-pcap',
  });
  const stop = () => pods.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await pods.start();
    if (p.durationMs) setTimeout(stop, p.durationMs).unref(); // joiners included
    const code = await pods.finished();
    for (const s of pods.summary()) say(`${s.label}: ${s.packets} packets`);
    return code;
  } finally {
    pods.stop();
    await pods.finished();
    await pods.removeIdleHelpers();
  }
}

export function cli(): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      say((e as Error).message);
      process.exitCode = 1;
    },
  );
}
