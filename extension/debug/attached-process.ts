// The debuggee of an attach session whose adapter sends no DAP `process` event (js-debug attached
// to a port sends none): what its configuration says, and what that is on this machine.
//
// - `processId` (a number or its text; VS Code substituted `${command:PickProcess}` before any
//   resolver ran): that process. js-debug's own resolver turns a Node.js `processId` into a `port`
//   (9229 unless "PID:PORT") after starting the process's inspector, so the session's resolved
//   configuration (session.configuration) may name the port instead: the same process listens there.
// - `port` on the loopback (`address`/`host` absent, localhost, 127.0.0.1, ::1; debugpy's
//   `connect: { host, port }` too): the local process listening on that port (port-listener.ts).
//   That listener may be a forward rather than the debuggee: `kubectl port-forward` (the debuggee is
//   in that pod, see kubernetes/port-forward.ts) or `ssh -L` (on a host that is no target of ours).
// No VS Code here.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Kubectl } from '../kubernetes/kubectl.js';
import type { PodInfo } from '../kubernetes/pods.js';
import { forwardedPod, type PortForward, parsePortForward, resourceText } from '../kubernetes/port-forward.js';
import { commandLine, isLoopbackHost } from './port-listener.js';

export type AttachDebuggee =
  | { kind: 'pid'; pid: number }
  | { kind: 'port'; port: number }
  /** Another machine's port: nothing of this machine to capture. */
  | { kind: 'remote'; host: string; port: number };

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/** A positive integer given as a number or as decimal text. */
function integerOf(value: unknown, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  return Number.isSafeInteger(n) && (n as number) > 0 && (n as number) <= max ? (n as number) : undefined;
}

/** js-debug's "PID:PORT" (a process whose inspector listens on PORT) reads as PID. */
function processIdOf(value: unknown): number | undefined {
  if (typeof value === 'string') return integerOf(/^\s*(\d+)(?::\d+)?\s*$/.exec(value)?.[1]);
  return integerOf(value);
}

/** What an attach configuration names as its debuggee; undefined for a launch, or when it names none. */
export function attachDebuggee(config: Record<string, unknown>): AttachDebuggee | undefined {
  if (config.request !== 'attach') return undefined;
  const pid = processIdOf(config.processId);
  if (pid !== undefined) return { kind: 'pid', pid };
  const connect = record(config.connect);
  const port = integerOf(config.port, 65535) ?? integerOf(connect.port, 65535);
  if (port === undefined) return undefined;
  const host = [config.address, config.host, connect.host].find((h) => typeof h === 'string' && h.trim() !== '');
  if (typeof host === 'string' && !isLoopbackHost(host)) return { kind: 'remote', host, port };
  return { kind: 'port', port };
}

/** What listens on the port: the debuggee itself, or a forward to elsewhere. */
export type PortListener =
  | { kind: 'process'; pid: number }
  | { kind: 'kubectl'; pid: number; forward: PortForward }
  | { kind: 'ssh'; pid: number }
  /** A kubectl port-forward whose command line cannot be read: why. */
  | { kind: 'unreadable'; pid: number; why: string };

const SSH = /^(?:ssh|autossh)$/;

/** A variable of a process's environment (undefined when unset or unreadable). */
function environmentOf(pid: number, name: string, proc: string): string | undefined {
  try {
    const entries = fs.readFileSync(path.join(proc, String(pid), 'environ'), 'utf8').split('\0');
    return entries.find((e) => e.startsWith(`${name}=`))?.slice(name.length + 1);
  } catch {
    return undefined;
  }
}

function cwdOf(pid: number, proc: string): string | undefined {
  try {
    return fs.readlinkSync(path.join(proc, String(pid), 'cwd'));
  } catch {
    return undefined;
  }
}

