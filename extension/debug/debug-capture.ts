// Captures tied to debug sessions: when a session's debuggee is known (its pid), the traffic of
// this machine is captured on every interface that is up, restricted to that process and its
// descendants, in a live capture of its own; the debugger's pauses and continues become markers
// among its rows, and a Node.js launch's TLS keys go into the saved pcapng. A debuggee reached
// through `kubectl port-forward` is in a pod: that pod's whole traffic is captured instead.
//
// One capture per top-level session: js-debug runs the debuggee in a child session of the one
// launched, so markers of child sessions go to their top-level session's capture.
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { CaptureManager } from '../capture-manager.js';
import type { PodTarget } from '../kubernetes/pod-target.js';
import type { CapturePanel } from '../panel/capture-panel.js';
import type { PacketStore } from '../store/packet-store.js';
import { type AttachDebuggee, attachDebuggee, debuggeeOnPort } from './attached-process.js';
import { type DebuggeeEvent, DebuggeeState } from './dap-events.js';
import { DEBUG_SESSION_ENV, findLaunchedProcess } from './launched-process.js';
import { MarkerLayout } from './marker-rows.js';
import {
  type DebugMarker,
  MarkerTimeline,
  markerComments,
  markerText,
  nowNs,
  pausedNumberRanges,
  type TimedPackets,
} from './markers.js';
import { loopbackListeners } from './port-listener.js';
import { HeldTlsSessions } from './tls-badge.js';
import { decryptionSecretsBlock, KeyLog } from './tls-keys.js';

export type CaptureTrafficSetting = 'ask' | 'always' | 'never';

/** How often, and how long, the launched process tree (or an attach port's listener) is looked for. */
const PROCESS_POLL_MS = 200;
const PROCESS_POLL_LIMIT_MS = 60_000;

const CAPTURE = 'Capture';
const ALWAYS = 'Always';
const NEVER = 'Never';

/** What a session's capture captures: a process of this machine, or the pod a port-forward reaches. */
export type Debuggee = { kind: 'process'; pid: number } | { kind: 'pod'; target: PodTarget };

/** "pid 4242", "pod NAMESPACE/NAME": how the question and the log name it. */
function debuggeeText(d: Debuggee): string {
  return d.kind === 'process' ? `pid ${d.pid}` : `pod ${d.target.pod.namespace}/${d.target.pod.name}`;
}

/** The question before a debug session's capture ("pid 4242", "pod ns/name"); replaceable so a
 *  test can answer it. */
export type CaptureQuestion = (session: string, debuggee: string) => Thenable<string | undefined>;

const askInWindow: CaptureQuestion = (session, debuggee) =>
  vscode.window.showInformationMessage(`Capture the traffic of ${session} (${debuggee})?`, CAPTURE, ALWAYS, NEVER);

function setting(): CaptureTrafficSetting {
  const value = vscode.workspace.getConfiguration('packetCapture.debug').get<string>('captureTraffic', 'ask');
  return value === 'always' || value === 'never' ? value : 'ask';
}

function rootOf(session: vscode.DebugSession): vscode.DebugSession {
  let s = session;
  while (s.parentSession) s = s.parentSession;
  return s;
}

/** A frame's source as a path of this side's file system (the extension host's): an adapter may
 *  give a URI instead (code-server's js-debug: vscode-remote://HOST/PATH). */
