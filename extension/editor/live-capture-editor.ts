// A live capture is a document VS Code knows about: an untitled one (untitled:Capture 1.pcapng).
// Unsaved packets make it dirty, so VS Code itself asks Save / Don't Save / Cancel when its tab or its
// window closes, and hot exit backs it up and restores it. Untitled, because VS Code never auto-saves
// an untitled document (the web's default is to auto-save), and its Save is a Save As: the capture
// stops, its packets go to the file chosen, and the tab becomes that file. The capture itself
// (agent, packets) is the host's; this file only ties it to VS Code's document model.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  encodeNumbers,
  fileHeader,
  numberRange,
  type PcapngExtras,
  writeCaptureFile,
} from '../capture/capture-writer.js';
import type { CapturePanel } from '../panel/capture-panel.js';
import type { PacketStore } from '../store/packet-store.js';

export const LIVE_CAPTURE_VIEW_TYPE = 'packetCapture.liveCapture';

/** The URI of the Nth live capture of this window: in `folder`, where VS Code's Save dialog starts. */
export function liveCaptureUri(n: number, folder: string): vscode.Uri {
  return vscode.Uri.joinPath(vscode.Uri.file(folder), `Capture ${n}.pcapng`).with({ scheme: 'untitled' });
}

/** The first change is told at once; later ones at most this often (each makes VS Code back up every packet). */
const MIN_CHANGE_INTERVAL_MS = 2000;
/** ...and no more often than writing the backup would take a tenth of the time (assuming 100 MB/s). */
const BACKUP_BYTES_PER_MS = 10_000;

export interface LiveCaptureHost {
  /** The capture under `uri`: the one running in the background under it, one restored from `backup`,
   *  or a new one. */
  openLiveCapture(uri: vscode.Uri, backup: vscode.Uri | undefined): Promise<CapturePanel>;
  /** True once for a URI the window opens for a new capture (so no old backup is restored into it). */
  takeFresh(uri: vscode.Uri): boolean;
  /** Stops the capture and writes every packet held to `destination` (asking for it when absent);
   *  false when the user cancelled or the write failed (the user was told why). */
  saveWhole(panel: CapturePanel, destination?: vscode.Uri): Promise<boolean>;
  /** The capture's editor is gone (its tab closed): it ends, or goes on in the background. */
  closeLiveCapture(panel: CapturePanel): 'ended' | 'background';
}

/** The minimum time between two change events for a capture holding `bytes`. */
export function changeInterval(bytes: number): number {
  return Math.max(MIN_CHANGE_INTERVAL_MS, bytes / BACKUP_BYTES_PER_MS);
}

/** Tells VS Code a capture changed: at once the first time, then at most once per changeInterval. */
class ChangeSignal implements vscode.Disposable {
  private last = 0;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly fire: () => void,
    private readonly bytes: () => number,
  ) {}

  schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.last + changeInterval(this.bytes()) - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.last = Date.now();
      this.fire();
    }, wait);
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}

class LiveCaptureDocument implements vscode.CustomDocument {
  constructor(
    readonly uri: vscode.Uri,
    readonly panel: CapturePanel,
    readonly changes: ChangeSignal,
    private readonly onDispose: () => void,
  ) {}

  dispose(): void {
    this.changes.dispose();
    this.onDispose();
  }
}

/**
 * The backups this extension wrote that are still wanted, by document, in a file of the extension's
 * storage. VS Code in a browser can bring a capture's tab back without the backup it made (its editor
 * state was saved before the tab became dirty): the capture then finds its packets here. An entry goes
 * when VS Code lets go of the backup, or when its capture closes for good.
 */
export class BackupIndex {
  constructor(private readonly file: vscode.Uri) {}

  private async entries(): Promise<Record<string, string>> {
    try {
      const parsed: unknown = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(this.file)).toString('utf8'));
      return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, string>) : {};
    } catch {
      return {}; // none yet, or unreadable: nothing to restore from
    }
  }

  private async save(entries: Record<string, string>): Promise<void> {
    await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(this.file, '..'));
    await vscode.workspace.fs.writeFile(this.file, Buffer.from(JSON.stringify(entries)));
  }

  async record(document: vscode.Uri, backup: vscode.Uri): Promise<void> {
    const entries = await this.entries();
    const old = entries[document.toString()];
    entries[document.toString()] = backup.toString();
    await this.save(entries);
    if (old && old !== backup.toString()) await deleteQuietly(vscode.Uri.parse(old));
  }

  async find(document: vscode.Uri): Promise<vscode.Uri | undefined> {
    const recorded = (await this.entries())[document.toString()];
    return recorded ? vscode.Uri.parse(recorded) : undefined;
  }

  /** Drops the entry of `document` (only if it still names `backup`, when given) and its file. */
  async forget(document: vscode.Uri, backup?: vscode.Uri): Promise<void> {
    const entries = await this.entries();
    const recorded = entries[document.toString()];
    if (!recorded || (backup && recorded !== backup.toString())) return;
    delete entries[document.toString()];
    await this.save(entries);
    await deleteQuietly(vscode.Uri.parse(recorded));
  }
}

