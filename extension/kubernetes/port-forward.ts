// A `kubectl port-forward` read from its command line (its argv, never a shell string): which
// cluster (--context, --kubeconfig), namespace and pod (or service, or workload) it forwards to, so
// that a debugger attached to its local port is known to debug a process of that pod. Then the pod
// itself, found as kubectl found it. Used by the debug captures; nothing here imports vscode.
import * as path from 'node:path';
import { type Kubectl, KubectlError } from './kubectl.js';
import { findPods, type PodInfo, parsePodTarget } from './pods.js';

export type ForwardedResource =
  | { kind: 'pod'; name: string }
  | { kind: 'service'; name: string }
  | { kind: 'workload'; resource: string; name: string };

export interface PortForward {
  context?: string;
  namespace?: string;
  kubeconfig?: string;
  resource: ForwardedResource;
  /** LOCAL:REMOTE, PORT (both the same) or :REMOTE (a local port kubectl picks: no `local`). */
  ports: { local?: number; remote: string }[];
}

/** kubectl's flags (global and port-forward's own) that take a value: the next argument is that
 *  value unless given as --flag=value. Any flag not listed here or in BOOLEAN_FLAGS makes the command
 *  line unreadable, as its next argument could be its value or the resource. */
const VALUE_FLAGS = new Set([
  'address',
  'as',
  'as-group',
  'as-uid',
  'cache-dir',
  'certificate-authority',
  'client-certificate',
  'client-key',
  'cluster',
  'context',
  'kubeconfig',
  'kuberc',
  'log-backtrace-at',
  'log-dir',
  'log-file',
  'log-file-max-size',
  'log-flush-frequency',
  'namespace',
  'password',
  'pod-running-timeout',
  'profile',
  'profile-output',
  'request-timeout',
  'server',
  'stderrthreshold',
  'tls-server-name',
  'token',
  'user',
  'username',
  'v',
  'vmodule',
]);
const BOOLEAN_FLAGS = new Set([
  'add-dir-header',
  'alsologtostderr',
  'disable-compression',
  'help',
  'insecure-skip-tls-verify',
  'logtostderr',
  'match-server-version',
  'one-output',
  'skip-headers',
  'skip-log-headers',
  'warnings-as-errors',
]);
/** Shorthands: -n NS, -s SERVER, -v N take a value; -h does not. */
const SHORTHANDS: Record<string, string> = { n: 'namespace', s: 'server', v: 'v', h: 'help' };

/** kubectl's executable name: kubectl, kubectl.exe, or a versioned copy (kubectl1.33, kubectl-1.33). */
const KUBECTL = /^kubectl(?:[-.]?\d+(?:\.\d+)*)?(?:\.exe)?$/;

/** A DNS-1123 label, as the API server requires of a namespace. */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Service kinds as kubectl spells them. */
const SERVICE = new Set(['svc', 'service', 'services']);

/** NAME (a pod), pod/NAME, svc/NAME or KIND/NAME of a workload; an API group suffix
 *  (deployments.apps/NAME) dropped. Throws with what is wrong. */
function resourceOf(text: string): ForwardedResource {
  const slash = text.indexOf('/');
  const kind = slash < 0 ? 'pod' : text.slice(0, slash).toLowerCase().split('.')[0]!;
  const name = text.slice(slash + 1);
  if (SERVICE.has(kind)) return { kind: 'service', name: podName(name) };
  const parsed = parsePodTarget(`${kind}/${name}`);
  if (parsed.kind === 'workload') return parsed;
  return { kind: 'pod', name: podName(name) };
}

/** A name as the API server requires of pods and services (pods.ts's rule). */
function podName(name: string): string {
  const parsed = parsePodTarget(name);
  if (parsed.kind !== 'pod') throw new Error(`"${name}" is not a name`);
  return parsed.name;
}

/** LOCAL:REMOTE, PORT or :REMOTE; REMOTE a number or, for a service, a port's name. */
function portOf(text: string): PortForward['ports'][number] {
  const m = /^(\d{1,5})?(?::(\d{1,5}|[a-z0-9][-a-z0-9]{0,14}))?$/i.exec(text);
  const local = m?.[1] === undefined ? undefined : Number(m[1]);
  const remote = m?.[2] ?? m?.[1];
  if (!m || remote === undefined || (local !== undefined && local > 65535))
    throw new Error(`"${text}" is not a port-forward port (LOCAL:REMOTE)`);
  return local === undefined || local === 0 ? { remote } : { local, remote };
}