/** Whether the process runs as the user this extension runs as (its /proc folder is theirs). */
function ownedByThisUser(pid: number, proc: string): boolean {
  try {
    return fs.statSync(path.join(proc, String(pid))).uid === process.getuid?.();
  } catch {
    return false;
  }
}

/** The kubeconfig that kubectl read: --kubeconfig, else its KUBECONFIG (a list), relative paths
 *  taken from its working folder; undefined when it used the default (~/.kube/config). */
function kubeconfigOf(pid: number, forward: PortForward, proc: string): string | undefined {
  const given = forward.kubeconfig ?? environmentOf(pid, 'KUBECONFIG', proc);
  if (!given) return undefined;
  const cwd = cwdOf(pid, proc);
  return given
    .split(path.delimiter)
    .filter(Boolean)
    .map((f) => (cwd && !path.isAbsolute(f) ? path.resolve(cwd, f) : f))
    .join(path.delimiter);
}

/** The listening process, told apart by its command line. */
export function classifyListener(pid: number, proc = '/proc'): PortListener {
  const argv = commandLine(pid, proc);
  if (argv.length > 0 && SSH.test(path.basename(argv[0]!))) return { kind: 'ssh', pid };
  let forward: PortForward | undefined;
  try {
    forward = parsePortForward(argv);
  } catch (e) {
    return { kind: 'unreadable', pid, why: (e as Error).message };
  }
  if (!forward) return { kind: 'process', pid };
  const kubeconfig = kubeconfigOf(pid, forward, proc);
  return { kind: 'kubectl', pid, forward: { ...forward, ...(kubeconfig ? { kubeconfig } : {}) } };
}

/** What an attach session to a port of the loopback debugs, as far as it can be captured here. */
export type PortDebuggee =
  | { kind: 'process'; pid: number; from: string }
  | { kind: 'pod'; pod: PodInfo; forward: PortForward; from: string }
  | { kind: 'not captured'; why: string };

/**
 * The debuggee behind `port`, from the processes listening there (port-listener.ts): the listener
 * itself; the pod of a kubectl port-forward (asked of the cluster with `kubectlFor(forward)`, the
 * forward's own context and kubeconfig); or why there is nothing to capture.
 */
export async function debuggeeOnPort(
  port: number,
  listeners: readonly number[],
  kubectlFor: (forward: PortForward) => Kubectl,
  proc = '/proc',
): Promise<PortDebuggee> {
  if (listeners.length !== 1)
    return {
      kind: 'not captured',
      why:
        listeners.length === 0
          ? `no process listens on port ${port}`
          : `processes ${listeners.join(', ')} all listen on port ${port}, and which one is debugged cannot be told`,
    };
  const listener = classifyListener(listeners[0]!, proc);
  const forwarder = `port ${port} is forwarded by`;
  switch (listener.kind) {
    case 'process':
      return { kind: 'process', pid: listener.pid, from: `the process listening on port ${port}` };
    case 'ssh':
      return {
        kind: 'not captured',
        why: `${forwarder} ssh (pid ${listener.pid}) to a process on its SSH host, which is no capture target of this machine`,
      };
    case 'unreadable':
      return {
        kind: 'not captured',
        why: `${forwarder} kubectl (pid ${listener.pid}), whose command line cannot be read: ${listener.why}`,
      };
    case 'kubectl': {
      const { forward, pid } = listener;
      // Its kubeconfig may run credential plugins: only one of this user's own is taken at its word.
      if (!ownedByThisUser(pid, proc))
        return {
          kind: 'not captured',
          why: `${forwarder} kubectl (pid ${pid}) of another user, whose kubeconfig is not run from here`,
        };
      const from = `kubectl port-forward (pid ${pid}) of port ${port} to ${resourceText(forward.resource)}`;
      try {
        return { kind: 'pod', pod: await forwardedPod(kubectlFor(forward), forward), forward, from };
      } catch (e) {
        return { kind: 'not captured', why: `${from}: ${(e as Error).message}` };
      }
    }
  }
}
