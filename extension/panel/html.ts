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

/** The capture panel's page; `panelId` names it to its context menus (packet/context-menu.ts). */
export function panelHtml(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  state: PanelState,
  panelId: string,
): string {
  const data = escapeHtml(JSON.stringify(state));
  const menu = escapeHtml(JSON.stringify({ panel: panelId }));
  return pageHtml(webview, extensionUri, {
    title: state.title,
    script: 'panel.js',
    styles: ['page.css', 'panel.css'],
    root: `<div id="app" data-state="${data}" data-vscode-context="${menu}"></div>`,
  });
}

export interface PageParts {
  title: string;
  /** The page's script and stylesheets, in dist/webview. */
  script: string;
  styles: string[];
  /** The element the script mounts in (its attributes already escaped). */
  root: string;
}

/** A page of ours in a webview: a strict CSP with a per-load nonce, resources only from dist/webview. */
export function pageHtml(webview: vscode.Webview, extensionUri: vscode.Uri, parts: PageParts): string {
  const nonce = crypto.randomBytes(18).toString('base64');
  const root = webviewRoot(extensionUri);
  const uri = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(root, file));
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `img-src ${webview.cspSource} data:`,
  ].join('; ');
  const styles = parts.styles.map((file) => `<link rel="stylesheet" href="${uri(file)}">`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${styles}
<title>${escapeHtml(parts.title)}</title>
</head>
<body>
${parts.root}
<script type="module" nonce="${nonce}" src="${uri(parts.script)}"></script>
</body>
</html>`;
}
