// The captures as language-model tools for the editor's assistant (agent mode): list the open
// captures with a summary each, run a display filter on one, read one packet's tree. All read
// only; VS Code shows each call (prepareInvocation's messages) before it runs. The tools exist
// while packetCapture.assistantTools is on: registered then, unregistered when it is turned off
// (the manifest's `when` hides them from the assistant too).
import * as vscode from 'vscode';
import type { CaptureManager } from '../capture-manager.js';
import type { CapturePanel } from '../panel/capture-panel.js';
import { packetDetail } from '../panel/table-rows.js';
import { PacketView, WorkerFilterRunner } from '../store/packet-view.js';
import { type CaptureFacts, CaptureIds, captureHeading, captureName } from './capture-list.js';
import { formatSummary, summarizePackets } from './capture-summary.js';
import { formatFilterResult, rowLimit, runSideFilter } from './filter-rows.js';
import { formatPacketTree } from './packet-tree.js';
import { boundedAnswer, inert } from './plain-text.js';

export const SETTING = 'assistantTools';
export const TOOL_NAMES = {
  list: 'packetCapture_listCaptures',
  filter: 'packetCapture_filterPackets',
  packet: 'packetCapture_readPacket',
} as const;

interface ListInput {
  captureId?: string;
}
interface FilterInput {
  captureId: string;
  filter: string;
  maxRows?: number;
}
interface PacketInput {
  captureId: string;
  packetNumber: number;
}

/** A tool whose answer is plain-text lines; a thrown Error is the answer's message. */
function tool<T>(
  invocationMessage: (input: T) => string,
  answer: (input: T, token: vscode.CancellationToken) => Promise<string[]>,
): vscode.LanguageModelTool<T> {
  return {
    prepareInvocation: (options) => {
      const message = invocationMessage(options.input);
      return {
        invocationMessage: message,
        confirmationMessages: {
          title: 'Packet Capture',
          message: `${message}. The answer, which may hold packet contents, goes to the assistant's language model.`,
        },
      };
    },
    invoke: async (options, token) => {
      const lines = await answer(options.input, token);
      return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(boundedAnswer(lines))]);
    },
  };
}

export class AssistantTools implements vscode.Disposable {
  private readonly ids = new CaptureIds<CapturePanel>();
  private registrations: vscode.Disposable[] = [];
  private readonly configListener: vscode.Disposable;

  constructor(private readonly manager: CaptureManager) {
    this.update();
    this.configListener = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`packetCapture.${SETTING}`)) this.update();
    });
  }

  private get enabled(): boolean {
    return vscode.workspace.getConfiguration('packetCapture').get<boolean>(SETTING, true);
  }

  private update(): void {
    if (this.enabled && this.registrations.length === 0) this.registrations = this.register();
    else if (!this.enabled) this.unregister();
  }

  private register(): vscode.Disposable[] {
    return [
      vscode.lm.registerTool<ListInput>(
        TOOL_NAMES.list,
        tool(
          (input) =>
            input.captureId
              ? `Summarizing packet capture ${inert(input.captureId, 40)}`
              : 'Listing the open packet captures with a summary of each',
          (input, token) => this.list(input, token),
        ),
      ),
      vscode.lm.registerTool<FilterInput>(
        TOOL_NAMES.filter,
        tool(
          (input) =>
            `Running display filter "${inert(String(input.filter ?? ''), 200)}" on packet capture ${inert(String(input.captureId), 40)}`,
          (input, token) => this.filter(input, token),
        ),
      ),
      vscode.lm.registerTool<PacketInput>(
        TOOL_NAMES.packet,
        tool(
          (input) =>
            `Reading packet ${Number(input.packetNumber)} of packet capture ${inert(String(input.captureId), 40)}`,
          (input) => this.packet(input),
        ),
      ),
    ];
  }

  private unregister(): void {
    for (const r of this.registrations) r.dispose();
    this.registrations = [];
  }

  private facts(panel: CapturePanel): CaptureFacts {
    const store = panel.store;
    return {
      id: this.ids.idOf(panel),
      title: panel.title,
      mode: panel.mode,
      status: panel.status,
      message: panel.message,
      file: panel.file?.fsPath,
      captured: panel.captured,
      held: store.held,
      received: store.received,
      evicted: store.evicted,
      namesProcesses: store.hasProcesses,
    };
  }

  private capture(id: unknown): CapturePanel {
    const open = this.manager.openPanels;
    const panel = typeof id === 'string' ? this.ids.find(open, id) : undefined;
    if (panel) return panel;
    const known = open.map((p) => this.ids.idOf(p)).join(', ') || 'none';
    throw new Error(
      `No open capture has the id "${inert(String(id), 40)}". Open captures: ${known} (${TOOL_NAMES.list} lists them).`,
    );
  }

  private async list(input: ListInput, token: vscode.CancellationToken): Promise<string[]> {
    const panels = input.captureId ? [this.capture(input.captureId)] : this.manager.openPanels;
    if (panels.length === 0) return ['No packet capture is open in this window.'];
    const lines = [`Open packet captures: ${panels.length}`];
    for (const panel of panels) {
      const summary = await summarizePackets(panel.store, { cancelled: () => token.isCancellationRequested });
      lines.push('', ...captureHeading(this.facts(panel)), ...formatSummary(summary).map((l) => `  ${l}`));
    }
    return lines;
  }

  private async filter(input: FilterInput, token: vscode.CancellationToken): Promise<string[]> {
    const panel = this.capture(input.captureId);
    const text = typeof input.filter === 'string' ? input.filter : '';
    const view = new PacketView(panel.store, new WorkerFilterRunner());
    view.pausedNumbers = panel.view.pausedNumbers; // debug.paused as the panel reads it
    view.markedNumbers = panel.view.markedNumbers; // and frame.marked
    // Cancelled: the worker stops at once (the view's disposal ends it); VS Code drops the answer.
    const cancel = token.onCancellationRequested(() => view.dispose());
    try {
      const result = await runSideFilter(panel.store, view, text, rowLimit(input.maxRows));
      return formatFilterResult(captureName(this.facts(panel)), text, result);
    } finally {
      cancel.dispose();
    }
  }

  private async packet(input: PacketInput): Promise<string[]> {
    const panel = this.capture(input.captureId);
    const number = Number(input.packetNumber);
    const detail = Number.isInteger(number) ? packetDetail(panel.store, number) : undefined;
    const name = captureName(this.facts(panel));
    if (!detail) {
      const { firstNumber, lastNumber } = panel.store;
      const held = lastNumber >= firstNumber ? `packets ${firstNumber}–${lastNumber}` : 'no packets';
      throw new Error(`${name} holds no packet ${inert(String(input.packetNumber), 20)}: it holds ${held}.`);
    }
    panel.annotateDetail?.(detail.decoded, detail.number);
    return formatPacketTree(name, detail);
  }

  dispose(): void {
    this.unregister();
    this.configListener.dispose();
  }
}
