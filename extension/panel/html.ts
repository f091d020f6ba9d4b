// The panel's HTML: a strict CSP with a per-load nonce, resources only from dist/webview, and the
// initial state in a data attribute (escaped: it may hold packet-derived text).
import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import type { PanelState } from '../../packet/protocol.js';

export function webviewRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function panelHtml(webview: vscode.Webview, extensionUri: vscode.Uri, state: PanelState): string {
  const nonce = crypto.randomBytes(18).toString('base64');
  const root = webviewRoot(extensionUri);
  const script = webview.asWebviewUri(vscode.Uri.joinPath(root, 'panel.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(root, 'panel.css'));
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `img-src ${webview.cspSource} data:`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>${escapeHtml(state.title)}</title>
</head>
<body>
<div id="app" data-state="${escapeHtml(JSON.stringify(state))}"></div>
<script type="module" nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
