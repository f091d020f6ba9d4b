// The Kubernetes names of a packet's process (--processes): a process in a container whose runtime
// wrote the pod's names into the container's OCI bundle gets ContainerName, PodName, PodNamespace
// and PodUID lines, in ptcpdump's order. Containers as containerd makes them, without Kubernetes:
// a cgroup (v1 here) named by the container's id holds the process; its parent outside the
// container, the runtime's shim, works in the pod sandbox's bundle folder, beside which each
// container's bundle holds a config.json (runc, which starts a process for `kubectl exec`, may still
// stand between them, working elsewhere). The bundle is untrusted: values Kubernetes would refuse,
// escapes, keys given twice or only inside other values, malformed or oversized JSON, a symbolic
// link, a FIFO each leave their lines out (the container id stays), and the capture goes on.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { capture, scratchDir } from './helpers/agent.js';
import { makeCgroup } from './helpers/cgroups.js';
import { registerCleanup } from './helpers/cleanup.js';
import { assertClean, fields, readFile } from './helpers/judge.js';
import { createVethPair, type VethPair } from './helpers/netns.js';

const PORT = 7300;
const UID = '9fab5bed-6841-41e7-af14-acce3711ba67';
const CONTAINERD = {
  'io.kubernetes.cri.container-type': 'container',
  'io.kubernetes.cri.container-name': 'web',
  'io.kubernetes.cri.sandbox-name': 'web-0',
  'io.kubernetes.cri.sandbox-namespace': 'shop',
  'io.kubernetes.cri.sandbox-uid': UID,
};
const CRIO = {
  'io.kubernetes.container.name': 'web',
  'io.kubernetes.pod.name': 'web-0',
  'io.kubernetes.pod.namespace': 'shop',
  'io.kubernetes.pod.uid': UID,
};
/** The uid and gid of nobody, who owns a bundle no runtime wrote. */
const NOBODY = 65534;
const LONGEST_POD = `${'a'.repeat(62)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`; // 253

/** A config.json as runtimes write it, with these annotations (and `extra` top-level members). */
function ociConfig(annotations: Record<string, string> | undefined, extra: object = {}): string {
  return JSON.stringify(
    { ociVersion: '1.2.0', process: { args: ['/bin/sh'], env: ['PATH=/bin'] }, ...extra, annotations },
    null,
    2,
  );
}

/** The comment's lines after PID, Cmd and Args, for a container with these names. */
function names(id: string, n: { container?: string; pod?: string; namespace?: string; uid?: string }): string[] {
  return [
    ...(n.container ? [`ContainerName: ${n.container}`] : []),
    `ContainerId: ${id}`,
    ...(n.pod ? [`PodName: ${n.pod}`] : []),
    ...(n.namespace ? [`PodNamespace: ${n.namespace}`] : []),
    ...(n.uid ? [`PodUID: ${n.uid}`] : []),
  ];
}

const ALL = { container: 'web', pod: 'web-0', namespace: 'shop', uid: UID };

interface Case {
  what: string;
  /** Makes the bundle's config.json at `file` (or leaves it out). */
  bundle: (file: string) => void;
  expected: { container?: string; pod?: string; namespace?: string; uid?: string };
  /** Started as `kubectl exec` starts a process: through runc, still there between it and the shim. */
  throughRunc?: true;
}