function localPath(source: string): string {
  if (!/^[a-z][\w+.-]+:\/\//i.test(source)) return source;
  const uri = vscode.Uri.parse(source);
  return uri.scheme === 'file' || uri.scheme === 'vscode-remote' ? uri.fsPath : source;
}

/** Node.js launch configurations take the key log through NODE_OPTIONS; others through SSLKEYLOGFILE. */
function isNode(config: vscode.DebugConfiguration): boolean {
  return config.type === 'node' || config.type === 'pwa-node';
}

/** NODE_OPTIONS with --tls-keylog added (quoted when the path needs it, as NODE_OPTIONS reads quotes). */
export function withTlsKeylog(nodeOptions: string | undefined, file: string): string {
  const option = /[\s"\\]/.test(file) ? `--tls-keylog="${file.replace(/(["\\])/g, '\\$1')}"` : `--tls-keylog=${file}`;
  return nodeOptions?.trim() ? `${nodeOptions} ${option}` : option;
}

/** One top-level debug session's capture. */
class SessionCapture {
  readonly timeline = new MarkerTimeline();
  readonly state: DebuggeeState;
  panel?: CapturePanel;
  debuggee?: Debuggee;
  private polling?: NodeJS.Timeout;
  private ended = false;

  constructor(
    readonly session: vscode.DebugSession,
    private readonly owner: DebugCaptures,
    readonly keyLog: KeyLog | undefined,
    /** What the attach configuration names as the debuggee: then it, not a `process` event, decides. */
    readonly attach: AttachDebuggee | undefined,
  ) {
    this.state = new DebuggeeState((e) => this.owner.onDebuggee(this, this.session, e));
  }

  get pid(): number | undefined {
    return this.debuggee?.kind === 'process' ? this.debuggee.pid : undefined;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** `look` until it finds (true), for a while: the process may not be there yet at the start. */
  private poll(look: () => boolean): void {
    const since = Date.now();
    const step = () => {
      if (this.ended || this.debuggee !== undefined) return;
      if (!look() && Date.now() - since < PROCESS_POLL_LIMIT_MS) this.polling = setTimeout(step, PROCESS_POLL_MS);
    };
    step();
  }

  /** No `process` event: the launched process tree (DEBUG_SESSION_ENV), looked for a while. */
  lookForLaunchedProcess(token: string): void {
    this.poll(() => {
      const pid = findLaunchedProcess(token);
      if (pid !== undefined) this.owner.found(this, { kind: 'process', pid }, 'the launched process tree');
      return pid !== undefined;
    });
  }

  /** An attach to a port of the loopback: the process that listens there, looked for a while. */
  lookForListener(port: number): void {
    this.poll(() => {
      const pids = loopbackListeners(port);
      if (pids.length > 0) void this.owner.foundListener(this, port, pids);
      return pids.length > 0;
    });
  }

  async end(): Promise<void> {
    this.ended = true;
    clearTimeout(this.polling);
    this.keyLog?.read();
    await this.panel?.stop(); // stopped, kept for saving as any stopped capture
    if (!this.panel) this.keyLog?.remove();
  }
}

export class DebugCaptures implements vscode.Disposable {
  private readonly captures = new Map<string, SessionCapture>();
  /** Captures of sessions that ended, while their capture is open (to be saved). */
  private readonly ended = new Map<string, SessionCapture>();
  /** Key logs made for launch configurations, by the session token put in their environment. */
  private readonly pendingKeyLogs = new Map<string, KeyLog>();
  private readonly disposables: vscode.Disposable[] = [];
  /** The question before a capture (a test answers it). */
  ask: CaptureQuestion = askInWindow;

  constructor(private readonly manager: CaptureManager) {
    this.disposables.push(
      vscode.debug.registerDebugConfigurationProvider('*', {
        resolveDebugConfigurationWithSubstitutedVariables: (_folder, config) => this.prepareLaunch(config),
      }),
      vscode.debug.registerDebugAdapterTrackerFactory('*', { createDebugAdapterTracker: (s) => this.tracker(s) }),
      vscode.debug.onDidStartDebugSession((s) => this.started(s)),
      vscode.debug.onDidTerminateDebugSession((s) => void this.terminated(s)),
    );
  }

  /** The capture of a debug session (its top-level session), for tests and commands. */
  captureOf(session: vscode.DebugSession): {
    panel?: CapturePanel;
    pid?: number;
    /** The pod captured, NAMESPACE/NAME, when the debuggee is behind a kubectl port-forward. */
    pod?: string;
    markers: readonly DebugMarker[];
    keyLog?: KeyLog;
  } {
    const c = this.captures.get(rootOf(session).id) ?? this.ended.get(rootOf(session).id);
    const pod = c?.debuggee?.kind === 'pod' ? c.debuggee.target.info.label : undefined;
    return { panel: c?.panel, pid: c?.pid, pod, markers: c?.timeline.markers ?? [], keyLog: c?.keyLog };
  }

  /** A launch gets the session token in its environment and, unless turned off, a TLS key log. */
  private prepareLaunch(config: vscode.DebugConfiguration): vscode.DebugConfiguration {
    if (config.request !== 'launch' || setting() === 'never') return config;
    const token = randomUUID();
    const env: Record<string, string | null> = { ...(config.env ?? {}), [DEBUG_SESSION_ENV]: token };
    if (vscode.workspace.getConfiguration('packetCapture.debug').get<boolean>('tlsKeys', true)) {
      const keyLog = KeyLog.create();
      this.pendingKeyLogs.set(token, keyLog);
      if (isNode(config)) env.NODE_OPTIONS = withTlsKeylog(env.NODE_OPTIONS ?? undefined, keyLog.file);
      else env.SSLKEYLOGFILE = keyLog.file;
    }
    return { ...config, env };
  }

  private tracker(session: vscode.DebugSession): vscode.DebugAdapterTracker {
    const capture = () => this.captures.get(rootOf(session).id);
    // Each session (a child session of js-debug, too) has its threads: a state of its own, whose
    // events go to the top-level session's capture.
    let state: DebuggeeState | undefined;
    const stateOf = () => {
      const c = capture();
      if (!c) return undefined;
      if (session === c.session) return c.state;
      state ??= new DebuggeeState((e) => this.onDebuggee(c, session, e));
      return state;
    };
    return {
      onDidSendMessage: (m) => stateOf()?.fromAdapter(m),
      onWillReceiveMessage: (m) => stateOf()?.toAdapter(m),
    };
  }

  private started(session: vscode.DebugSession): void {
    const token = (session.configuration.env as Record<string, unknown> | undefined)?.[DEBUG_SESSION_ENV];
    const keyLog = typeof token === 'string' ? this.pendingKeyLogs.get(token) : undefined;
    if (typeof token === 'string') this.pendingKeyLogs.delete(token);
    // A child session (js-debug's, of each process) belongs to its top-level session's capture; a
    // key log made for its configuration is not the one its process writes.
    if (session.parentSession || setting() === 'never') {
      keyLog?.remove();
      return;
    }
    // The resolved configuration: what every resolver (js-debug's own turns processId into a port)
    // and variable (${command:PickProcess}) made of it.
    const attach = attachDebuggee(session.configuration);
    const capture = new SessionCapture(session, this, keyLog, attach);
    this.captures.set(session.id, capture);
    if (typeof token === 'string') capture.lookForLaunchedProcess(token);
    else if (attach?.kind === 'pid') this.found(capture, { kind: 'process', pid: attach.pid }, 'its processId');
    else if (attach?.kind === 'port') capture.lookForListener(attach.port);
    else if (attach?.kind === 'remote')
      this.manager.log(
        `Debug session ${session.name} attaches to ${attach.host}:${attach.port}, not this machine: not captured.`,
      );
  }

  private async terminated(session: vscode.DebugSession): Promise<void> {
    const capture = this.captures.get(session.id);
    if (!capture) return;
    this.captures.delete(session.id);
    if (capture.panel) {
      this.ended.set(session.id, capture);
      void capture.panel.onDidDispose.then(() => this.ended.delete(session.id));
    }
    await capture.end();
  }

  onDebuggee(capture: SessionCapture, session: vscode.DebugSession, event: DebuggeeEvent): void {
    switch (event.kind) {
      case 'process':
        // An attach's adapter may name the pid as seen where the debuggee runs (another machine,
        // a pod's pid namespace): the configuration tells this machine's side.
        if (capture.attach)
          this.manager.log(
            `Debug session ${capture.session.name}: the adapter's pid ${event.pid} is not used; the attach configuration names the debuggee.`,
          );
        else this.found(capture, { kind: 'process', pid: event.pid }, 'the debug adapter');
        return;
      case 'paused':
        void this.paused(capture, session, event.reason, event.threadId);
        return;
      case 'continued':
        this.mark(capture, { timestampNs: nowNs(), kind: 'continued' });
        return;
      case 'ended':
        return; // the capture stops with the session (onDidTerminateDebugSession)
    }
  }

  /** A pause, at its time, with where it paused (the top stack frame, asked of the adapter). */
  private async paused(
    capture: SessionCapture,
    session: vscode.DebugSession,
    reason: string,
    threadId: number | undefined,
  ): Promise<void> {
    const timestampNs = nowNs();
    let source: DebugMarker['source'];
    try {
      if (threadId !== undefined) {
        const trace = await session.customRequest('stackTrace', { threadId, startFrame: 0, levels: 1 });
        const frame = trace?.stackFrames?.[0];
        if (typeof frame?.source?.path === 'string' && Number.isSafeInteger(frame.line))
          source = { path: localPath(frame.source.path), line: frame.line };
      }
    } catch (e) {
      this.manager.log(`Debug capture: no stack frame for the pause (${(e as Error).message}).`);
    }
    this.mark(capture, { timestampNs, kind: 'paused', reason, ...(source ? { source } : {}) });
  }

  private mark(capture: SessionCapture, marker: DebugMarker): void {
    capture.timeline.add(marker);
    this.manager.log(`Debug capture of ${capture.session.name}: ${markerText(marker)}`);
    const panel = capture.panel;
    if (!panel) return;
    // A display filter on debug.paused judged packets before this marker: judged again.
    if (panel.view.filterText.includes('debug.paused'))
      panel.setDisplayFilter(panel.view.filterText, panel.view.textSearch);
    panel.rowsChanged();
  }

  /** The process listening on an attach session's port: the debuggee, or a forward to it. */
  async foundListener(capture: SessionCapture, port: number, listeners: number[]): Promise<void> {
    const kubernetes = this.manager.kubernetes;
    const found = await debuggeeOnPort(port, listeners, (f) => kubernetes.kubectl(f.context, f.kubeconfig));
    if (capture.isEnded) return;
    if (found.kind === 'not captured')
      this.manager.log(`Debug session ${capture.session.name}: ${found.why}: not captured.`);
    else if (found.kind === 'process') this.found(capture, { kind: 'process', pid: found.pid }, found.from);
    else {
      const { context, kubeconfig } = found.forward;
      this.found(capture, { kind: 'pod', target: kubernetes.targetFor(context, found.pod, kubeconfig) }, found.from);
    }
  }

  /** The debuggee is known: capture its traffic, if the user wants it. */
  found(capture: SessionCapture, debuggee: Debuggee, from: string): void {
    if (capture.debuggee !== undefined) return;
    capture.debuggee = debuggee;
    this.manager.log(`Debug session ${capture.session.name}: debuggee ${debuggeeText(debuggee)} (from ${from}).`);
    void this.decideAndStart(capture, debuggee);
  }

  private async decideAndStart(capture: SessionCapture, debuggee: Debuggee): Promise<void> {
    let choice = setting();
    if (choice === 'ask') {
      const answer = await this.ask(capture.session.name, debuggeeText(debuggee));
      if (answer === ALWAYS || answer === NEVER)
        await vscode.workspace
          .getConfiguration('packetCapture.debug')
          .update('captureTraffic', answer === ALWAYS ? 'always' : 'never', vscode.ConfigurationTarget.Global);
      choice = answer === CAPTURE || answer === ALWAYS ? 'always' : 'never';
    }
    if (choice === 'never' || !this.captures.has(capture.session.id)) {
      capture.keyLog?.remove();
      return;
    }
    try {
      await this.start(capture, debuggee);
    } catch (e) {
      void vscode.window.showErrorMessage(
        `Packet Capture: could not capture the traffic of ${capture.session.name}: ${(e as Error).message}`,
      );
    }
  }

  private async start(capture: SessionCapture, debuggee: Debuggee): Promise<void> {
    const { target, interfaces, attribution } = await this.captureSpec(debuggee);
    const panel = await this.manager.newLivePanel();
    capture.panel = panel;
    void panel.onDidDispose.then(() => capture.keyLog?.remove());
    await panel.start({ target, interfaces, filter: '' }, attribution);
    // After start(), which clears what a previous capture of the panel had.
    panel.markers = new MarkerLayout(capture.timeline);
    panel.view.pausedNumbers = () => pausedNumberRanges(capture.timeline, timedPackets(panel.store));
    panel.extras = captureExtras(capture.timeline, capture.keyLog, () => panel.store);
    const keyLog = capture.keyLog;
    if (keyLog) {
      const sessions = new HeldTlsSessions(
        () => panel.store,
        () => keyLog.clientRandoms(),
      );
      panel.annotateDetail = (decoded, number) => sessions.annotate(decoded, number);
    }
    panel.rowsChanged();
  }

  /** A process: this machine's interfaces that are up, restricted to it and its descendants. A pod:
   *  the pod's own interfaces (its loopback, which carries the port-forward's debugger traffic, left
   *  out), every process of it: theirs are in the pod's pid namespace, not this machine's. */
  private async captureSpec(debuggee: Debuggee): Promise<{
    target: string;
    interfaces: string[];
    attribution: Parameters<CapturePanel['start']>[1];
  }> {
    if (debuggee.kind === 'pod') {
      const target = debuggee.target;
      return { target: target.info.id, interfaces: await target.defaultInterfaces(), attribution: {} };
    }
    const local = this.manager.local;
    const interfaces = (await local.listInterfaces()).filter((i) => i.up).map((i) => i.name);
    return { target: local.info.id, interfaces, attribution: { processes: true, pid: debuggee.pid } };
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    for (const c of this.captures.values()) void c.end();
    for (const k of this.pendingKeyLogs.values()) k.remove();
  }
}

/** What the saved pcapng carries: each marker as a comment on the packet nearest in time
 *  (markerComments), and the TLS keys in one Decryption Secrets Block before the first packet, so
 *  they precede every packet that needs them; a live stream gets them as they are learnt. */
function captureExtras(
  timeline: MarkerTimeline,
  keyLog: KeyLog | undefined,
  store: () => PacketStore,
): CapturePanel['extras'] {
  let comments: Map<number, string> | undefined;
  // The keys after the first `sent` as one block (all of them: sent 0).
  const secretsSince = (sent: number) => {
    keyLog?.read();
    const keys = keyLog?.keys ?? [];
    return { blocks: keys.length > sent ? [decryptionSecretsBlock(keys.slice(sent))] : [], sent: keys.length };
  };
  return {
    leadingBlocks: () => {
      comments = undefined; // a new file: placed again over the packets held now
      return secretsSince(0).blocks;
    },
    commentFor: (p) => {
      comments ??= markerComments(timeline, timedPackets(store()));
      return comments.get(p.number);
    },
    secretsSince,
  };
}

function timedPackets(store: PacketStore): TimedPackets {
  return {
    firstNumber: store.firstNumber,
    lastNumber: store.lastNumber,
    timeOf: (n) => store.packet(n)?.timestampNs,
  };
}
