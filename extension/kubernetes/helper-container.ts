// A container we run commands in for a capture (a node helper, or an ephemeral container in the
// captured pod): the static agent is streamed into it over `kubectl exec -i` (no registry, no tar),
// checked against its SHA-256, and run there; commands go as argv, their variable parts as
// arguments of a fixed script, never spliced into it.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { type Kubectl, KubectlError } from './kubectl.js';

/** `uname -m` as the agent builds are named (dist/agent/linux-ARCH). */
const AGENT_ARCH: Record<string, string> = { x86_64: 'x64', aarch64: 'arm64' };

export interface HelperSettings {
  /** Any image with a POSIX sh, cat, sha256sum, pgrep, stat and sleep (busybox is enough). */
  image: string;
  /** How long a helper stays after its last capture ended. */
  idleSeconds?: number;
}

/** What a capture reports while it waits: "creating the capture helper on node-1"… */
export type Progress = (message: string) => void;

/** The helper was refused or could not start: the message says who refused and what would work. */
export class HelperError extends Error {
  constructor(
    message: string,
    /** Pod Security admission refused the helper pod (so an ephemeral container may still do). */
    readonly podSecurity = false,
  ) {
    super(message);
    this.name = 'HelperError';
  }
}

// A helper container's own command: alive while an agent it holds runs, and for `$1` seconds
// after; stopped early, it ends as Succeeded, not as an error. Its agents run as
// /tmp/POD/pcap-agent (POD: the pod it runs in, PCAP_POD from the downward API: a pod's hostname
// may differ from its name), a path pgrep tells from any other helper's, also where it sees the
// node's or another container's processes.
const IDLE_SCRIPT = `
trap 'exit 0' TERM
marker=/tmp/$PCAP_POD.used
touch "$marker"
while :; do
  if pgrep -f "/tmp/$PCAP_POD/pcap-agent" >/dev/null; then touch "$marker"; fi
  [ $(( $(date +%s) - $(stat -c %Y "$marker") )) -ge "$1" ] && exit 0
  sleep 2
done`;

/** What every helper container runs: the image, and the idle loop with the pod's own name from
 *  the downward API (PCAP_POD). */
export function helperContainerBase(settings: HelperSettings): object {
  return {
    image: settings.image,
    imagePullPolicy: 'IfNotPresent',
    command: ['sh', '-c', IDLE_SCRIPT, 'helper', String(settings.idleSeconds ?? 60)],
    env: [{ name: 'PCAP_POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
  };
}

export abstract class HelperContainer {
  private installed?: string;

  constructor(
    protected readonly kubectl: Kubectl,
    readonly namespace: string,
    readonly pod: string,
    readonly container: string,
    /** The node it runs on, for messages. */
    readonly node: string,
  ) {}

  protected execArgs(command: readonly string[]): string[] {
    return ['exec', '-i', '-n', this.namespace, this.pod, '-c', this.container, '--', ...command];
  }

  /** A command in the helper, to the end: its stdout. */
  async run(command: readonly string[], input?: Uint8Array): Promise<string> {
    try {
      return await this.kubectl.run(this.execArgs(command), { input, timeoutMs: 60_000 });
    } catch (e) {
      if (e instanceof KubectlError && e.forbidden)
        throw new HelperError(
          `RBAC does not let you run commands in pods of namespace "${this.namespace}" (create on pods/exec), which copying the capture agent in and capturing need: ${e.detail}`,
        );
      throw e;
    }
  }

  /** A long-running command in the helper (the capture): its streams are the caller's. */
  spawn(command: readonly string[]) {
    return this.kubectl.spawn(this.execArgs(command));
  }

  /** The agent's path in the helper: the build for the node's architecture (`agentFor`, from
   *  `uname -m` there, so no access to Node objects is needed), copied there once and checked
   *  against its SHA-256 before use. */
  async install(agentFor: (arch: string) => string, progress: Progress = () => {}): Promise<string> {
    if (this.installed) return this.installed;
    const dir = `/tmp/${this.pod}`;
    // Arguments, not text in the script: $1 the folder, $2 the helper's last-used marker (touched,
    // so that a helper found idle does not end before this capture's agent starts), later $2 the
    // expected digest.
    const [machine = '', present = ''] = (
      await this.run([
        'sh',
        '-c',
        'touch "$2"; uname -m; sha256sum "$1/pcap-agent" 2>/dev/null || true',
        'check',
        dir,
        `/tmp/${this.pod}.used`,
      ])
    ).split('\n');
    const arch = AGENT_ARCH[machine.trim()];
    if (!arch)
      throw new HelperError(
        `node ${this.node} is ${machine.trim() || 'of an unknown architecture'}; the capture agent is built for x86_64 and aarch64`,
      );
    const bytes = fs.readFileSync(agentFor(arch));
    const digest = createHash('sha256').update(bytes).digest('hex');
    if (!present.startsWith(digest)) {
      progress(`copying the capture agent into ${this.pod}`);
      const script =
        'set -e; umask 077; mkdir -p "$1"; cat > "$1/pcap-agent.part"; ' +
        'echo "$2  $1/pcap-agent.part" | sha256sum -c -s; chmod 700 "$1/pcap-agent.part"; ' +
        'mv "$1/pcap-agent.part" "$1/pcap-agent"';
      try {
        await this.run(['sh', '-c', script, 'install', dir, digest], bytes);
      } catch (e) {
        throw new HelperError(`the capture agent could not be copied into ${this.pod}: ${(e as Error).message}`);
      }
    }
    this.installed = `${dir}/pcap-agent`;
    return this.installed;
  }

  /** Removes the helper (remove()) unless an agent still runs in it. */
  async removeIfIdle(): Promise<void> {
    let busy: boolean;
    try {
      const answer = await this.run([
        'sh',
        '-c',
        'pgrep -f "/tmp/$PCAP_POD/pcap-agent" >/dev/null && echo busy || true',
      ]);
      busy = answer.trim() !== '';
    } catch (e) {
      busy = !(e instanceof HelperError); // where we may not exec, no capture of ours runs
    }
    if (!busy) await this.remove();
  }

  /** Removes the helper, where it can be removed. */
  protected abstract remove(): Promise<void>;
}
