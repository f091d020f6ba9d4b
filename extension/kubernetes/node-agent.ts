// The in-cluster agent (agent/kubernetes/daemonset): the static pcap-agent on every node in the
// seed's PCA mode, serving the node's packets as a classic pcap stream on the node's loopback. It is
// reached through `kubectl port-forward` to its pod on the chosen node, and answers only a client
// whose first line is the token of its Secret (the tokenless variant admits any client, and the
// line it is sent is ignored there).
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Kubectl } from './kubectl.js';
import { KubectlError } from './kubectl.js';

/** Where the manifests put the agent; each name is also in agent/kubernetes/daemonset/pcap-agent.yaml. */
export const NODE_AGENT = {
  namespace: 'pcap-agent',
  selector: 'app.kubernetes.io/name=pcap-agent',
  port: 9990,
  tokenSecret: 'pcap-agent-token',
  manifest: 'agent/kubernetes/daemonset',
} as const;

const FORWARD_TIMEOUT_MS = 30_000;
/** The agent sends its pcap header as soon as it admits a client. */
const ADMISSION_TIMEOUT_MS = 15_000;

interface AgentPodJson {
  items: { metadata: { name: string }; status: { phase?: string } }[];
}

/** The name of the agent's running pod on `node`. */
export async function nodeAgentPod(kubectl: Kubectl, node: string): Promise<string> {
  const { namespace, selector, manifest } = NODE_AGENT;
  let pods: AgentPodJson;
  try {
    pods = await kubectl.json<AgentPodJson>([
      'get',
      'pods',
      '-n',
      namespace,
      '-l',
      selector,
      '--field-selector',
      `spec.nodeName=${node}`,
    ]);
  } catch (e) {
    if (e instanceof KubectlError && e.forbidden)
      throw new Error(
        `you may not list pods in namespace ${namespace}: ask for the Role pcap-agent-reader there (${manifest}) — ${e.detail}`,
      );
    throw e;
  }
  const running = pods.items.find((p) => p.status.phase === 'Running');
  if (running) return running.metadata.name;
  if (pods.items.length > 0)
    throw new Error(
      `the in-cluster agent on node ${node} is ${pods.items[0]!.status.phase ?? 'not running'} (kubectl -n ${namespace} describe pod ${pods.items[0]!.metadata.name} says why)`,
    );
  throw new Error(
    `no in-cluster agent runs on node ${node}: deploy it with kubectl apply -k ${manifest} (see the README's "In-cluster agent")`,
  );
}

/** The token of the agent's Secret; undefined when there is none (the tokenless variant). */
export async function nodeAgentToken(kubectl: Kubectl): Promise<string | undefined> {
  const { namespace, tokenSecret } = NODE_AGENT;
  let encoded: string;
  try {
    encoded = await kubectl.run(['get', 'secret', tokenSecret, '-n', namespace, '-o', 'jsonpath={.data.token}']);
  } catch (e) {
    if (e instanceof KubectlError && e.notFound) return undefined;
    if (e instanceof KubectlError && e.forbidden)
      throw new Error(
        `you may not read the agent's token (secret ${namespace}/${tokenSecret}): ask for the Role pcap-agent-reader (${NODE_AGENT.manifest}) — ${e.detail}`,
      );
    throw e;
  }
  const token = Buffer.from(encoded.trim(), 'base64').toString('utf8').split('\n')[0]!.trim();
  if (!token) throw new Error(`secret ${namespace}/${tokenSecret} has no "token" key, or an empty one`);
  return token;
}

export interface PortForward {
  /** The local port on 127.0.0.1. */
  port: number;
  /** What kubectl said on stderr so far (why a connection failed). */
  errors(): string;
  close(): void;
}

/** `kubectl port-forward` from a free port on 127.0.0.1 to `port` of a pod. */
export function portForward(kubectl: Kubectl, namespace: string, pod: string, port: number): Promise<PortForward> {
  const child = kubectl.spawn(['port-forward', '-n', namespace, `pod/${pod}`, '--address', '127.0.0.1', `:${port}`]);
  child.stdin!.end();
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (t: string) => {
    stderr = (stderr + t).slice(-4096);
  });
  const close = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      close();
      reject(new Error(`kubectl port-forward to ${namespace}/${pod}: ${why}`));
    };
    const timer = setTimeout(() => fail(`no forwarding within ${FORWARD_TIMEOUT_MS / 1000} s`), FORWARD_TIMEOUT_MS);
    child.once('error', (e) => fail(e.message));
    child.once('exit', (code) => fail(stderr.trim() || `exit status ${code}`));
    child.stdout!.setEncoding('utf8').on('data', (t: string) => {
      stdout += t;
      const m = /Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(stdout);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({ port: Number(m[1]), errors: () => stderr.trim(), close });
    });
  });
}

/**
 * A connection to the agent on `node`: its pod found, a port-forward to it, the token sent, and the
 * agent's admission seen (its pcap header, put back for the reader). Closing it ends the forward.
 */
export async function connectNodeAgent(kubectl: Kubectl, node: string): Promise<Duplex> {
  const pod = await nodeAgentPod(kubectl, node);
  const token = await nodeAgentToken(kubectl);
  const forward = await portForward(kubectl, NODE_AGENT.namespace, pod, NODE_AGENT.port);
  const socket = net.connect(forward.port, '127.0.0.1');
  socket.once('close', forward.close);
  try {
    await admitted(socket, token);
    return socket;
  } catch (e) {
    socket.destroy();
    const said = forward.errors();
    throw new Error(
      `the in-cluster agent on node ${node} (pod ${NODE_AGENT.namespace}/${pod}): ${said ? `${(e as Error).message}; kubectl port-forward said: ${said}` : (e as Error).message}`,
    );
  }
}

/** Sends the token line and waits for the agent's first bytes, which it sends only once it admits us. */
function admitted(socket: net.Socket, token: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      clearTimeout(timer);
      socket.off('readable', arrived).off('close', closed).off('error', failed);
      if (error) reject(error);
      else resolve();
    };
    // Looked at, not read: the bytes stay in the socket for the reader, which then starts it flowing.
    const arrived = () => {
      if (socket.readableLength > 0) done();
      else socket.read(); // at the end: lets the socket end and close
    };
    const closed = () =>
      done(
        new Error(
          token
            ? "it closed the connection without admitting us: its token differs from the Secret's (it reads the token when it starts: kubectl -n pcap-agent rollout restart daemonset/pcap-agent), or it is not listening"
            : 'it closed the connection: it asks for a token and there is no Secret pcap-agent-token to read one from',
        ),
      );
    const failed = (e: Error) => done(new Error(`the connection failed: ${e.message}`));
    const timer = setTimeout(
      () => done(new Error(`no answer within ${ADMISSION_TIMEOUT_MS / 1000} s`)),
      ADMISSION_TIMEOUT_MS,
    );
    socket.on('readable', arrived).once('close', closed).once('error', failed);
    socket.once('connect', () => socket.write(`${token ?? ''}\n`));
  });
}
