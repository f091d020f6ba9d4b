// Owns the panels: the live capture panel, the file panels, which one is active, the status bar,
// saving, and the Wireshark hand-off.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  type ColoringRules,
  compileColoringRules,
  DEFAULT_COLORING_RULES,
  parseColoringRules,
} from '../packet/coloring-rules.js';
import { itemTarget, type MenuItem, menuPanel } from '../packet/context-menu.js';
import { customColumnProblem } from '../packet/custom-columns.js';
import type { FollowProtocol } from '../packet/decode/follow.js';
import { applyDecodeAs } from '../packet/decode/index.js';
import { type DecodeAsRule, decodeAsComment, formatDecodeAs, parseDecodeAs } from '../packet/decode-as.js';
import { captureFilterHint, type DisplayFilterError } from '../packet/display-filter.js';
import type { DisplayFilterCheck, FieldCompletion } from '../packet/filter-fields.js';
import {
  type CaptureFilterCheck,
  type ColumnWidthsByName,
  type CustomColumn,
  customColumnId,
  type DeepTreeEvent,
  MAX_CUSTOM_COLUMNS,
  type SortOrder,
  TABLE_COLUMN_TITLES,
  TABLE_COLUMNS,
  type TableColumn,
} from '../packet/protocol.js';
import { TIME_FORMAT_NAMES, TIME_FORMATS, type TimeFormat } from '../packet/time-format.js';
import { TsharkMissingError } from '../packet/tshark-filter.js';
import { CaptureFilterChecker } from './capture/capture-filter-check.js';
import { CaptureWriteError, type FileFormat, type PcapngExtras, writeCaptureFile } from './capture/capture-writer.js';
import { TempCaptures } from './capture/temp-captures.js';
import { DISCARD_ANSWER, REPLACE_QUESTION, SAVE_ANSWER } from './capture/unsaved-question.js';
import { packetCount } from './counts.js';
import { DeepTrees, NO_WIRESHARK_NOTE, wiresharkProgram } from './dissect/deep-tree.js';
import { loadCaptureFile } from './editor/capture-file-editor.js';
import { LIVE_CAPTURE_VIEW_TYPE, type LiveCaptureHost, liveCaptureUri } from './editor/live-capture-editor.js';
import { connectNodeAgent, NODE_AGENT } from './kubernetes/node-agent.js';
import type { PodTarget } from './kubernetes/pod-target.js';
import { WorkloadTarget } from './kubernetes/workload-target.js';
import { CapturePanel, type ExportScope, type PanelHost, type PanelSettings } from './panel/capture-panel.js';
import { FollowPanel } from './panel/follow-panel.js';
import { HierarchyPanel } from './panel/hierarchy-panel.js';
import { IoGraphPanel } from './panel/io-graph-panel.js';
import { StatisticsPanel } from './panel/statistics-panel.js';
import { captureContents } from './panel/table-rows.js';
import type { PacketStore } from './store/packet-store.js';
import type { WiresharkFilterStart } from './store/packet-view.js';
import { WiresharkFields } from './store/wireshark-fields.js';
import { checkWithTshark, startWiresharkFilter, type TsharkPlace, wiresharkJudging } from './store/wireshark-filter.js';
import { KubernetesTargets } from './targets/kubernetes-targets.js';
import { LocalTarget, listNetns } from './targets/local.js';
import {
  type Connector,
  directConnector,
  formatEndpoint,
  PcapOverTcpTarget,
  parseEndpoint,
} from './targets/pcap-over-tcp.js';
import { SshTargets } from './targets/ssh-targets.js';
import type { CaptureTarget } from './targets/target.js';
import { openFileInWireshark, pipeLiveToWireshark, wiresharkElsewhere } from './wireshark.js';

export interface ExportChoice extends vscode.QuickPickItem {
  scope: ExportScope;
}

/** The two questions "Save Capture As…" asks; replaceable so a test can answer them. */
export interface SavePrompts {
  pickScope(choices: ExportChoice[]): Thenable<ExportScope | undefined>;
  saveUri(options: vscode.SaveDialogOptions): Thenable<vscode.Uri | undefined>;
}

/** Where the table's column widths are kept, in the workspace's state. */
const COLUMN_WIDTHS_KEY = 'packetCapture.columnWidths';

const windowSavePrompts: SavePrompts = {
  pickScope: async (choices) =>
    (
      await vscode.window.showQuickPick(choices, {
        title: 'Save Capture As',
        placeHolder: 'Which packets? (as Wireshark’s Export Specified Packets)',
      })
    )?.scope,
  saveUri: (options) => vscode.window.showSaveDialog(options),
};

/** The questions the commands ask (a QuickPick, a modal confirmation); replaceable so a test can answer them. */
export interface CommandPrompts {
  pick<T extends vscode.QuickPickItem>(items: T[], options: vscode.QuickPickOptions): Thenable<T | undefined>;
  /** A modal question; the action chosen, undefined for Cancel. */
  ask<A extends string>(message: string, detail: string, ...actions: A[]): Thenable<A | undefined>;
}

const windowPrompts: CommandPrompts = {
  pick: (items, options) => vscode.window.showQuickPick(items, options),
  ask: (message, detail, ...actions) => vscode.window.showWarningMessage(message, { modal: true, detail }, ...actions),
};

/** The sentence before Wireshark starts on another machine than the one showing this window. */
function wiresharkElsewhereHere(): string | undefined {
  return wiresharkElsewhere({
    remoteName: vscode.env.remoteName,
    uiKind: vscode.env.uiKind === vscode.UIKind.Web ? 'web' : 'desktop',
    hostname: os.hostname(),
  });
}

/** The confirmation after a save. */
export function savedMessage(count: number, file: string): string {
  return `Saved ${packetCount(count)} to ${file}.`;
}

/** A name ending in .pcap is classic pcap; anything else pcapng. */
export function formatOfName(file: string): FileFormat {
  return file.toLowerCase().endsWith('.pcap') ? 'pcap' : 'pcapng';
}

/** The save dialog: a dated name in the workspace folder; the filter chosen gives the name its
 *  extension, and the extension decides the format. */
function saveDialogOptions(format?: FileFormat): vscode.SaveDialogOptions {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? os.homedir();
  return {
    defaultUri: vscode.Uri.file(path.join(folder, `capture-${stamp}.${format ?? 'pcapng'}`)),
    title: 'Save Capture As',
    filters: format === 'pcap' ? { pcap: ['pcap'] } : { pcapng: ['pcapng'], 'pcap (classic)': ['pcap'] },
  };
}

