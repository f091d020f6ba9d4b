// The process a packet belongs to, as a capture states it: opt_comment options of the packet's
// Enhanced Packet Block in ptcpdump's style (Wireshark shows them as frame.comment), one comment
// per context, each a few "Key: value" lines:
//
//   PID: 1234\nCmd: /usr/bin/node\nArgs: node server.js
//   ThreadId: 1240\nThreadName: node-worker
//   UserId: 1000\nGroupId: 1000
//   ParentPID: 1\nParentCmd: /sbin/init\nParentArgs: /sbin/init
//   ContainerName: web\nContainerId: 3f2a…\nContainerImage: …\nContainerLabels: …
//   PodName: web-0\nPodNamespace: default\nPodUID: …\nPodLabels: …\nPodAnnotations: …
//
// A writer may also put the keys of several contexts in one comment ("PID: …\nCmd: …\nArgs:
// …\nContainerId: …"); the reader takes the lines of all comments alike. A packet without a
// "PID:" line has no process (the kernel made it, or it was forwarded). This file is the one
// definition of the form: parseProcessComments reads it for the display-filter fields (proc.*,
// container.*, and k8s.* where the interface names no pod), the Process column, the detail tree
// and pcap-summary; formatProcessComments writes it (tests, the dev page). PROCESS_FIELDS names
// the filterable values once, for the filter and the tree.
//
// Comments come from a capture file, so they are untrusted: only the first MAX_COMMENTS comments
// and MAX_LINES lines of each are read, values are cut at a bound, control and bidirectional
// formatting characters become U+FFFD, numbers must be plain decimals within the kernel's ranges,
// names of pods and namespaces must be names Kubernetes accepts (packet/k8s-pod.ts). Nothing here
// throws; the values are shown as text only.
//
// Runs in Node and in the browser.
import { isNamespaceName, isPodName, type PodRef } from './k8s-pod.js';

export interface ProcessInfo {
  pid: number;
  /** The executable, as the capture names it ("/usr/bin/node"); may be empty. */
  cmd: string;
  /** The command line, its arguments joined by spaces ("node server.js"); may be empty. */
  args: string;
  tid?: number;
  threadName?: string;
  uid?: number;
  ppid?: number;
  parentCmd?: string;
  containerId?: string;
  containerName?: string;
  podName?: string;
  podNamespace?: string;
}

/** Comments of one packet read at most; ptcpdump writes six contexts. */
export const MAX_COMMENTS = 16;
/** Lines of one comment read at most (ptcpdump's longest context has five). */
export const MAX_LINES = 32;
/** Longest path or command line kept (Linux's PATH_MAX); longer ones end in "…". */
export const MAX_COMMAND = 4096;
/** Longest name kept (thread, container). */
export const MAX_NAME = 256;
/** Highest PID or TID Linux hands out (PID_MAX_LIMIT on 64-bit kernels). */
export const PID_MAX = 4_194_304;
/** Longest key looked for ("PodAnnotations" is ptcpdump's longest). */
const MAX_KEY = 32;
/** Highest user id (uid_t is 32 bits; (uid_t)-1 means "none"). */
const UID_MAX = 4_294_967_294;

// biome-ignore lint/suspicious/noControlCharactersInRegex: exactly the characters a value must not carry
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** A container id as runtimes write it (64 hex digits for Docker and containerd), bounded, of
 *  characters a filter literal needs no escape for. */
const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const DECIMAL = /^(?:0|[1-9][0-9]{0,9})$/;

/** A text value as shown: bounded, tabs as spaces, unsafe characters replaced. */
function cleanText(value: string, max: number): string {
  const cut = value.length > max ? `${value.slice(0, max - 1)}…` : value;
  return cut.replaceAll('\t', ' ').replace(UNSAFE, '\uFFFD');
}

/** A decimal within [min, max], or undefined ("-1", "+5", "1e3", " 7", "99999999999" are not). */
function decimal(value: string, min: number, max: number): number | undefined {
  if (!DECIMAL.test(value)) return undefined;
  const n = Number(value);
  return n >= min && n <= max ? n : undefined;
}

/** The lines "Key: value" of a comment, at most MAX_LINES, keys first-seen wins. */
function collectLines(comment: string, into: Map<string, string>): void {
  let start = 0;
  for (let line = 0; line < MAX_LINES && start <= comment.length; line++) {
    let end = comment.indexOf('\n', start);
    if (end < 0) end = comment.length;
    // Keys are short words: a colon far into the line is part of a value, not a key's end.
    const keyed = comment.slice(start, Math.min(end, start + MAX_KEY + 1)).indexOf(':');
    const colon = start + keyed;
    if (keyed > 0) {
      const key = comment.slice(start, colon);
      let valueStart = colon + 1;
      if (comment.charCodeAt(valueStart) === 0x20) valueStart++;
      // A value longer than any kept is cut before anything else looks at it.
      let valueEnd = Math.min(end, valueStart + MAX_COMMAND + 1);
      if (comment.charCodeAt(valueEnd - 1) === 0x0d && valueEnd === end) valueEnd--; // CRLF
      if (!into.has(key)) into.set(key, comment.slice(valueStart, Math.max(valueStart, valueEnd)));
    }
    start = end + 1;
  }
}

/**
 * The process of a packet from its comments (CapturedPacket.comments), or undefined when they
 * name none. Never throws.
 */
