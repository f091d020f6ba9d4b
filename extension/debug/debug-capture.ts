// Captures tied to debug sessions: when a session's debuggee is known (its pid), the traffic of
// this machine is captured on every interface that is up, restricted to that process and its
// descendants, in a live capture of its own; the debugger's pauses and continues become markers
// among its rows, and a Node.js launch's TLS keys go into the saved pcapng.
//
// One capture per top-level session: js-debug runs the debuggee in a child session of the one
// launched, so markers of child sessions go to their top-level session's capture.
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { CaptureManager } from '../capture-manager.js';
import type { CapturePanel } from '../panel/capture-panel.js';
import type { PacketStore } from '../store/packet-store.js';
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
import { HeldTlsSessions } from './tls-badge.js';
import { decryptionSecretsBlock, KeyLog } from './tls-keys.js';

export type CaptureTrafficSetting = 'ask' | 'always' | 'never';

/** How often, and how long, the launched process tree is looked for when no `process` event came. */
const PROCESS_POLL_MS = 200;
const PROCESS_POLL_LIMIT_MS = 60_000;

const CAPTURE = 'Capture';
const ALWAYS = 'Always';
const NEVER = 'Never';

/** The question before a debug session's capture; replaceable so a test can answer it. */
export type CaptureQuestion = (session: string, pid: number) => Thenable<string | undefined>;

const askInWindow: CaptureQuestion = (session, pid) =>
  vscode.window.showInformationMessage(`Capture the traffic of ${session} (pid ${pid})?`, CAPTURE, ALWAYS, NEVER);

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
  pid?: number;
  private polling?: NodeJS.Timeout;
  private ended = false;

  constructor(
    readonly session: vscode.DebugSession,
    private readonly owner: DebugCaptures,
    readonly keyLog: KeyLog | undefined,
  ) {
    this.state = new DebuggeeState((e) => this.owner.onDebuggee(this, this.session, e));
  }

  /** No `process` event: the launched process tree (DEBUG_SESSION_ENV), looked for a while. */
  lookForLaunchedProcess(token: string): void {
    const since = Date.now();
    const look = () => {
      if (this.ended || this.pid !== undefined) return;
      const pid = findLaunchedProcess(token);
      if (pid !== undefined) this.owner.foundPid(this, pid, 'the launched process tree');
      else if (Date.now() - since < PROCESS_POLL_LIMIT_MS) this.polling = setTimeout(look, PROCESS_POLL_MS);
    };
    look();
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
    markers: readonly DebugMarker[];
    keyLog?: KeyLog;
  } {
    const c = this.captures.get(rootOf(session).id) ?? this.ended.get(rootOf(session).id);
    return { panel: c?.panel, pid: c?.pid, markers: c?.timeline.markers ?? [], keyLog: c?.keyLog };
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
    const capture = new SessionCapture(session, this, keyLog);
    this.captures.set(session.id, capture);
    if (typeof token === 'string') capture.lookForLaunchedProcess(token);
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
        this.foundPid(capture, event.pid, 'the debug adapter');
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

  /** The debuggee is known: capture its traffic, if the user wants it. */
  foundPid(capture: SessionCapture, pid: number, from: string): void {
    if (capture.pid !== undefined) return;
    capture.pid = pid;
    this.manager.log(`Debug session ${capture.session.name}: debuggee pid ${pid} (from ${from}).`);
    void this.decideAndStart(capture, pid);
  }

  private async decideAndStart(capture: SessionCapture, pid: number): Promise<void> {
    let choice = setting();
    if (choice === 'ask') {
      const answer = await this.ask(capture.session.name, pid);
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
      await this.start(capture, pid);
    } catch (e) {
      void vscode.window.showErrorMessage(
        `Packet Capture: could not capture the traffic of ${capture.session.name}: ${(e as Error).message}`,
      );
    }
  }

  private async start(capture: SessionCapture, pid: number): Promise<void> {
    const local = this.manager.local;
    const interfaces = (await local.listInterfaces()).filter((i) => i.up).map((i) => i.name);
    const panel = await this.manager.newLivePanel();
    capture.panel = panel;
    void panel.onDidDispose.then(() => capture.keyLog?.remove());
    await panel.start({ target: local.info.id, interfaces, filter: '' }, { processes: true, pid });
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
  return {
    leadingBlocks: () => {
      comments = undefined; // a new file: placed again over the packets held now
      return keyLog?.secretsBlocks() ?? [];
    },
    commentFor: (p) => {
      comments ??= markerComments(timeline, timedPackets(store()));
      return comments.get(p.number);
    },
    secretsSince: (sent) => {
      keyLog?.read();
      const keys = keyLog?.keys ?? [];
      return { blocks: keys.length > sent ? [decryptionSecretsBlock(keys.slice(sent))] : [], sent: keys.length };
    },
  };
}

function timedPackets(store: PacketStore): TimedPackets {
  return {
    firstNumber: store.firstNumber,
    lastNumber: store.lastNumber,
    timeOf: (n) => store.packet(n)?.timestampNs,
  };
}