const CASES: Case[] = [
  { what: "containerd's annotations", bundle: (f) => fs.writeFileSync(f, ociConfig(CONTAINERD)), expected: ALL },
  { what: "CRI-O's annotations", bundle: (f) => fs.writeFileSync(f, ociConfig(CRIO)), expected: ALL },
  {
    what: "a process runc started and is still the parent of, runc's working folder no bundle",
    bundle: (f) => fs.writeFileSync(f, ociConfig(CONTAINERD)),
    expected: ALL,
    throughRunc: true,
  },
  {
    what: "a pod sandbox's own container: no container name",
    bundle: (f) => {
      const { 'io.kubernetes.cri.container-name': _, ...sandbox } = CONTAINERD;
      fs.writeFileSync(f, ociConfig({ ...sandbox, 'io.kubernetes.cri.container-type': 'sandbox' }));
    },
    expected: { pod: 'web-0', namespace: 'shop', uid: UID },
  },
  {
    what: 'the longest names Kubernetes accepts',
    bundle: (f) =>
      fs.writeFileSync(
        f,
        ociConfig({
          ...CONTAINERD,
          'io.kubernetes.cri.container-name': 'c'.repeat(63),
          'io.kubernetes.cri.sandbox-name': LONGEST_POD,
          'io.kubernetes.cri.sandbox-namespace': 'n'.repeat(63),
        }),
      ),
    expected: { container: 'c'.repeat(63), pod: LONGEST_POD, namespace: 'n'.repeat(63), uid: UID },
  },
  {
    what: 'one character longer each',
    bundle: (f) =>
      fs.writeFileSync(
        f,
        ociConfig({
          ...CONTAINERD,
          'io.kubernetes.cri.container-name': 'c'.repeat(64),
          'io.kubernetes.cri.sandbox-name': `${LONGEST_POD}x`,
          'io.kubernetes.cri.sandbox-namespace': 'n'.repeat(64),
          'io.kubernetes.cri.sandbox-uid': `${UID}0`,
        }),
      ),
    expected: {},
  },
  {
    what: 'values Kubernetes would refuse, and escapes (a newline would forge a line)',
    bundle: (f) =>
      fs.writeFileSync(
        f,
        ociConfig({
          'io.kubernetes.cri.container-name': 'web\nPodName: forged',
          'io.kubernetes.cri.sandbox-name': 'Web-0',
          'io.kubernetes.cri.sandbox-namespace': '-shop',
          'io.kubernetes.cri.sandbox-uid': UID.toUpperCase(),
        }),
      ),
    expected: {},
  },
  {
    what: 'a key given twice',
    bundle: (f) =>
      fs.writeFileSync(
        f,
        ociConfig(CONTAINERD).replace(
          '"io.kubernetes.cri.sandbox-name"',
          '"io.kubernetes.cri.sandbox-name": "other",\n    "io.kubernetes.cri.sandbox-name"',
        ),
      ),
    expected: { container: 'web', namespace: 'shop', uid: UID },
  },
  {
    what: 'the keys only inside other values and objects',
    bundle: (f) =>
      fs.writeFileSync(
        f,
        ociConfig(undefined, {
          hostname: '"io.kubernetes.cri.sandbox-name": "forged"',
          linux: { annotations: CONTAINERD },
        }),
      ),
    expected: {},
  },
  {
    what: 'malformed JSON (cut short)',
    bundle: (f) => fs.writeFileSync(f, ociConfig(CONTAINERD).slice(0, -3)),
    expected: {},
  },
  {
    what: 'more than 1 MiB',
    bundle: (f) => fs.writeFileSync(f, ociConfig(CONTAINERD, { padding: 'x'.repeat(1 << 20) })),
    expected: {},
  },
  {
    what: 'a symbolic link',
    bundle: (f) => {
      fs.writeFileSync(`${f}.real`, ociConfig(CONTAINERD));
      fs.symlinkSync(`${f}.real`, f);
    },
    expected: {},
  },
  {
    what: "another user's",
    bundle: (f) => {
      fs.writeFileSync(f, ociConfig(CONTAINERD));
      fs.chownSync(f, NOBODY, NOBODY);
    },
    expected: {},
  },
  {
    what: 'writable by others',
    bundle: (f) => {
      fs.writeFileSync(f, ociConfig(CONTAINERD));
      fs.chmodSync(f, 0o666);
    },
    expected: {},
  },
  { what: 'a FIFO (never read: it would block)', bundle: (f) => execFileSync('mkfifo', [f]), expected: {} },
  { what: 'no bundle', bundle: () => {}, expected: {} },
];

/** A container id: 64 hex digits, one per case. */
function containerId(i: number): string {
  return `${i.toString(16).padStart(4, '0')}${'c0de'.repeat(15)}`;
}

