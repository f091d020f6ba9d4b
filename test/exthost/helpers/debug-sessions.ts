// What the debug-capture tests share: a recorder of the debug sessions VS Code starts and ends and
// of the capture questions the extension asks (answered "Capture"), the small Node service the
// attach tests debug, and the steps from its capture running to its pause, continue and end.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { PacketCaptureApi } from '../../../extension/extension.js';
import type { CapturePanel } from '../../../extension/panel/capture-panel.js';
import { until } from './until.js';

export interface DebugSessionRecord {
  /** Each capture question, as "SESSION NAME DEBUGGEE" ("service pid 1234", "svc pod ns/name"). */
  asked: string[];
  sessions: vscode.DebugSession[];
  ended: vscode.DebugSession[];
  /** The top-level session once it started. */
  root(): vscode.DebugSession | undefined;
  dispose(): void;
}

/** Records sessions and answers the extension's capture question with "Capture". */
export function recordDebugSessions(api: PacketCaptureApi): DebugSessionRecord {
  const record: DebugSessionRecord = {
    asked: [],
    sessions: [],
    ended: [],
    root: () => record.sessions.find((s) => !s.parentSession),
    dispose: () => {
      for (const l of listeners) l.dispose();
    },
  };
  api.debug.ask = async (name, debuggee) => {
    record.asked.push(`${name} ${debuggee}`);
    return 'Capture';
  };
  const listeners = [
    vscode.debug.onDidStartDebugSession((s) => record.sessions.push(s)),
    vscode.debug.onDidTerminateDebugSession((s) => record.ended.push(s)),
  ];
  return record;
}

/** A Node service (argv: HOST PORT GO): waits (at most a minute) for the file GO, then GET /before
 *  from HOST:PORT, the `debugger` statement, GET /after, and ends. */
export const PAUSING_SERVICE = `const fs = require('node:fs');
const http = require('node:http');
const [host, port, go] = process.argv.slice(2);
const get = (p) => new Promise((resolve, reject) =>
  http.get({ host, port, path: p, agent: false }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject));
async function main() {
  const since = Date.now();
  while (!fs.existsSync(go)) {
    if (Date.now() - since > 60000) throw new Error('no go within a minute');
    await new Promise((r) => setTimeout(r, 20));
  }
  await get('/before');
  debugger; // PAUSE
  await get('/after');
}
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
`;

/** The line of PAUSING_SERVICE's `debugger` statement. */
export const PAUSE_LINE = PAUSING_SERVICE.split('\n').findIndex((l) => l.includes('// PAUSE')) + 1;

/** The session's capture once it runs (its panel). */
export function captureRunning(api: PacketCaptureApi, root: vscode.DebugSession, ms: number): Promise<CapturePanel> {
  return until(
    'the capture of the session to run',
    () => {
      const { panel } = api.debug.captureOf(root);
      return panel?.status === 'capturing' && panel;
    },
    ms,
  );
}

/**
 * Lets the service run to its pause (by writing its GO file), continues it once VS Code shows the
 * pause, and waits for the session to end and the capture to stop with it.
 */
export async function pauseAndContinue(
  api: PacketCaptureApi,
  record: DebugSessionRecord,
  panel: CapturePanel,
  go: string,
): Promise<void> {
  const root = record.root()!;
  fs.writeFileSync(go, '');
  await until('the pause', () => api.debug.captureOf(root).markers.some((m) => m.kind === 'paused'), 30_000);
  // The command continues what VS Code shows stopped: once it shows the pause, not just after the
  // adapter said it (which is what the marker records).
  await until('VS Code to show the pause', () => vscode.debug.activeStackItem instanceof vscode.DebugStackFrame);
  await vscode.commands.executeCommand('workbench.action.debug.continue');
  await until('the session to end', () => record.ended.includes(root), 30_000);
  await until('the capture to stop with it', () => panel.status === 'stopped', 30_000);
}