/** The flags and the positional arguments of a kubectl command line (argv without argv[0]). */
function splitArgs(args: readonly string[]): { flags: Map<string, string>; positional: string[] } {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    // --name=value, --name value, -n=value, -nvalue, -n value
    const long = arg.startsWith('--');
    const body = arg.slice(long ? 2 : 1);
    const eq = body.indexOf('=');
    let name: string;
    let inline: string | undefined;
    if (long) {
      name = eq < 0 ? body : body.slice(0, eq);
      inline = eq < 0 ? undefined : body.slice(eq + 1);
    } else {
      name = SHORTHANDS[body[0]!] ?? '';
      const rest = body.slice(1);
      inline = rest === '' ? undefined : rest.replace(/^=/, '');
      if (!name) throw new Error(`kubectl flag "${arg}" is not one kubectl has`);
    }
    if (BOOLEAN_FLAGS.has(name)) continue;
    if (!VALUE_FLAGS.has(name))
      throw new Error(`kubectl flag "${arg}" is unknown here: whether it takes the next argument cannot be told`);
    const value = inline ?? args[++i];
    if (value === undefined) throw new Error(`kubectl flag "${arg}" has no value`);
    flags.set(name, value);
  }
  return { flags, positional };
}

/**
 * A kubectl port-forward command line: what it forwards to. Undefined when `argv` is not a kubectl
 * port-forward at all; throws, saying why, when it is one that cannot be read.
 */
export function parsePortForward(argv: readonly string[]): PortForward | undefined {
  if (argv.length === 0 || !KUBECTL.test(path.basename(argv[0]!))) return undefined;
  let split: ReturnType<typeof splitArgs>;
  try {
    split = splitArgs(argv.slice(1));
  } catch (e) {
    // Not a port-forward at all, or one we cannot read: tell only the latter.
    if (!argv.includes('port-forward')) return undefined;
    throw e;
  }
  const { flags, positional } = split;
  if (positional[0] !== 'port-forward') return undefined;
  const [, target, ...ports] = positional;
  if (target === undefined) throw new Error('kubectl port-forward names no pod');
  if (ports.length === 0) throw new Error('kubectl port-forward names no port');
  const namespace = flags.get('namespace');
  if (namespace !== undefined && !NAMESPACE.test(namespace)) throw new Error(`"${namespace}" is not a namespace name`);
  const context = flags.get('context');
  const kubeconfig = flags.get('kubeconfig');
  return {
    ...(context ? { context } : {}),
    ...(namespace ? { namespace } : {}),
    ...(kubeconfig ? { kubeconfig } : {}),
    resource: resourceOf(target),
    ports: ports.map(portOf),
  };
}

/** What a forward's resource is called in messages: pod/NAME, svc/NAME, deployment/NAME. */
export function resourceText(r: ForwardedResource): string {
  if (r.kind === 'pod') return `pod/${r.name}`;
  return r.kind === 'service' ? `svc/${r.name}` : `${r.resource}/${r.name}`;
}

/**
 * The pod a port-forward reaches. A pod by name is that pod; for a service or a workload, kubectl
 * picked one of its running pods when it started and says nowhere which: found when exactly one
 * pod of it runs, else an error that says why.
 */
export async function forwardedPod(kubectl: Kubectl, forward: PortForward): Promise<PodInfo> {
  const { resource, namespace } = forward;
  if (resource.kind === 'pod') return (await findPods(kubectl, namespace, resource))[0]!;
  const pods =
    resource.kind === 'service'
      ? await servicePods(kubectl, namespace, resource.name)
      : await findPods(kubectl, namespace, resource);
  const running = pods.filter((p) => p.phase === 'Running');
  if (running.length === 1) return running[0]!;
  const what = resourceText(resource);
  if (running.length === 0) throw new Error(`${what} has no running pod`);
  throw new Error(
    `${what} has ${running.length} running pods (${running.map((p) => p.name).join(', ')}), and which one kubectl port-forward chose cannot be seen from here: forward to the pod itself (pod/NAME) to capture it`,
  );
}

async function servicePods(kubectl: Kubectl, namespace: string | undefined, name: string): Promise<PodInfo[]> {
  let service: { spec?: { selector?: Record<string, string> } };
  try {
    service = await kubectl.json(['get', 'service', name, ...(namespace ? ['-n', namespace] : [])]);
  } catch (e) {
    if (e instanceof KubectlError && e.notFound) throw new Error(`service "${name}" was not found`);
    throw e;
  }
  const selector = Object.entries(service.spec?.selector ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  if (!selector) throw new Error(`service "${name}" has no pod selector`);
  return findPods(kubectl, namespace, { kind: 'selector', selector });
}
