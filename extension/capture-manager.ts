// Owns the panels: the live capture panel, the file panels, which one is active, the status bar,
// saving, and the Wireshark hand-off.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CaptureWriteError, type FileFormat, writeCaptureFile } from './capture/capture-writer.js';
import { TempCaptures } from './capture/temp-captures.js';
import { packetCount } from './counts.js';
import { CapturePanel, type ExportScope, type PanelHost, type PanelSettings } from './panel/capture-panel.js';
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

const LIVE_VIEW_TYPE = 'packetCapture.panel';

export interface ExportChoice extends vscode.QuickPickItem {
  scope: ExportScope;
}

/** The two questions "Save Capture As…" asks; replaceable so a test can answer them. */
export interface SavePrompts {
  pickScope(choices: ExportChoice[]): Thenable<ExportScope | undefined>;
  saveUri(options: vscode.SaveDialogOptions): Thenable<vscode.Uri | undefined>;
}

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
  /** A modal question; true when the user chose `action`. */
  confirm(message: string, detail: string, action: string): Thenable<boolean>;
}

const windowPrompts: CommandPrompts = {
  pick: (items, options) => vscode.window.showQuickPick(items, options),
  confirm: async (message, detail, action) =>
    (await vscode.window.showWarningMessage(message, { modal: true, detail }, action)) === action,
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
  const selected = panel.selectedPacket();
  if (selected !== undefined)
    choices.push({
      scope: 'selected',
      label: 'Selected (1)',
      description: `packet ${selected.toLocaleString('en-US')}`,
    });
  return choices;
}