export function parseProcessComments(comments: readonly string[] | undefined): ProcessInfo | undefined {
  if (!comments || comments.length === 0) return undefined;
  const lines = new Map<string, string>();
  const n = Math.min(comments.length, MAX_COMMENTS);
  for (let i = 0; i < n; i++) {
    const c = comments[i];
    if (typeof c === 'string') collectLines(c, lines);
  }
  const pidText = lines.get('PID');
  const pid = pidText === undefined ? undefined : decimal(pidText, 1, PID_MAX);
  if (pid === undefined) return undefined;
  const p: ProcessInfo = {
    pid,
    cmd: cleanText(lines.get('Cmd') ?? '', MAX_COMMAND),
    args: cleanText(lines.get('Args') ?? '', MAX_COMMAND),
  };
  const number = (key: string, min: number, max: number) => {
    const t = lines.get(key);
    return t === undefined ? undefined : decimal(t, min, max);
  };
  const text = (key: string, max: number) => {
    const t = lines.get(key);
    return t === undefined || t === '' ? undefined : cleanText(t, max);
  };
  const tid = number('ThreadId', 1, PID_MAX);
  if (tid !== undefined) p.tid = tid;
  const threadName = text('ThreadName', MAX_NAME);
  if (threadName !== undefined) p.threadName = threadName;
  const uid = number('UserId', 0, UID_MAX);
  if (uid !== undefined) p.uid = uid;
  const ppid = number('ParentPID', 1, PID_MAX);
  if (ppid !== undefined) p.ppid = ppid;
  const parentCmd = text('ParentCmd', MAX_COMMAND);
  if (parentCmd !== undefined) p.parentCmd = parentCmd;
  const containerId = lines.get('ContainerId');
  if (containerId !== undefined && CONTAINER_ID.test(containerId)) p.containerId = containerId;
  const containerName = text('ContainerName', MAX_NAME);
  if (containerName !== undefined) p.containerName = containerName;
  const podName = lines.get('PodName');
  const podNamespace = lines.get('PodNamespace');
  // A pod is taken whole or not at all: a name without its namespace names no pod.
  if (podName !== undefined && podNamespace !== undefined && isPodName(podName) && isNamespaceName(podNamespace)) {
    p.podName = podName;
    p.podNamespace = podNamespace;
  }
  return p;
}

/**
 * The comments a capture gives a packet of `p`, one per context as ptcpdump writes them; what
 * parseProcessComments reads back. For tests and the dev page (the agent writes its own, in C).
 */
export function formatProcessComments(p: ProcessInfo): string[] {
  const comments = [`PID: ${p.pid}\nCmd: ${p.cmd}\nArgs: ${p.args}`];
  if (p.tid !== undefined) comments.push(`ThreadId: ${p.tid}\nThreadName: ${p.threadName ?? ''}`);
  if (p.uid !== undefined) comments.push(`UserId: ${p.uid}`);
  if (p.ppid !== undefined) comments.push(`ParentPID: ${p.ppid}\nParentCmd: ${p.parentCmd ?? ''}`);
  if (p.containerId !== undefined)
    comments.push(`ContainerName: ${p.containerName ?? ''}\nContainerId: ${p.containerId}`);
  if (p.podName !== undefined && p.podNamespace !== undefined)
    comments.push(`PodName: ${p.podName}\nPodNamespace: ${p.podNamespace}`);
  return comments;
}

/** The last part of a path ("/usr/bin/node" → "node"). */
function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The command's base name (proc.name): of Cmd, else of the command line's first word. */
export function processName(p: ProcessInfo): string {
  return baseName(p.cmd) || baseName(p.args.split(' ', 1)[0] ?? '');
}

/** How the Process column shows a process: "node (1234)", or "PID 1234" without a name. */
export function processLabel(p: ProcessInfo): string {
  const name = processName(p);
  return name ? `${name} (${p.pid})` : `PID ${p.pid}`;
}

/** The pod the process runs in, when the comments name it. */
export function processPod(p: ProcessInfo): PodRef | undefined {
  return p.podName !== undefined && p.podNamespace !== undefined
    ? { namespace: p.podNamespace, pod: p.podName }
    : undefined;
}

/** A filterable value of a process: its display-filter name, the detail tree's title for it. */
export interface ProcessField {
  name: string;
  kind: 'number' | 'string';
  title: string;
  value(p: ProcessInfo): string | number | undefined;
}

/** The process's display-filter fields, in the order the detail tree lists them. Ours: Wireshark
 *  has none for processes. A field is absent when the capture does not say it. */
export const PROCESS_FIELDS: readonly ProcessField[] = [
  { name: 'proc.pid', kind: 'number', title: 'PID', value: (p) => p.pid },
  { name: 'proc.name', kind: 'string', title: 'Name', value: (p) => processName(p) || undefined },
  { name: 'proc.exe', kind: 'string', title: 'Executable', value: (p) => p.cmd || undefined },
  { name: 'proc.cmdline', kind: 'string', title: 'Command line', value: (p) => p.args || undefined },
  { name: 'proc.tid', kind: 'number', title: 'Thread ID', value: (p) => p.tid },
  { name: 'proc.thread', kind: 'string', title: 'Thread name', value: (p) => p.threadName },
  { name: 'proc.uid', kind: 'number', title: 'User ID', value: (p) => p.uid },
  { name: 'proc.ppid', kind: 'number', title: 'Parent PID', value: (p) => p.ppid },
  { name: 'proc.parent', kind: 'string', title: 'Parent', value: (p) => p.parentCmd },
  { name: 'container.id', kind: 'string', title: 'Container ID', value: (p) => p.containerId },
  { name: 'container.name', kind: 'string', title: 'Container name', value: (p) => p.containerName },
];
