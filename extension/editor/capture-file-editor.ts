// .pcap / .pcapng / .cap files open in the capture panel, read-only: streamed through the reader
// into a packet store, with progress for large files.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { CapturePanel } from '../panel/capture-panel.js';
import { StoreIngest } from '../store/store-ingest.js';

export const CAPTURE_EDITOR_VIEW_TYPE = 'packetCapture.captureFile';

export interface FilePanelFactory {
  createFilePanel(webviewPanel: vscode.WebviewPanel, uri: vscode.Uri): CapturePanel;
}

async function* chunksOf(uri: vscode.Uri): AsyncGenerator<Uint8Array> {
  if (uri.scheme === 'file') {
    for await (const chunk of fs.createReadStream(uri.fsPath, { highWaterMark: 1 << 20 })) yield chunk as Buffer;
  } else {
    yield await vscode.workspace.fs.readFile(uri);
  }
}

/** Reads a capture file into the panel's store; returns the reader's notes about malformed data. */
export async function loadCaptureFile(
  panel: CapturePanel,
  uri: vscode.Uri,
  progress?: (fraction: number) => void,
): Promise<string[]> {
  const ingest = new StoreIngest(panel.store);
  const size = uri.scheme === 'file' ? (await fs.promises.stat(uri.fsPath)).size : 0;
  let read = 0;
  for await (const chunk of chunksOf(uri)) {
    read += chunk.length;
    ingest.push(chunk);
    if (panel.store.fullStop) break;
    if (size > 0) progress?.(read / size);
    panel.loaded();
  }
  ingest.end();
  panel.loaded();
  if (ingest.reader.format === undefined && panel.store.received === 0) {
    throw new Error(`${uri.fsPath || uri.toString()} is not a pcap or pcapng file.`);
  }
  return ingest.reader.errors;
}

export class CaptureFileEditorProvider implements vscode.CustomReadonlyEditorProvider {
  constructor(private readonly factory: FilePanelFactory) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => {} };
  }

  async resolveCustomEditor(document: vscode.CustomDocument, webviewPanel: vscode.WebviewPanel): Promise<void> {
    const panel = this.factory.createFilePanel(webviewPanel, document.uri);
    try {
      const notes = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Reading ${document.uri.path.split('/').pop()}`,
          cancellable: false,
        },
        async (p) => {
          let reported = 0;
          return loadCaptureFile(panel, document.uri, (fraction) => {
            const pct = Math.floor(fraction * 100);
            if (pct > reported) {
              p.report({ increment: pct - reported });
              reported = pct;
            }
          });
        },
      );
      if (notes.length > 0) {
        void vscode.window.showWarningMessage(
          `${document.uri.path.split('/').pop()}: ${notes.length} problem(s) reading the file; the readable packets are shown. First: ${notes[0]}`,
        );
      }
      if (panel.store.fullStop) {
        void vscode.window.showWarningMessage(
          `Only the first ${panel.store.held.toLocaleString()} packets are shown: the file exceeds packetCapture.maxPackets / maxMegabytes.`,
        );
      }
    } catch (e) {
      void vscode.window.showErrorMessage((e as Error).message);
    }
  }
}