/** All, Displayed (N) when a display filter is set, Selected when a packet is. */
async function exportChoices(panel: CapturePanel): Promise<ExportChoice[]> {
  const choices: ExportChoice[] = [
    { scope: 'all', label: `All (${panel.store.held.toLocaleString('en-US')})`, description: 'every packet held' },
  ];
  const filter = panel.view.filterText;
  if (filter) {
    const shown = (await panel.view.shownNumbers()).length;
    choices.push({
      scope: 'displayed',
      label: `Displayed (${shown.toLocaleString('en-US')})`,
      description: `display filter: ${filter}`,
    });
  }
  const marked = panel.markedNumbers().length;
  if (marked > 0)
    choices.push({
      scope: 'marked',
      label: `Marked (${marked.toLocaleString('en-US')})`,
      description: 'the packets marked (Ctrl+M)',
    });
  const selected = panel.selectedPacket();
  if (selected !== undefined)
    choices.push({
      scope: 'selected',
      label: 'Selected (1)',
      description: `packet ${selected.toLocaleString('en-US')}`,
    });
  return choices;
}

function isRunning(panel: CapturePanel): boolean {
  return panel.status === 'starting' || panel.status === 'capturing' || panel.status === 'stopping';
}

/** The custom columns the setting names, each a field our decoders know (at most
 *  MAX_CUSTOM_COLUMNS); `problems` hears of those left out. */
function customColumnsSetting(value: unknown, problems: (line: string) => void): CustomColumn[] {
  if (!Array.isArray(value)) return [];
  const columns: CustomColumn[] = [];
  for (const item of value) {
    const field = typeof item === 'object' && item !== null ? (item as { field?: unknown }).field : undefined;
    const title = (item as { title?: unknown } | null)?.title;
    const problem = typeof field !== 'string' ? 'a column without a field' : (customColumnProblem(field) ?? undefined);
    if (problem) {
      problems(`packetCapture.columns: ${problem} It is left out.`);
      continue;
    }
    if (columns.length === MAX_CUSTOM_COLUMNS) {
      problems(
        `packetCapture.columns: more than ${MAX_CUSTOM_COLUMNS} columns; the first ${MAX_CUSTOM_COLUMNS} are shown.`,
      );
      break;
    }
    columns.push({
      field: field as string,
      ...(typeof title === 'string' && title.trim() ? { title: title.slice(0, 64) } : {}),
    });
  }
  return columns;
}

/** The setting's value as a format; anything else: seconds since the capture began. */
function timeFormatSetting(value: string | undefined): TimeFormat {
  return TIME_FORMATS.includes(value as TimeFormat) ? (value as TimeFormat) : 'relative';
}

