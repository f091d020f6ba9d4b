// Extension entry point. The capture panel arrives with the panel issue; today the extension
// offers what the agent already provides: the local interfaces a capture can use.
import * as vscode from 'vscode';
import { listLocalInterfaces } from './agent-process.js';

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('packetCapture.listInterfaces', async () => {
      try {
        const interfaces = await listLocalInterfaces(context.extensionPath);
        await vscode.window.showQuickPick(
          interfaces.map((i) => ({
            label: i.name,
            description: i.up ? 'up' : 'down',
            detail: i.addresses.map((a) => `${a.address}/${a.prefix}`).join('  ') || undefined,
          })),
          { title: 'Packet Capture: interfaces on this machine' },
        );
      } catch (e) {
        void vscode.window.showErrorMessage(`Packet Capture: cannot list interfaces: ${(e as Error).message}`);
      }
    }),
  );
}

export function deactivate(): void {}
