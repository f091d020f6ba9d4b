// .pcap / .pcapng / .cap files open in the capture panel, read-only: streamed through the reader
// into a packet store, with progress for large files.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { CapturePanel } from '../panel/capture-panel.js';
import { describeFileRead, type FileOutcome, readCaptureInto } from './file-load.js';

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

/** Reads a capture file into the panel's store; says how it went (the sentence the editor shows). */
export async function loadCaptureFile(
  panel: CapturePanel,
  uri: vscode.Uri,
  progress?: (fraction: number) => void,
): Promise<FileOutcome> {
  const size = uri.scheme === 'file' ? (await fs.promises.stat(uri.fsPath)).size : 0;
  const read = await readCaptureInto(panel.store, chunksOf(uri), (bytes) => {
    if (size > 0) progress?.(bytes / size);
    panel.loaded();
  });
  panel.loaded();
  return describeFileRead(path.basename(uri.path), read);
}

export class CaptureFileEditorProvider implements vscode.CustomReadonlyEditorProvider {
  constructor(private readonly factory: FilePanelFactory) {}

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => {} };
  }

  async resolveCustomEditor(document: vscode.CustomDocument, webviewPanel: vscode.WebviewPanel): Promise<void> {
    const panel = this.factory.createFilePanel(webviewPanel, document.uri);
    // One message per file, in the editor itself (where the user is looking), never a notification too.
    let outcome: FileOutcome;
    try {
      outcome = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Reading ${path.basename(document.uri.path)}`,
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
    } catch (e) {
      outcome = {
        status: 'error',
        message: `Could not read ${path.basename(document.uri.path)}: ${(e as Error).message}`,
      };
    }
    panel.fileRead(outcome.status, outcome.message);
  }
}