export class CaptureManager implements PanelHost, LiveCaptureHost, vscode.Disposable {
  private readonly panels = new Set<CapturePanel>();
  /** Live captures by document URI: those with a panel, and those running in the background. */
  private readonly liveCaptures = new Map<string, { uri: vscode.Uri; panel: CapturePanel }>();
  /** URIs opened for a new capture, until their document opens. */
  private readonly freshCaptures = new Set<string>();
  private active?: CapturePanel;
  private readonly statusItem = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 50);
  private readonly localTarget: LocalTarget;
  private readonly netnsTargets = new Map<string, LocalTarget>();
  /** PCAP-over-TCP endpoints connected to in this window. */
  private readonly endpointTargets = new Map<string, PcapOverTcpTarget>();
  readonly output = vscode.window.createOutputChannel('Packet Capture');
  readonly ssh: SshTargets;
  readonly kubernetes: KubernetesTargets;
  /** Files written only to hand a capture to Wireshark: private, removed with their capture. */
  readonly tempCaptures = new TempCaptures();
  /** Wireshark's detail trees, through one warm sharkd for every panel, with the Decode As rules. */
  private readonly deepTrees = new DeepTrees({
    wiresharkPath: () => this.wiresharkPath,
    decodeAs: () => this.decodeAs,
    dissectorName: async (protocol) => (await this.wiresharkFields.catalogue())?.shortName(protocol),
  });
  /** Wireshark's display-filter names and verdicts, for the filter bar. */
  private readonly wiresharkFields: WiresharkFields;
  /** The questions Save asks (a QuickPick, the save dialog). */
  savePrompts: SavePrompts = windowSavePrompts;
  /** The questions List Interfaces, Remove SSH Host and Open in Wireshark ask. */
  prompts: CommandPrompts = windowPrompts;

  private readonly filterChecker: CaptureFilterChecker;

  /** packetCapture.decodeAs, as rules (what is not a rule is said in the log and left out). */
  decodeAs: DecodeAsRule[] = [];
  /** packetCapture.coloringRules, compiled (undefined: packetCapture.colorize is off). */
  coloring: ColoringRules | undefined;
  private readonly configListener: vscode.Disposable;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.decodeAs = this.readDecodeAs();
    applyDecodeAs(this.decodeAs);
    this.coloring = this.readColoring();
    this.configListener = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('packetCapture.decodeAs')) void this.decodeAsChanged();
      if (e.affectsConfiguration('packetCapture.coloringRules') || e.affectsConfiguration('packetCapture.colorize'))
        this.coloringChanged();
      if (e.affectsConfiguration('packetCapture.timeFormat'))
        for (const p of this.panels) p.timeFormatChanged(this.settings().timeFormat);
      if (e.affectsConfiguration('packetCapture.columns')) {
        const columns = this.settings().customColumns;
        for (const p of this.panels) p.customColumnsChanged(columns);
      }
    });
    this.filterChecker = new CaptureFilterChecker(context.extensionPath);
    this.wiresharkFields = new WiresharkFields({
      wiresharkPath: () => this.wiresharkPath,
      cacheDir: path.join(context.globalStorageUri.fsPath, 'wireshark-fields'),
      sharkdCheck: (text) => this.deepTrees.checkFilter(text),
      tsharkCheck: (text) => this.tsharkVerdict(text),
      log: (line) => this.log(line),
    });
    this.localTarget = new LocalTarget(context.extensionPath, this.askSudoPassword);
    this.ssh = new SshTargets(context, this.output);
    this.kubernetes = new KubernetesTargets(context.extensionPath, this.output);
    this.statusItem.command = 'packetCapture.showCaptures';
  }

  checkCaptureFilter(filter: string): CaptureFilterCheck {
    return this.filterChecker.check(filter);
  }

  get extensionUri(): vscode.Uri {
    return this.context.extensionUri;
  }

  private readonly askSudoPassword = async () =>
    vscode.window.showInputBox({
      title: 'Packet Capture',
      prompt: `Capturing needs root: sudo password for ${os.userInfo().username}`,
      password: true,
      ignoreFocusOut: true,
    });

  /** This machine, each of its named network namespaces, the SSH hosts, the PCAP-over-TCP endpoints. */
  targets(): CaptureTarget[] {
    const names = listNetns();
    for (const name of names) {
      if (!this.netnsTargets.has(name))
        this.netnsTargets.set(name, new LocalTarget(this.context.extensionPath, this.askSudoPassword, name));
    }
    return [
      this.localTarget,
      ...names.map((n) => this.netnsTargets.get(n)!),
      ...this.ssh.list(),
      ...this.kubernetes.list(),
      ...this.endpointTargets.values(),
    ];
  }

  /** Packet Capture: Capture Kubernetes Pod… — from the palette (context, namespace, pod), or from a
   *  pod or workload in the Kubernetes extension's explorer: the live panel with that pod chosen and
   *  its interfaces selected, ready to Start. */
  async capturePod(explorerNode?: unknown): Promise<void> {
    try {
      const target = explorerNode === undefined ? await this.kubernetes.pick() : await this.fromExplorer(explorerNode);
      if (!target) return;
      const interfaces =
        target instanceof WorkloadTarget
          ? [] // each pod's own
          : await vscode.window.withProgress(
              {
                location: vscode.ProgressLocation.Notification,
                title: `Packet Capture: preparing ${target.info.label}`,
              },
              () => target.defaultInterfaces(),
            );
      const panel = await this.showLivePanel();
      if (!panel.choose(target.info.id, interfaces))
        void vscode.window.showInformationMessage(
          `Packet Capture: a capture is running in the panel. Stop it to capture ${target.info.label}.`,
        );
    } catch (e) {
      void vscode.window.showErrorMessage(`Packet Capture: ${(e as Error).message}`);
    }
  }

  /** A pod from the explorer; for a workload with several pods, all of them merged or one of them. */
  private async fromExplorer(node: unknown): Promise<PodTarget | WorkloadTarget | undefined> {
    const found = await this.kubernetes.fromExplorer(node);
    if (!found) throw new Error('this item is not a pod or a workload');
    const { pods, workload } = found;
    if (pods.length === 0) throw new Error('no pod of this workload is running');
    if (pods.length === 1 && !workload) return pods[0];
    const choices: { label: string; description?: string; target: PodTarget | WorkloadTarget }[] = pods.map((t) => ({
      label: t.pod.name,
      description: t.pod.phase,
      target: t,
    }));
    if (workload)
      choices.unshift({ label: `All ${pods.length} pods`, description: 'merged in one capture', target: workload });
    const picked = await this.prompts.pick(choices, {
      title: 'Packet Capture: Capture Kubernetes Pod',
      placeHolder: 'Its pods together, or one of them',
    });
    return picked?.target;
  }

  /** Packet Capture: Capture Pod's Node from the In-Cluster Agent… — the pod chosen as for Capture
   *  Kubernetes Pod; the live panel reads its node's packets from the agent's DaemonSet pod there,
   *  through a port-forward, with the token of its Secret. */
  async captureNodeAgent(explorerNode?: unknown): Promise<void> {
    let chosen: PodTarget | WorkloadTarget | undefined;
    try {
      chosen =
        explorerNode === undefined
          ? await this.kubernetes.pick()
          : (await this.kubernetes.fromExplorer(explorerNode))?.pods[0];
    } catch (e) {
      void vscode.window.showErrorMessage(`Packet Capture: ${(e as Error).message}`);
      return;
    }
    if (!chosen) return;
    if (chosen instanceof WorkloadTarget) {
      void vscode.window.showErrorMessage('Packet Capture: the in-cluster agent reads one node: choose a pod.');
      return;
    }
    const pod = chosen;
    const { node, ip, namespace, name } = pod.pod;
    const kubectl = pod.kubectl;
    const via = `the in-cluster agent (${kubectl.options.context ?? 'current context'})`;
    const target = new PcapOverTcpTarget(
      { host: node, port: NODE_AGENT.port },
      () => connectNodeAgent(kubectl, node),
      via,
    );
    void vscode.window.showInformationMessage(
      `Packet Capture: every interface of node ${node}; ${namespace}/${name} is ${ip ?? 'without an address yet'}${ip ? ` (display filter: ip.addr == ${ip})` : ''}.`,
    );
    await this.startEndpointCapture(target);
  }

  /** Packet Capture: Connect to PCAP-over-TCP endpoint… — directly, or through an SSH host's local forward. */
  async connectPcapOverTcp(): Promise<void> {
    const local = { label: 'This machine', description: 'connect directly' };
    const viaSsh = { label: '$(remote) Through an SSH host…', description: 'an SSH local forward (ssh -L)' };
    const route = await vscode.window.showQuickPick([local, viaSsh], {
      title: 'Packet Capture: Connect to PCAP-over-TCP endpoint',
      placeHolder: 'Where is the endpoint reachable from?',
      // The first step of three: a focus that comes back late to the editor the palette was opened
      // from (a webview's, notably) must not close it.
      ignoreFocusOut: true,
    });
    if (!route) return;
    let via = 'this machine';
    let connector: Connector = directConnector;
    if (route === viaSsh) {
      const host = await this.ssh.pick('Packet Capture: Connect to PCAP-over-TCP endpoint through');
      if (!host) return;
      via = host.info.label;
      connector = async (e) => (await host.connection()).forwardOut(e.host, e.port);
    }
    const text = await vscode.window.showInputBox({
      title: 'Packet Capture: Connect to PCAP-over-TCP endpoint',
      prompt: `HOST:PORT serving a pcap stream, as seen from ${via} (e.g. the agent's PCA_SERVER_PORT)`,
      value: '127.0.0.1:',
      ignoreFocusOut: true,
      validateInput: (v) => {
        try {
          parseEndpoint(v);
          return undefined;
        } catch (e) {
          return (e as Error).message;
        }
      },
    });
    if (!text) return;
    await this.startEndpointCapture(new PcapOverTcpTarget(parseEndpoint(text), connector, via));
  }

  /** Shows the live panel reading from the endpoint. */
  async startEndpointCapture(target: PcapOverTcpTarget): Promise<void> {
    this.endpointTargets.set(target.info.id, target);
    const panel = await this.showLivePanel();
    try {
      await panel.start({ target: target.info.id, interfaces: [], filter: '' });
    } catch (e) {
      void vscode.window.showErrorMessage(
        `Packet Capture: ${formatEndpoint(target.endpoint)}: ${(e as Error).message}`,
      );
    }
  }

  addSshHost(): Promise<CaptureTarget | undefined> {
    return this.ssh.addHost();
  }

  /** Packet Capture: List Interfaces — this machine's; picking one opens the live panel with it selected, ready to Start. */
  async listInterfaces(): Promise<void> {
    const target = this.localTarget;
    let interfaces: Awaited<ReturnType<CaptureTarget['listInterfaces']>>;
    try {
      interfaces = await target.listInterfaces();
    } catch (e) {
      void vscode.window.showErrorMessage(`Packet Capture: cannot list interfaces: ${(e as Error).message}`);
      return;
    }
    const choice = await this.prompts.pick(
      interfaces.map((i) => ({
        label: i.name,
        description: i.up ? 'up' : 'down',
        detail: i.addresses.join('  ') || undefined,
      })),
      { title: 'Packet Capture: interfaces on this machine', placeHolder: 'Choose one to capture on' },
    );
    if (!choice) return;
    const panel = await this.showLivePanel();
    if (!panel.choose(target.info.id, [choice.label]))
      void vscode.window.showInformationMessage(
        `Packet Capture: a capture is running in the panel. Stop it to capture on ${choice.label}.`,
      );
  }

  /** Forgets an SSH host added with Add SSH Host… (the panel's Remove button, Remove SSH Host…). */
  async removeSshHost(id: string): Promise<void> {
    if (this.liveList().some((p) => p.runningTarget === id))
      throw new Error('A capture is running on this host: stop it before removing the host.');
    if (!(await this.ssh.forget(id)))
      throw new Error(
        `${id.replace(/^ssh:/, '')} was not added with "Add SSH Host…": a host from your SSH config stays in the list as long as it is in the config.`,
      );
    for (const p of this.liveList()) p.refreshTargets();
  }

  /** Packet Capture: Remove SSH Host… — a QuickPick of the hosts added with Add SSH Host…; the one removed. */
  async removeSshHostCommand(): Promise<string | undefined> {
    const removable = this.ssh.list().filter((t) => t.info.removable);
    if (removable.length === 0) {
      void vscode.window.showInformationMessage(
        'Packet Capture: there is no SSH host to remove. Only hosts added with "Add SSH Host…" can be removed; the hosts of your SSH config (~/.ssh/config) stay as long as they are in it.',
      );
      return undefined;
    }
    const choice = await this.prompts.pick(
      removable.map((t) => ({ label: t.info.label, description: t.info.description, id: t.info.id })),
      {
        title: 'Packet Capture: Remove SSH Host',
        placeHolder: 'The host to remove from the targets (hosts of your SSH config are not listed)',
      },
    );
    if (!choice) return undefined;
    try {
      await this.removeSshHost(choice.id);
      return choice.id;
    } catch (e) {
      void vscode.window.showErrorMessage(`Packet Capture: ${(e as Error).message}`);
      return undefined;
    }
  }

  settings(): PanelSettings {
    const c = vscode.workspace.getConfiguration('packetCapture');
    return {
      limits: {
        maxPackets: c.get<number>('maxPackets', 1_000_000),
        maxBytes: c.get<number>('maxMegabytes', 512) * 1024 * 1024,
        whenFull: c.get<string>('whenFull', 'dropOldest') === 'stop' ? 'stop' : 'drop-oldest',
      },
      snaplen: c.get<number>('snaplen', 262144),
      processes: c.get<boolean>('processes', true),
      timeFormat: timeFormatSetting(c.get<string>('timeFormat', 'relative')),
      columnWidths: this.context.workspaceState.get<ColumnWidthsByName>(COLUMN_WIDTHS_KEY),
      customColumns: customColumnsSetting(c.get('columns', []), (line) => this.log(line)),
    };
  }

  /** Apply as Column: `field` becomes the table's last custom column, in the workspace's settings
   *  when a folder is open (as the Time Display Format), else the user's. */
  async applyAsColumn(field: string): Promise<void> {
    const problem = customColumnProblem(field);
    if (problem) throw new Error(problem);
    const columns = this.settings().customColumns;
    if (columns.some((c) => c.field === field)) return;
    if (columns.length === MAX_CUSTOM_COLUMNS)
      throw new Error(`The table has ${MAX_CUSTOM_COLUMNS} custom columns already: remove one first.`);
    await this.updateColumns([...columns, { field }]);
  }

  async removeColumn(index: number): Promise<void> {
    const columns = this.settings().customColumns;
    if (!columns[index]) throw new Error('That column is no longer in the table.');
    await this.updateColumns(columns.filter((_, i) => i !== index));
  }

  private async updateColumns(columns: CustomColumn[]): Promise<void> {
    const target = vscode.workspace.workspaceFolders?.length
      ? vscode.ConfigurationTarget.Workspace
      : vscode.ConfigurationTarget.Global;
    await vscode.workspace.getConfiguration('packetCapture').update('columns', columns, target);
  }

  /** The table's column widths, for this workspace's next captures (as Wireshark keeps its
   *  layout in the profile). */
  async saveColumnWidths(widths: ColumnWidthsByName): Promise<void> {
    await this.context.workspaceState.update(COLUMN_WIDTHS_KEY, widths);
  }

  /** Every capture: the live ones (with a panel or in the background) and the files open. */
  get openPanels(): CapturePanel[] {
    return [...this.panels];
  }

  /** The live captures, with a panel or running in the background. */
  private liveList(): CapturePanel[] {
    return [...this.liveCaptures.values()].map((c) => c.panel);
  }

  /** The panel commands act on: the focused one, else a live one on screen. */
  get current(): CapturePanel | undefined {
    return this.active ?? this.liveList().find((p) => p.webviewPanel);
  }

  private track(panel: CapturePanel): CapturePanel {
    this.panels.add(panel);
    void panel.onDidDispose.then(() => {
      this.panels.delete(panel);
      if (this.active === panel) this.active = undefined;
      for (const [key, c] of this.liveCaptures) if (c.panel === panel) this.liveCaptures.delete(key);
      this.tempCaptures.release(panel);
      this.updateStatusBar();
    });
    return panel;
  }

  onDidFocusPanel(panel: CapturePanel): void {
    this.active = panel;
  }

  onDidClosePanel(panel: CapturePanel): void {
    if (this.active === panel) this.active = undefined;
    // A file's panel is all there is of it. A live capture ends with its document (closeLiveCapture).
    if (panel.mode === 'file') panel.dispose();
    this.updateStatusBar();
  }

  /** "Start Capture…": the live panel on screen, else a new capture document. */
  async showLivePanel(): Promise<CapturePanel> {
    const shown = this.liveList().find((p) => p.webviewPanel);
    if (shown) {
      shown.webviewPanel?.reveal();
      return shown;
    }
    return this.newLivePanel();
  }

  /** A new capture document and its panel, whatever else is on screen (a debug session's capture). */
  async newLivePanel(): Promise<CapturePanel> {
    const uri = this.newCaptureUri();
    this.freshCaptures.add(uri.toString());
    return this.openLiveDocument(uri);
  }

  /** This machine: a debug session's capture runs here. */
  get local(): LocalTarget {
    return this.localTarget;
  }

  /** A debugger marker's source line (a path, or a URI an adapter gave), beside the capture. */
  async openSource(file: string, line: number): Promise<void> {
    const position = new vscode.Position(Math.max(0, line - 1), 0);
    const uri = /^[a-z][\w+.-]+:\/\//i.test(file) ? vscode.Uri.parse(file) : vscode.Uri.file(file);
    await vscode.window.showTextDocument(uri, {
      viewColumn: vscode.ViewColumn.Beside,
      selection: new vscode.Range(position, position),
    });
  }

  /** A capture URI no tab (a capture restored by hot exit, maybe not shown yet) or background capture uses. */
  private newCaptureUri(): vscode.Uri {
    const taken = new Set(this.liveCaptures.keys());
    for (const group of vscode.window.tabGroups.all)
      for (const tab of group.tabs)
        if (tab.input instanceof vscode.TabInputCustom && tab.input.viewType === LIVE_CAPTURE_VIEW_TYPE)
          taken.add(tab.input.uri.toString());
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? os.homedir();
    for (let n = 1; ; n++) {
      const uri = liveCaptureUri(n, folder);
      if (!taken.has(uri.toString())) return uri;
    }
  }

  private async openLiveDocument(uri: vscode.Uri): Promise<CapturePanel> {
    await vscode.commands.executeCommand('vscode.openWith', uri, LIVE_CAPTURE_VIEW_TYPE);
    const panel = this.liveCaptures.get(uri.toString())?.panel;
    if (!panel) throw new Error(`The capture panel for ${uri.path.slice(1)} did not open.`);
    return panel;
  }

  async openLiveCapture(uri: vscode.Uri, backup: vscode.Uri | undefined): Promise<CapturePanel> {
    const running = this.liveCaptures.get(uri.toString());
    if (running) return running.panel; // reopened from the background
    const keepRunning = vscode.workspace
      .getConfiguration('packetCapture')
      .get<boolean>('keepCapturingWhenClosed', false);
    const panel = this.track(new CapturePanel(this, 'live', path.basename(uri.path, '.pcapng'), { keepRunning }));
    this.liveCaptures.set(uri.toString(), { uri, panel });
    if (backup) await this.restore(panel, backup);
    return panel;
  }

  /** A capture VS Code backed up before it closed (hot exit): its packets, unsaved, not running. */
  private async restore(panel: CapturePanel, backup: vscode.Uri): Promise<void> {
    try {
      await loadCaptureFile(panel, backup);
      panel.unsaved = true;
      panel.fileRead(
        'stopped',
        `Restored after VS Code restarted: ${packetCount(panel.store.held)}, not saved yet. The capture is not running.`,
      );
    } catch (e) {
      panel.fileRead('error', `Could not restore the capture VS Code backed up: ${(e as Error).message}`);
    }
  }

  closeLiveCapture(panel: CapturePanel): 'ended' | 'background' {
    if (panel.keepRunning && isRunning(panel)) {
      this.log(`${panel.title} keeps running in the background (its panel closed).`);
      this.updateStatusBar();
      return 'background';
    }
    panel.dispose();
    return 'ended';
  }

  takeFresh(uri: vscode.Uri): boolean {
    return this.freshCaptures.delete(uri.toString());
  }

  /** Where a live capture is shown: its panel, opened again when it runs in the background. */
  async showCapture(panel: CapturePanel): Promise<void> {
    if (panel.webviewPanel) {
      panel.webviewPanel.reveal();
      return;
    }
    const uri = this.liveUri(panel);
    if (uri) await this.openLiveDocument(uri);
  }

  /** The status bar item's click: the one capture it counts, or a choice among them. */
  async showCaptures(): Promise<void> {
    const shown = this.statusBarCaptures();
    if (shown.length <= 1) {
      if (shown[0]) await this.showCapture(shown[0]);
      return;
    }
    const choice = await this.prompts.pick(
      shown.map((panel) => ({ label: panel.title, description: this.describe(panel), panel })),
      { title: 'Packet Capture: captures', placeHolder: 'The capture to show' },
    );
    if (choice) await this.showCapture(choice.panel);
  }

  createFilePanel(webviewPanel: vscode.WebviewPanel, uri: vscode.Uri): CapturePanel {
    const panel = this.track(new CapturePanel(this, 'file', path.basename(uri.path)));
    panel.file = uri;
    panel.attach(webviewPanel);
    return panel;
  }

  /** Packet Capture: Stop Capture — every capture this window started, on screen or in the background. */
  async stopCapture(): Promise<void> {
    const running = this.liveList().filter((p) => p.status === 'capturing' || p.status === 'starting');
    if (running.length === 0) {
      void vscode.window.showInformationMessage('Packet Capture: no capture is running.');
      return;
    }
    await Promise.all(running.map((p) => p.stop()));
  }

  /** Before a new capture replaces unsaved packets: Wireshark's question (packetCapture.askToSaveBeforeNewCapture). */
  async confirmReplace(panel: CapturePanel): Promise<boolean> {
    const ask = vscode.workspace.getConfiguration('packetCapture').get<boolean>('askToSaveBeforeNewCapture', true);
    if (!ask || !panel.unsaved || panel.store.held === 0) return true;
    const answer = await this.prompts.ask(
      REPLACE_QUESTION,
      `The ${packetCount(panel.store.held)} of ${panel.title} will be lost if you don't save them.`,
      SAVE_ANSWER,
      DISCARD_ANSWER,
    );
    if (answer === DISCARD_ANSWER) return true;
    return answer === SAVE_ANSWER && (await this.saveWhole(panel));
  }

  async saveWhole(panel: CapturePanel, destination?: vscode.Uri): Promise<boolean> {
    const uri = destination ?? (await this.savePrompts.saveUri(saveDialogOptions()));
    if (!uri) return false;
    // The file holds the whole capture, as Wireshark saves one: after it stopped.
    if (isRunning(panel)) await panel.stop();
    return (await this.saveTo(panel, uri, formatOfName(uri.fsPath))) !== undefined;
  }

  /** The live capture document showing `panel`, while it has one. */
  private liveUri(panel: CapturePanel): vscode.Uri | undefined {
    return [...this.liveCaptures.values()].find((c) => c.panel === panel)?.uri;
  }

  /** Packet Capture: Save Capture As… (and the panel's Save button): which packets, where, which format. */
  async save(panel: CapturePanel | undefined = this.current, format?: FileFormat): Promise<number | undefined> {
    if (!panel || panel.store.held === 0) {
      void vscode.window.showInformationMessage('Packet Capture: there are no packets to save.');
      return undefined;
    }
    const choices = await exportChoices(panel);
    // One choice (all packets: no display filter, nothing selected) is no question.
    const scope = choices.length === 1 ? choices[0]!.scope : await this.savePrompts.pickScope(choices);
    if (!scope) return undefined;
    const live = this.liveUri(panel);
    // A live capture saved whole is the document saved: VS Code's Save (its dialog), after which the
    // tab is the file and VS Code no longer counts the capture as unsaved.
    if (scope === 'all' && live && panel.webviewPanel) {
      const saved = await vscode.workspace.save(live);
      return saved ? panel.store.held : undefined;
    }
    const uri = await this.savePrompts.saveUri(saveDialogOptions(format));
    if (!uri) return undefined;
    return this.saveTo(panel, uri, format ?? formatOfName(uri.fsPath), scope);
  }

  /** Writes the packets of `scope` to `uri`; the number written, or undefined when it failed (said to the user). */
  async saveTo(
    panel: CapturePanel,
    uri: vscode.Uri,
    format: FileFormat,
    scope: ExportScope = 'all',
  ): Promise<number | undefined> {
    try {
      const receivedBefore = panel.store.received;
      const numbers = await panel.exportNumbers(scope);
      const count = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Saving ${path.basename(uri.fsPath)}` },
        (p) => {
          let reported = 0;
          return writeCaptureFile(panel.store, uri.fsPath, format, {
            numbers,
            extras: this.fileExtras(panel),
            progress: (fraction) => {
              const pct = Math.min(100, Math.floor(fraction * 100));
              if (pct > reported) p.report({ increment: pct - reported });
              reported = Math.max(reported, pct);
            },
          });
        },
      );
      if (scope === 'all') {
        panel.file = uri;
        // Packets that arrived while it was written are not in the file.
        if (panel.store.received === receivedBefore) panel.unsaved = false;
      }
      void vscode.window.showInformationMessage(savedMessage(count, uri.fsPath));
      return count;
    } catch (e) {
      const message = e instanceof CaptureWriteError ? e.message : `Could not save: ${(e as Error).message}`;
      void vscode.window.showErrorMessage(message);
      return undefined;
    }
  }

  /** The Wireshark to run: a machine setting (package.json), so never a cloned workspace's choice. */
  get wiresharkPath(): string {
    return vscode.workspace.getConfiguration('packetCapture').get<string>('wiresharkPath', 'wireshark');
  }

  /** tshark: beside the Wireshark of packetCapture.wiresharkPath when that is a path, else on PATH. */
  get tsharkPath(): string {
    return wiresharkProgram(this.wiresharkPath, 'tshark');
  }

  completeField(prefix: string): Promise<FieldCompletion[]> {
    return this.wiresharkFields.complete(prefix);
  }

  checkDisplayFilter(text: string): Promise<DisplayFilterCheck> {
    return this.wiresharkFields.check(text);
  }

  private tsharkPlace(): TsharkPlace {
    return { tshark: this.tsharkPath, tmpdir: this.tempCaptures.privateFolder(), decodeAs: this.decodeAs };
  }

  /** tshark's verdict on a filter (WiresharkFields asks when sharkd cannot answer): its message,
   *  or undefined when it accepts the filter or is not there. */
  private async tsharkVerdict(text: string): Promise<string | undefined> {
    try {
      await checkWithTshark(this.tsharkPlace(), text);
      return undefined;
    } catch (e) {
      return e instanceof TsharkMissingError ? undefined : (e as Error).message;
    }
  }

  async wiresharkFilter(store: PacketStore, text: string, refused: DisplayFilterError): Promise<WiresharkFilterStart> {
    const place = this.tsharkPlace();
    let start: WiresharkFilterStart;
    if (await this.wiresharkFields.catalogue()) {
      // Wireshark's names at hand: a name it does not know either is refused without a tshark, and
      // the filter is checked by the warm sharkd.
      const verdict = await this.wiresharkFields.check(text);
      if (!verdict.ok) throw new Error(verdict.error);
      start = wiresharkJudging(store, place, text);
    } else {
      try {
        start = await startWiresharkFilter(store, place, text);
      } catch (e) {
        if (e instanceof TsharkMissingError)
          throw refused.withHint(
            `Wireshark knows more protocols, and ${e.message}: install it (tshark), or set packetCapture.wiresharkPath.`,
          );
        const hint = captureFilterHint(text);
        throw new Error(`${(e as Error).message}${hint ? ` ${hint}` : ''}`);
      }
    }
    this.log(
      `Display filter "${text}": judged by ${place.tshark} (${refused.unknownName === undefined ? 'syntax' : 'a field'} this extension's decoders do not know).`,
    );
    return start;
  }

  async openInWireshark(panel: CapturePanel | undefined = this.current): Promise<void> {
    if (!panel) {
      void vscode.window.showInformationMessage('Packet Capture: open or start a capture first.');
      return;
    }
    const wireshark = this.wiresharkPath;
    const elsewhere = wiresharkElsewhereHere();
    if (
      elsewhere &&
      (await this.prompts.ask(
        elsewhere,
        'It opens on that machine’s display, if it has one. To look at the packets here, save the capture and open the file with a Wireshark on this computer.',
        'Continue',
      )) !== 'Continue'
    )
      return;
    try {
      if (panel.status === 'capturing' || panel.status === 'starting') {
        await pipeLiveToWireshark(wireshark, panel, elsewhere, this.decodeAs);
      } else if (panel.file?.scheme === 'file' && !panel.unsaved) {
        await openFileInWireshark(wireshark, panel.file.fsPath, elsewhere, this.decodeAs);
      } else {
        const file = await this.tempCaptures.write(panel, panel.store, this.fileExtras(panel));
        await openFileInWireshark(wireshark, file, elsewhere, this.decodeAs);
      }
    } catch (e) {
      // Not awaited: the command ends now, whether or not the user ever answers the notification.
      void vscode.window.showErrorMessage((e as Error).message, 'Open Settings').then((choice) => {
        if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'packetCapture.wiresharkPath');
      });
    }
  }

  /** Follow Stream's tabs, open beside their captures. */
  readonly followPanels = new Set<FollowPanel>();

  followStream(panel: CapturePanel, protocol: FollowProtocol, stream: number, previousFilter: string): void {
    const open = [...this.followPanels].find(
      (f) => f.capture === panel && f.protocol === protocol && f.stream === stream,
    );
    if (open) {
      open.reveal();
      return;
    }
    const follow = new FollowPanel(
      { extensionUri: this.extensionUri, saveUri: (o) => this.savePrompts.saveUri(o), log: (l) => this.log(l) },
      panel,
      protocol,
      stream,
      previousFilter,
    );
    this.followPanels.add(follow);
    follow.onDidDispose(() => this.followPanels.delete(follow));
  }

  /** Statistics → Conversations tabs, open beside their captures. */
  readonly statisticsPanels = new Set<StatisticsPanel>();

  showConversations(panel: CapturePanel | undefined = this.current): void {
    this.showTab(this.statisticsPanels, panel, (p) => new StatisticsPanel(this.tabHost, p));
  }

  /** `panel`'s tab among `tabs`: shown when open, else opened by `open` beside the capture. */
  private showTab<T extends { capture: unknown; reveal(): void; onDidDispose: vscode.Event<void> }>(
    tabs: Set<T>,
    panel: CapturePanel | undefined,
    open: (panel: CapturePanel) => T,
  ): void {
    if (!panel) {
      void vscode.window.showInformationMessage('Packet Capture: open or start a capture first.');
      return;
    }
    const shown = [...tabs].find((t) => t.capture === panel);
    if (shown) {
      shown.reveal();
      return;
    }
    const tab = open(panel);
    tabs.add(tab);
    tab.onDidDispose(() => tabs.delete(tab));
  }

  private get tabHost() {
    return { extensionUri: this.extensionUri, log: (line: string) => this.log(line) };
  }

  /** Statistics → I/O Graph tabs, open beside their captures. */
  readonly ioGraphPanels = new Set<IoGraphPanel>();

  showIoGraph(panel: CapturePanel | undefined = this.current): void {
    this.showTab(this.ioGraphPanels, panel, (p) => new IoGraphPanel(this.tabHost, p));
  }

  /** Statistics → Protocol Hierarchy tabs, open beside their captures. */
  readonly hierarchyPanels = new Set<HierarchyPanel>();

  showProtocolHierarchy(panel: CapturePanel | undefined = this.current): void {
    this.showTab(this.hierarchyPanels, panel, (p) => new HierarchyPanel(this.tabHost, p));
  }

  /** Sort Packets…: a header's click from the keyboard. The active capture's columns (Pod and
   *  Process when it has them, its custom columns), each either way, or packet order. */
  async chooseSort(): Promise<void> {
    const panel = this.current;
    if (!panel) {
      void vscode.window.showInformationMessage('Packet Capture: open or start a capture first.');
      return;
    }
    const { pods, processes } = captureContents(panel.store);
    const builtIn = TABLE_COLUMNS.filter((c) => (c !== 'pod' || pods) && (c !== 'process' || processes));
    const columns: [TableColumn, string][] = [
      ...builtIn.map((c): [TableColumn, string] => [c, TABLE_COLUMN_TITLES[c]]),
      ...panel.customColumns.map((c, i): [TableColumn, string] => [customColumnId(i), c.title ?? c.field]),
    ];
    const current = panel.sortOrder;
    const items = [
      { label: 'Packet order', sort: undefined as SortOrder | undefined },
      ...columns.flatMap(([column, title]) =>
        [false, true].map((descending) => ({
          label: `${title}, ${descending ? 'descending' : 'ascending'}`,
          sort: { column, descending },
        })),
      ),
    ].map((item) => ({
      ...item,
      ...(item.sort?.column === current?.column && item.sort?.descending === current?.descending
        ? { description: 'current' }
        : {}),
    }));
    const picked = await this.prompts.pick(items, { title: 'Sort Packets', placeHolder: 'Sort the table by…' });
    if (picked) panel.sortRows(picked.sort);
  }

  /** View → Time Display Format: picks the Time column's format (the setting, in the workspace
   *  when one is open). */
  async chooseTimeFormat(): Promise<void> {
    const current = this.settings().timeFormat;
    const picked = await this.prompts.pick(
      TIME_FORMATS.map((format) => ({
        label: TIME_FORMAT_NAMES[format],
        format,
        ...(format === current ? { description: 'current' } : {}),
      })),
      { title: 'Time Display Format', placeHolder: 'The packet table’s Time column shows…' },
    );
    if (!picked) return;
    const target = vscode.workspace.workspaceFolders?.length
      ? vscode.ConfigurationTarget.Workspace
      : vscode.ConfigurationTarget.Global;
    await vscode.workspace.getConfiguration('packetCapture').update('timeFormat', picked.format, target);
  }

  /** Go to Packet (Ctrl+G): asks for a packet number and selects it in the active capture. */
  async goToPacket(): Promise<void> {
    const panel = this.current;
    if (!panel || panel.store.held === 0) {
      void vscode.window.showInformationMessage('Packet Capture: open or start a capture with packets first.');
      return;
    }
    const { firstNumber, lastNumber } = panel.store;
    const text = await vscode.window.showInputBox({
      title: 'Go to Packet',
      prompt: `A packet number, ${firstNumber}–${lastNumber}`,
      validateInput: (v) => {
        const n = Number(v.trim());
        return Number.isSafeInteger(n) && n >= firstNumber && n <= lastNumber
          ? undefined
          : `A whole number from ${firstNumber} to ${lastNumber}.`;
      },
    });
    if (text !== undefined) panel.goToPacket(Number(text.trim()));
  }

  /** Steps through a conversation one after another: each from where the one before went. */
  private conversationSteps: Promise<void> = Promise.resolve();

  /** Next / Previous Packet in Conversation (Ctrl+. / Ctrl+,) from the selected packet. */
  packetInConversation(step: 1 | -1): Promise<void> {
    this.conversationSteps = this.conversationSteps.then(() => this.stepInConversation(step));
    return this.conversationSteps;
  }

  private async stepInConversation(step: 1 | -1): Promise<void> {
    const panel = this.current;
    if (!panel || panel.selectedNumber === undefined) {
      void vscode.window.showInformationMessage('Packet Capture: select a TCP or UDP packet in a capture first.');
      return;
    }
    try {
      const next = await panel.conversationNeighbour(panel.selectedNumber, step);
      if (next === undefined)
        vscode.window.setStatusBarMessage(
          `Packet Capture: no ${step > 0 ? 'next' : 'previous'} packet of this conversation in the view.`,
          4000,
        );
      else {
        // Selected now (the view shows it), so a key pressed again steps on from here.
        panel.selectedNumber = next;
        panel.goToPacket(next);
      }
    } catch (e) {
      void vscode.window.showInformationMessage(`Packet Capture: ${(e as Error).message}`);
    }
  }

  async copyText(text: string): Promise<void> {
    await vscode.env.clipboard.writeText(text);
  }

  /** An item of a capture's context menu was chosen: the panel the menu was opened in does it, on
   *  what the menu was opened on (VS Code hands over the webview's context, checked here). */
  runMenuItem(item: MenuItem, context: unknown): void {
    const target = itemTarget(item, context);
    const id = menuPanel(context);
    const panel = this.openPanels.find((p) => p.id === id);
    if (!target || !panel) {
      void vscode.window.showInformationMessage("Packet Capture: this command runs from a capture's context menu.");
      return;
    }
    panel.menuAction(item.action, target);
  }

  /** Mark/Unmark Packet (Ctrl+M): the packet selected in the active capture. */
  markSelectedPacket(): void {
    const panel = this.current;
    const number = panel?.selectedPacket();
    if (!panel || number === undefined) {
      void vscode.window.showInformationMessage('Packet Capture: select a packet in a capture first.');
      return;
    }
    panel.toggleMark(number);
  }

  /** Unmark All Packets (Ctrl+Alt+M) of the active capture. */
  unmarkAllPackets(): void {
    this.current?.unmarkAll();
  }

  /** Ignore/Unignore Packet (Ctrl+D): the packet selected in the active capture. */
  async ignoreSelectedPacket(): Promise<void> {
    const panel = this.current;
    const number = panel?.selectedPacket();
    if (!panel || number === undefined) {
      void vscode.window.showInformationMessage('Packet Capture: select a packet in a capture first.');
      return;
    }
    await this.redissecting(panel, () => panel.toggleIgnore(number));
  }

  /** Ignore All Displayed (Ctrl+Shift+D): every packet the active capture's view shows. */
  async ignoreAllDisplayed(): Promise<void> {
    const panel = this.current;
    if (panel) await this.redissecting(panel, () => panel.ignoreDisplayed());
  }

  /** Unignore All Packets (Ctrl+Alt+D) of the active capture. */
  async unignoreAllPackets(): Promise<void> {
    const panel = this.current;
    if (panel) await this.redissecting(panel, () => panel.unignoreAll());
  }

  /** Runs a change that dissects every packet again, with the window's progress while it does. */
  private redissecting(panel: CapturePanel, change: () => Promise<void>): Thenable<void> {
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `Dissecting "${panel.title}" again` },
      async () => {
        await new Promise(setImmediate); // the progress shows before the dissection holds the thread
        await change();
      },
    );
  }

  /** Next / Previous Marked Packet (Ctrl+Shift+N / B) from the selected packet, or from either
   *  end when none is selected. */
  async markedPacket(step: 1 | -1): Promise<void> {
    const panel = this.current;
    if (!panel) return;
    const from = panel.selectedPacket() ?? (step > 0 ? 0 : Number.MAX_SAFE_INTEGER);
    const next = await panel.markedNeighbour(from, step);
    if (next === undefined) {
      vscode.window.setStatusBarMessage(
        `Packet Capture: no ${step > 0 ? 'next' : 'previous'} marked packet in the view.`,
        4000,
      );
      return;
    }
    panel.selectedNumber = next; // a key pressed again steps on from here
    panel.goToPacket(next);
  }

  /** The command: follows the stream of the packet selected in the active capture. */
  followSelectedStream(): void {
    const panel = this.current;
    if (!panel || panel.selectedNumber === undefined) {
      void vscode.window.showInformationMessage('Packet Capture: select a TCP or UDP packet in a capture first.');
      return;
    }
    try {
      panel.followStream(panel.selectedNumber);
    } catch (e) {
      void vscode.window.showInformationMessage(`Packet Capture: ${(e as Error).message}`);
    }
  }

  async deepTree(panel: CapturePanel, number: number, wanted: () => boolean): Promise<DeepTreeEvent | undefined> {
    const tree = await this.deepTrees.treeOf(panel.store, number, panel.extras, wanted);
    if (tree.kind === 'layers') return { number, layers: tree.layers };
    if (tree.kind === 'missing') return { number, note: NO_WIRESHARK_NOTE };
    if (tree.kind === 'none') this.log(`Wireshark's tree of packet ${number}: none (${tree.reason}).`);
    return undefined;
  }

  log(line: string): void {
    this.output.appendLine(`[${new Date().toISOString()}] ${line}`);
  }

  onDidChangeCapture(_panel: CapturePanel): void {
    this.updateStatusBar();
  }

  /** The live captures the status bar counts: those running, and those in the background. */
  private statusBarCaptures(): CapturePanel[] {
    return this.liveList().filter((p) => isRunning(p) || !p.webviewPanel);
  }

  /** One line about a capture, for the status bar's tooltip and its choice of captures. */
  private describe(panel: CapturePanel): string {
    const c = panel.counters();
    const where = panel.webviewPanel ? '' : ', in the background';
    const drops = c.kernelDrops ? `, ${c.kernelDrops.toLocaleString()} dropped in the kernel` : '';
    return `${panel.status}${where}: ${packetCount(c.received)}${drops}`;
  }

  private updateStatusBar(): void {
    const shown = this.statusBarCaptures();
    if (shown.length === 0) {
      this.statusItem.hide();
      return;
    }
    const counters = shown.map((p) => p.counters());
    const received = counters.reduce((sum, c) => sum + c.received, 0);
    const rate = counters.reduce((sum, c) => sum + c.packetsPerSecond, 0);
    const icon = shown.some((p) => p.status === 'capturing' || p.status === 'starting') ? 'record' : 'debug-stop';
    const captures = shown.length > 1 ? `${shown.length} captures · ` : '';
    const background = shown.some((p) => !p.webviewPanel) ? ' (background)' : '';
    this.statusItem.text = `$(${icon}) ${captures}${received.toLocaleString('en-US')} pkts · ${rate.toLocaleString('en-US')}/s${background}`;
    this.statusItem.tooltip = shown.map((p) => `Packet Capture: ${p.title}, ${this.describe(p)}`).join('\n');
    this.statusItem.show();
  }

  private readDecodeAs(): DecodeAsRule[] {
    const entries = vscode.workspace.getConfiguration('packetCapture').get<unknown[]>('decodeAs', []);
    const rules: DecodeAsRule[] = [];
    for (const entry of Array.isArray(entries) ? entries : []) {
      try {
        rules.push(parseDecodeAs(String(entry)));
      } catch (e) {
        this.log(`packetCapture.decodeAs: ${(e as Error).message}; left out.`);
      }
    }
    return rules;
  }

  /** packetCapture.colorize and packetCapture.coloringRules, compiled; a rule our engine refuses is
   *  said in the log and a warning, and left out. Undefined: rows are not coloured. */
  private readColoring(): ColoringRules | undefined {
    const c = vscode.workspace.getConfiguration('packetCapture');
    if (!c.get<boolean>('colorize', true)) return undefined;
    const rules = compileColoringRules(parseColoringRules(c.get<unknown>('coloringRules', DEFAULT_COLORING_RULES)));
    for (const { rule, error } of rules.refused) {
      const line = `packetCapture.coloringRules: the rule "${rule.name}" is left out: ${error}`;
      this.log(line);
      void vscode.window.showWarningMessage(`Packet Capture: ${line}`);
    }
    return rules;
  }

  private coloringChanged(): void {
    this.coloring = this.readColoring();
    for (const p of this.panels) p.coloringChanged(this.coloring);
  }

  /** Our decoders, every panel's rows and filters, and what Wireshark is given follow the rules. */
  private async decodeAsChanged(): Promise<void> {
    this.decodeAs = this.readDecodeAs();
    applyDecodeAs(this.decodeAs);
    this.log(`Decode As: ${this.decodeAs.map(formatDecodeAs).join('; ') || 'none'}.`);
    await Promise.all([...this.panels].map((p) => p.decodeAsChanged(this.decodeAs)));
  }

  /** What a saved or handed-over capture carries besides its packets: the panel's extras, and the
   *  Decode As rules in its section comment. */
  private fileExtras(panel: CapturePanel): PcapngExtras {
    return { ...panel.extras, sectionComment: decodeAsComment(this.decodeAs) };
  }

  dispose(): void {
    this.configListener.dispose();
    for (const p of this.panels) p.dispose();
    this.statusItem.dispose();
    this.ssh.dispose();
    this.tempCaptures.dispose();
    void this.deepTrees.dispose();
    this.output.dispose();
  }
}
