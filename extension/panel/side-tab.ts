// A tab beside a capture that shows something of it (Follow Stream, Conversations): a webview of
// its own, closed with its capture. The host sends the page what to show once the page says it is
// ready and whenever it changes; what the page sends is checked before anything acts on it.
import * as vscode from 'vscode';
import type { TabShow } from '../../packet/tab-protocol.js';
import { escapeHtml, pageHtml, webviewRoot } from './html.js';

/** How often a tab following a running capture is drawn again, at most. */
const LIVE_REDRAW_MS = 1000;

export interface SideTabHost {
  extensionUri: vscode.Uri;
  log(line: string): void;
}

/** What a tab following a capture hears of it (SideTab.followCapture). */
export interface FollowedCaptureEvents {
  onPackets(listener: () => void): () => void;
  onDisplayFilter(listener: () => void): () => void;
  onDissection(listener: () => void): () => void;
}

export interface SideTabOptions<M> {
  viewType: string;
  title: string;
  /** The page's script and stylesheet in dist/webview: `follow` → follow.js, follow.css (after the
   *  pages' shared page.css). */
  page: string;
  /** The page's message, or undefined when it does not fit the contract. */
  check(raw: unknown): M | undefined;
  /** Closes the tab with its capture. */
  closesWith: Promise<void>;
}

export abstract class SideTab<M extends { type: string }, Shown> implements vscode.Disposable {
  readonly webviewPanel: vscode.WebviewPanel;
  private ready = false;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposed = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposed.event;
  private isDisposed = false;

  constructor(
    protected readonly host: SideTabHost,
    private readonly options: SideTabOptions<M>,
  ) {
    this.webviewPanel = vscode.window.createWebviewPanel(
      options.viewType,
      options.title,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
      { enableScripts: true, localResourceRoots: [webviewRoot(host.extensionUri)], enableFindWidget: true },
    );
    this.webviewPanel.webview.html = pageHtml(this.webviewPanel.webview, host.extensionUri, {
      title: options.title,
      script: `${options.page}.js`,
      styles: ['page.css', `${options.page}.css`],
      root: `<div id="${escapeHtml(options.page)}"></div>`,
    });
    this.disposables.push(
      this.webviewPanel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m)),
      this.webviewPanel.onDidDispose(() => this.dispose()),
    );
    void options.closesWith.then(() => this.dispose());
  }

  /** Calls `redraw` as packets arrive, at most once per LIVE_REDRAW_MS and only while the tab is
   *  visible; stops with the tab. */
  protected followPackets(subscribe: (listener: () => void) => () => void, redraw: () => void): void {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = subscribe(() => {
      timer ??= setTimeout(() => {
        timer = undefined;
        if (this.webviewPanel.visible) redraw();
      }, LIVE_REDRAW_MS);
    });
    this.onDidDispose(() => {
      unsubscribe();
      clearTimeout(timer);
    });
  }

  /** Counts the tab again as packets arrive (as followPackets), when the capture's display
   *  filter changes and when its packets are dissected again, and counts it now. */
  protected followCapture(capture: FollowedCaptureEvents, count: () => void): void {
    this.followPackets((l) => capture.onPackets(l), count);
    this.onDidDispose(capture.onDisplayFilter(count));
    this.onDidDispose(capture.onDissection(count));
    count();
  }

  /** What the page shows now (tests read it as the page draws it). */
  abstract shown(): Shown;

  /** Acts on one checked message of the page (its 'ready' is handled here). */
  protected abstract handle(message: M): Promise<void> | void;

  /** A message from the page (tests send the page's messages here too). */
  async receive(raw: unknown): Promise<void> {
    const message = this.options.check(raw);
    if (!message) {
      this.host.log(`${this.options.title}: dropped a message that does not fit the protocol.`);
      return;
    }
    try {
      if (message.type === 'ready') {
        this.ready = true;
        this.show();
      } else await this.handle(message);
    } catch (e) {
      void vscode.window.showErrorMessage(`${this.options.title}: ${(e as Error).message}`);
    }
  }

  /** Sends the page what it shows, once it is there to draw it. */
  protected show(): void {
    if (!this.ready || this.isDisposed) return;
    const message: TabShow<Shown> = { type: 'show', view: this.shown() };
    void this.webviewPanel.webview.postMessage(message);
  }

  reveal(): void {
    this.webviewPanel.reveal(vscode.ViewColumn.Beside);
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.webviewPanel.dispose();
    this.disposed.fire();
    this.disposed.dispose();
  }
}