// The container's first process: it joins the container's cgroup ($0), then runs `$@` as its child.
const JOIN = 'echo $$ > "$0/cgroup.procs" && "$@"; exit $?';
// The shim: outside the container, in its working folder, it starts the container's first process,
// so that the agent climbs two generations to the shim.
const SHIM = `sh -c '${JOIN}' "$@"; exit $?`;
// The same through runc as `kubectl exec` meets it: the shim's child, outside the container, working
// in another folder, it starts the process and is still there when the process sends.
const SHIM_THEN_RUNC = `sh -c 'cd / && sh -c "$0" "$@"; exit $?' '${JOIN}' "$@"; exit $?`;
// The container's process: one datagram to HOST:PORT, then "sent", then it stays until stdin closes
// (the agent reads a process's names from /proc when it meets its first packet).
const SEND = [
  'import socket, sys',
  'socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"pod", (sys.argv[1], int(sys.argv[2])))',
  'print("sent", flush=True)',
  'sys.stdin.read()',
].join('\n');

describe('process attribution: the Kubernetes names of a container, from its OCI bundle', () => {
  let pair: VethPair;
  let dir: string;
  const removals: (() => void)[] = [];

  before(async () => {
    pair = await createVethPair({ tag: 'podn' });
    dir = scratchDir('podn');
  });

  after(() => {
    for (const remove of removals.reverse()) remove();
    pair?.destroy();
  });

  /** Runs case i's container process through the shim; resolves once it sent its datagram. */
  function startContainerProcess(state: string, sandbox: string, i: number): Promise<ChildProcess> {
    const cgroup = `/sys/fs/cgroup/pids/pcapk-${process.pid}-podn/${containerId(i)}`;
    removals.push(makeCgroup(cgroup));
    const command = ['ip', 'netns', 'exec', pair.a.ns.name, 'python3', '-c', SEND, pair.b.ip4, String(PORT + i)];
    const shim = CASES[i]!.throughRunc ? SHIM_THEN_RUNC : SHIM;
    const child = spawn('sh', ['-c', shim, 'shim', cgroup, ...command], {
      cwd: path.join(state, sandbox),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    removals.push(
      registerCleanup(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }),
    );
    let out = '';
    return new Promise((resolve, reject) => {
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('sent\n')) resolve(child);
      });
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.once('close', (code) => reject(new Error(`case ${i}'s process ended (${code}) before sending: ${out}`)));
    });
  }

  test('each packet names the pod its bundle says, and only what Kubernetes would accept', async () => {
    const state = path.join(dir, 'io.containerd.runtime.v2.task', 'k8s.io');
    const sandbox = 'ab'.repeat(32);
    fs.mkdirSync(path.join(state, sandbox), { recursive: true });
    CASES.forEach((c, i) => {
      fs.mkdirSync(path.join(state, containerId(i)));
      c.bundle(path.join(state, containerId(i), 'config.json'));
    });
    const children: ChildProcess[] = [];
    try {
      const run = await capture(
        ['--netns', pair.a.ns.name, '-i', pair.a.dev, '--processes', '-f', 'udp'],
        async () => {
          for (let i = 0; i < CASES.length; i++) children.push(await startContainerProcess(state, sandbox, i));
        },
        { dir, name: 'pod-names.pcapng' },
      );
      assertClean(run.file);
      const rows = fields(run.file, ['udp.dstport', 'frame.comment']);
      const ours = readFile(run.file).packets;
      assert.equal(rows.length, CASES.length, 'one datagram per case');
      for (const [i, [port, shown]] of rows.entries()) {
        const index = Number(port) - PORT;
        const c = CASES[index];
        assert.ok(c, `a datagram of the test: port ${port}`);
        const comment = shown!.replaceAll('\\n', '\n');
        assert.deepEqual(ours[i]!.comments, [comment], `${c.what}: tshark and our reader agree`);
        const lines = comment.split('\n');
        assert.match(lines[0]!, /^PID: \d+$/, c.what);
        assert.deepEqual(lines.slice(3), names(containerId(index), c.expected), c.what);
      }
    } finally {
      for (const child of children) child.stdin!.end();
      await Promise.all(
        children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(0) : c.once('close', resolve)))),
      );
    }
  });
});