function deleteQuietly(uri: vscode.Uri): Thenable<void> {
  return vscode.workspace.fs.delete(uri).then(undefined, () => {});
}

/** Writes a backup (pcapng, readable by its owner only) where VS Code asks for it, with what a
 *  saved file carries besides the packets (a debug session's markers and TLS keys). */
async function writeBackup(
  store: PacketStore,
  extras: PcapngExtras | undefined,
  destination: vscode.Uri,
): Promise<void> {
  if (destination.scheme === 'file') {
    await fs.promises.mkdir(path.dirname(destination.fsPath), { recursive: true, mode: 0o700 });
    await writeCaptureFile(store, destination.fsPath, 'pcapng', { extras });
    return;
  }
  const parts = [
    fileHeader(store, 'pcapng'),
    ...(extras?.leadingBlocks?.() ?? []),
    ...encodeNumbers(store, 'pcapng', numberRange(store.firstNumber, store.lastNumber), extras),
  ];
  await vscode.workspace.fs.writeFile(destination, Buffer.concat(parts));
}

export class LiveCaptureEditorProvider implements vscode.CustomEditorProvider<LiveCaptureDocument>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.CustomDocumentContentChangeEvent<LiveCaptureDocument>>();
  readonly onDidChangeCustomDocument = this.changed.event;

  constructor(
    private readonly host: LiveCaptureHost,
    private readonly backups: BackupIndex,
  ) {}

  async openCustomDocument(uri: vscode.Uri, context: vscode.CustomDocumentOpenContext): Promise<LiveCaptureDocument> {
    if (this.host.takeFresh(uri)) await this.backups.forget(uri); // a name reused: what it held is gone
    const backup = context.backupId ? vscode.Uri.parse(context.backupId) : await this.backups.find(uri);
    const panel = await this.host.openLiveCapture(uri, backup);
    const changes = new ChangeSignal(
      () => this.changed.fire({ document }),
      () => panel.store.bytes,
    );
    const stopListening = panel.onPackets(() => changes.schedule());
    const document: LiveCaptureDocument = new LiveCaptureDocument(uri, panel, changes, () => {
      stopListening();
      if (this.host.closeLiveCapture(panel) === 'ended') void this.backups.forget(uri);
    });
    // Restored from our own record (VS Code restored the tab without its backup): VS Code must learn
    // that these packets are unsaved.
    if (backup && !context.backupId) panel.unsaved = true;
    return document;
  }

  resolveCustomEditor(document: LiveCaptureDocument, webviewPanel: vscode.WebviewPanel): void {
    document.panel.attach(webviewPanel);
    // A capture reopened from the background: its packets are still unsaved. (One restored from a
    // backup is dirty already: VS Code knows it came from a backup.)
    if (document.panel.unsaved) document.changes.schedule();
  }

  /** VS Code saves an untitled document with saveCustomDocumentAs; this is there for completeness. */
  async saveCustomDocument(document: LiveCaptureDocument): Promise<void> {
    if (!(await this.host.saveWhole(document.panel))) throw new vscode.CancellationError();
  }

  async saveCustomDocumentAs(document: LiveCaptureDocument, destination: vscode.Uri): Promise<void> {
    if (!(await this.host.saveWhole(document.panel, destination))) throw new vscode.CancellationError();
  }

  /** A capture has no saved state to go back to: "Don't Save" ends it (or leaves it running in the background). */
  async revertCustomDocument(): Promise<void> {}

  async backupCustomDocument(
    document: LiveCaptureDocument,
    context: vscode.CustomDocumentBackupContext,
  ): Promise<vscode.CustomDocumentBackup> {
    await writeBackup(document.panel.store, document.panel.extras, context.destination);
    await this.backups.record(document.uri, context.destination);
    return {
      id: context.destination.toString(),
      delete: () => void this.backups.forget(document.uri, context.destination),
    };
  }

  dispose(): void {
    this.changed.dispose();
  }
}
