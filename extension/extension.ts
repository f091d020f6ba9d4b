// Extension entry point: commands, the capture-file editor, and the capture manager.
import * as vscode from 'vscode';
import { MENU_ITEMS, menuTarget } from '../packet/context-menu.js';
import { AssistantTools } from './assistant/tools.js';
import { CaptureManager } from './capture-manager.js';
import { DebugCaptures } from './debug/debug-capture.js';
import { CAPTURE_EDITOR_VIEW_TYPE, CaptureFileEditorProvider } from './editor/capture-file-editor.js';
import { BackupIndex, LIVE_CAPTURE_VIEW_TYPE, LiveCaptureEditorProvider } from './editor/live-capture-editor.js';

export interface PacketCaptureApi {
  manager: CaptureManager;
  debug: DebugCaptures;
}

// enableFindWidget off, so Ctrl+F reaches the page: the panel's own find is the filter bar's text search.
const EDITOR_OPTIONS = {
  webviewOptions: { retainContextWhenHidden: false, enableFindWidget: false },
  supportsMultipleEditorsPerDocument: false,
};

export function activate(context: vscode.ExtensionContext): PacketCaptureApi {
  const manager = new CaptureManager(context);
  const debug = new DebugCaptures(manager);
  // A context menu's item runs its command with the menu's context (packet/context-menu.ts); Mark,
  // Ignore and Follow Stream from the palette or a key act on the selected packet instead.
  const command = (id: string, run?: (arg?: unknown) => unknown) => {
    const item = MENU_ITEMS.find((i) => i.command === `packetCapture.${id}`);
    const handler = (arg?: unknown) =>
      item && (!run || menuTarget(arg)) ? manager.runMenuItem(item, arg) : run?.(arg);
    context.subscriptions.push(vscode.commands.registerCommand(`packetCapture.${id}`, handler));
  };
  for (const item of MENU_ITEMS)
    if (item.command.startsWith('packetCapture.menu.')) command(item.command.slice('packetCapture.'.length));

  const storage = context.storageUri ?? context.globalStorageUri;
  const liveEditor = new LiveCaptureEditorProvider(
    manager,
    new BackupIndex(vscode.Uri.joinPath(storage, 'live-capture-backups.json')),
  );
  context.subscriptions.push(
    manager,
    debug,
    liveEditor,
    new AssistantTools(manager),
    vscode.window.registerCustomEditorProvider(
      CAPTURE_EDITOR_VIEW_TYPE,
      new CaptureFileEditorProvider(manager),
      EDITOR_OPTIONS,
    ),
    vscode.window.registerCustomEditorProvider(LIVE_CAPTURE_VIEW_TYPE, liveEditor, EDITOR_OPTIONS),
  );
  command('startCapture', () => manager.showLivePanel());
  command('showCaptures', () => manager.showCaptures());
  command('stopCapture', () => manager.stopCapture());
  command('saveCaptureAs', () => manager.save());
  command('openInWireshark', () => manager.openInWireshark());
  command('followStream', () => manager.followSelectedStream());
  command('showConversations', () => manager.showConversations());
  command('showIoGraph', () => manager.showIoGraph());
  command('showProtocolHierarchy', () => manager.showProtocolHierarchy());
  command('goToPacket', () => manager.goToPacket());
  command('timeDisplayFormat', () => manager.chooseTimeFormat());
  command('sortPackets', () => manager.chooseSort());
  command('nextPacketInConversation', () => manager.packetInConversation(1));
  command('previousPacketInConversation', () => manager.packetInConversation(-1));
  command('markPacket', () => manager.markSelectedPacket());
  command('unmarkAllPackets', () => manager.unmarkAllPackets());
  command('ignorePacket', () => manager.ignoreSelectedPacket());
  command('ignoreAllDisplayed', () => manager.ignoreAllDisplayed());
  command('unignoreAllPackets', () => manager.unignoreAllPackets());
  command('nextMarkedPacket', () => manager.markedPacket(1));
  command('previousMarkedPacket', () => manager.markedPacket(-1));
  command('openCaptureFile', async () => {
    const [uri] =
      (await vscode.window.showOpenDialog({
        title: 'Open Capture File',
        canSelectMany: false,
        filters: { 'Capture files': ['pcapng', 'pcap', 'cap'], 'All files': ['*'] },
      })) ?? [];
    if (uri) await vscode.commands.executeCommand('vscode.openWith', uri, CAPTURE_EDITOR_VIEW_TYPE);
  });
  command('addSshHost', () => manager.ssh.addHost());
  command('removeAgentFromHost', () => manager.ssh.removeAgent());
  command('connectPcapOverTcp', () => manager.connectPcapOverTcp());
  command('listInterfaces', () => manager.listInterfaces());
  command('removeSshHost', () => manager.removeSshHostCommand());
  command('capturePod', (node?: unknown) => manager.capturePod(node));
  command('captureNodeAgent', (node?: unknown) => manager.captureNodeAgent(node));
  return { manager, debug };
}

export function deactivate(): void {}