export class CaptureManager implements PanelHost, vscode.Disposable {
  private livePanel?: CapturePanel;
  private readonly panels = new Set<CapturePanel>();
  private active?: CapturePanel;
  private readonly statusItem = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Left, 50);
  private readonly localTarget: LocalTarget;
  private readonly netnsTargets = new Map<string, LocalTarget>();
  /** PCAP-over-TCP endpoints connected to in this window. */
  private readonly endpointTargets = new Map<string, PcapOverTcpTarget>();
  readonly output = vscode.window.createOutputChannel('Packet Capture');
  readonly ssh: SshTargets;
  /** Files written only to hand a capture to Wireshark: private, removed with their capture. */
  readonly tempCaptures = new TempCaptures();
  /** The questions Save asks (a QuickPick, the save dialog). */
  savePrompts: SavePrompts = windowSavePrompts;
  /** The questions List Interfaces, Remove SSH Host and Open in Wireshark ask. */
  prompts: CommandPrompts = windowPrompts;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.localTarget = new LocalTarget(context.extensionPath, this.askSudoPassword);
    this.ssh = new SshTargets(context, this.output);
    this.statusItem.command = 'packetCapture.startCapture';
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
      ...this.endpointTargets.values(),
    ];
  }

  /** Packet Capture: Connect to PCAP-over-TCP endpoint… — directly, or through an SSH host's local forward. */
  async connectPcapOverTcp(): Promise<void> {
    const local = { label: 'This machine', description: 'connect directly' };
    const viaSsh = { label: '$(remote) Through an SSH host…', description: 'an SSH local forward (ssh -L)' };
    const route = await vscode.window.showQuickPick([local, viaSsh], {
      title: 'Packet Capture: Connect to PCAP-over-TCP endpoint',
      placeHolder: 'Where is the endpoint reachable from?',
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
    const panel = this.showLivePanel();
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
    const panel = this.showLivePanel();
    if (!panel.choose(target.info.id, [choice.label]))
      void vscode.window.showInformationMessage(
        `Packet Capture: a capture is running in the panel. Stop it to capture on ${choice.label}.`,
      );
  }

  /** Forgets an SSH host added with Add SSH Host… (the panel's Remove button, Remove SSH Host…). */
  async removeSshHost(id: string): Promise<void> {
    if (this.livePanel?.runningTarget === id)
      throw new Error('A capture is running on this host: stop it before removing the host.');
    if (!(await this.ssh.forget(id)))
      throw new Error(
        `${id.replace(/^ssh:/, '')} was not added with "Add SSH Host…": a host from your SSH config stays in the list as long as it is in the config.`,
      );
    this.livePanel?.refreshTargets();
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
    };
  }

  /** Every open panel (live and files). */
  get openPanels(): CapturePanel[] {
    return [...this.panels];
  }

  /** The panel commands act on: the focused one, else the live one. */
  get current(): CapturePanel | undefined {
    return this.active ?? this.livePanel;
  }

  private track(panel: CapturePanel): CapturePanel {
    this.panels.add(panel);
    panel.webviewPanel.onDidChangeViewState((e) => {
      if (e.webviewPanel.active) this.active = panel;
    });
    this.active = panel;
    void panel.onDidDispose.then(() => {
      this.panels.delete(panel);
      if (this.active === panel) this.active = undefined;
      if (this.livePanel === panel) this.livePanel = undefined;
      this.tempCaptures.release(panel);
      this.onDidChangeCapture(panel);
    });
    return panel;
  }

  showLivePanel(): CapturePanel {
    if (this.livePanel) {
      this.livePanel.reveal();
      return this.livePanel;
    }
    const webviewPanel = vscode.window.createWebviewPanel(LIVE_VIEW_TYPE, 'Packet Capture', vscode.ViewColumn.Active, {
      enableScripts: true,
      // Off, so Ctrl+F reaches the page: the panel's own find is the filter bar's text search.
      enableFindWidget: false,
      localResourceRoots: [vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'webview')],
    });
    this.livePanel = this.track(new CapturePanel(webviewPanel, this, 'live', 'Packet Capture'));
    return this.livePanel;
  }

  createFilePanel(webviewPanel: vscode.WebviewPanel, uri: vscode.Uri): CapturePanel {
    const panel = this.track(new CapturePanel(webviewPanel, this, 'file', path.basename(uri.path)));
    panel.file = uri;
    return panel;
  }

  async stopCapture(): Promise<void> {
    const panel = this.livePanel;
    if (!panel?.live || (panel.status !== 'capturing' && panel.status !== 'starting')) {
      void vscode.window.showInformationMessage('Packet Capture: no capture is running.');
      return;
    }
    await panel.stop();
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
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? os.homedir();
    const uri = await this.savePrompts.saveUri({
      defaultUri: vscode.Uri.file(path.join(folder, `capture-${stamp}.${format ?? 'pcapng'}`)),
      title: 'Save Capture As',
      // The filter chosen gives the name its extension, and the extension decides the format.
      filters: format === 'pcap' ? { pcap: ['pcap'] } : { pcapng: ['pcapng'], 'pcap (classic)': ['pcap'] },
    });
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
      const numbers = await panel.exportNumbers(scope);
      const count = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Saving ${path.basename(uri.fsPath)}` },
        (p) => {
          let reported = 0;
          return writeCaptureFile(panel.store, uri.fsPath, format, {
            numbers,
            progress: (fraction) => {
              const pct = Math.min(100, Math.floor(fraction * 100));
              if (pct > reported) p.report({ increment: pct - reported });
              reported = Math.max(reported, pct);
            },
          });
        },
      );
      if (panel.status !== 'capturing' && scope === 'all') panel.file = uri;
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

  async openInWireshark(panel: CapturePanel | undefined = this.current): Promise<void> {
    if (!panel) {
      void vscode.window.showInformationMessage('Packet Capture: open or start a capture first.');
      return;
    }
    const wireshark = this.wiresharkPath;
    const elsewhere = wiresharkElsewhereHere();
    if (
      elsewhere &&
      !(await this.prompts.confirm(
        elsewhere,
        'It opens on that machine’s display, if it has one. To look at the packets here, save the capture and open the file with a Wireshark on this computer.',
        'Continue',
      ))
    )
      return;
    try {
      if (panel.status === 'capturing' || panel.status === 'starting') {
        await pipeLiveToWireshark(wireshark, panel, elsewhere);
      } else if (panel.file?.scheme === 'file') {
        await openFileInWireshark(wireshark, panel.file.fsPath, elsewhere);
      } else {
        await openFileInWireshark(wireshark, await this.tempCaptures.write(panel, panel.store), elsewhere);
      }
    } catch (e) {
      // Not awaited: the command ends now, whether or not the user ever answers the notification.
      void vscode.window.showErrorMessage((e as Error).message, 'Open Settings').then((choice) => {
        if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'packetCapture.wiresharkPath');
      });
    }
  }

  log(line: string): void {
    this.output.appendLine(`[${new Date().toISOString()}] ${line}`);
  }

  onDidChangeCapture(_panel: CapturePanel): void {
    const panel = this.livePanel;
    if (!panel || panel.status === 'idle') {
      this.statusItem.hide();
      return;
    }
    const c = panel.counters();
    const running = panel.status === 'capturing' || panel.status === 'starting';
    this.statusItem.text = `$(${running ? 'record' : 'debug-stop'}) ${c.received.toLocaleString()} pkts${running ? ` · ${c.packetsPerSecond.toLocaleString()}/s` : ''}`;
    this.statusItem.tooltip = `Packet Capture: ${panel.status}${c.kernelDrops ? `, ${c.kernelDrops} dropped in the kernel` : ''}`;
    this.statusItem.show();
  }

  dispose(): void {
    for (const p of this.panels) p.webviewPanel.dispose();
    this.statusItem.dispose();
    this.ssh.dispose();
    this.tempCaptures.dispose();
    this.output.dispose();
  }
}
