// Hand-off to Wireshark: a saved file with -r, or the live capture through a pipe (-k -i -):
// the packets held so far, then each new one as it arrives.
import { spawn } from 'node:child_process';
import { type DecodeAsRule, tsharkDecodeAsArgs } from '../packet/decode-as.js';
import { encodePackets, pcapngHeader } from './capture/capture-writer.js';
import { nowNs } from './debug/markers.js';
import type { CapturePanel } from './panel/capture-panel.js';

/** Where VS Code's window is shown and where this extension runs (vscode.env, os.hostname()). */
export interface WindowPlace {
  /** vscode.env.remoteName: "ssh-remote", "wsl", "dev-container", … or undefined for a local window. */
  remoteName: string | undefined;
  uiKind: 'desktop' | 'web';
  /** The extension host's machine. */
  hostname: string;
}

/** The machine, named for a person. */
function machineName({ remoteName, hostname }: WindowPlace): string {
  switch (remoteName) {
    case undefined:
      return `the server ${hostname}`; // a browser window of a local extension host: VS Code's server
    case 'ssh-remote':
      return `the SSH host ${hostname}`;
    case 'wsl':
      return `WSL (${hostname})`;
    case 'dev-container':
    case 'attached-container':
      return `the container ${hostname}`;
    case 'codespaces':
      return `the codespace ${hostname}`;
    default:
      return `the remote machine ${hostname}`;
  }
}

/**
 * Wireshark is a program of the machine this extension runs on. When VS Code's window is remote or
 * in a browser, that is not the computer in front of the user: the sentence saying where it starts.
 * Undefined for a local desktop window.
 */
export function wiresharkElsewhere(place: WindowPlace): string | undefined {
  if (place.remoteName === undefined && place.uiKind === 'desktop') return undefined;
  return `Wireshark starts on ${machineName(place)} (where this window's extension runs), not on this computer.`;
}

export class WiresharkMissingError extends Error {
  /** `elsewhere`: the sentence of wiresharkElsewhere, when Wireshark was looked for on another machine. */
  constructor(
    readonly path: string,
    elsewhere?: string,
  ) {
    super(
      elsewhere
        ? `Wireshark was not found at "${path}". ${elsewhere} Install it there (e.g. apt install wireshark) or set packetCapture.wiresharkPath.`
        : `Wireshark was not found at "${path}". Install it (e.g. apt install wireshark) or set packetCapture.wiresharkPath.`,
    );
  }
}

function launch(path: string, args: string[], elsewhere?: string): Promise<import('node:child_process').ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    child.once('spawn', () => resolve(child));
    child.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'ENOENT' ? new WiresharkMissingError(path, elsewhere) : e),
    );
  });
}

export async function openFileInWireshark(
  path: string,
  file: string,
  elsewhere?: string,
  decodeAs: readonly DecodeAsRule[] = [],
): Promise<void> {
  const child = await launch(path, [...tsharkDecodeAsArgs(decodeAs), '-r', file], elsewhere);
  child.stdin?.end();
  child.unref();
}

/**
 * With TLS keys to pass on (a debug session's capture), packets reach Wireshark this long after
 * they were captured: a debuggee logs a session's keys while its handshake runs, after the packets
 * that carried it, and Wireshark decrypts only the sessions whose keys came before their packets.
 */
const KEYS_HOLD_BACK_NS = 1_000_000_000n;
const KEYS_PUMP_MS = 250;

/** Streams the panel's capture into `wireshark -k -i -` until the capture stops or Wireshark exits. */
export async function pipeLiveToWireshark(
  path: string,
  panel: CapturePanel,
  elsewhere?: string,
  decodeAs: readonly DecodeAsRule[] = [],
): Promise<void> {
  const child = await launch(path, [...tsharkDecodeAsArgs(decodeAs), '-k', '-i', '-'], elsewhere);
  const stdin = child.stdin!;
  let next = panel.store.firstNumber;
  let open = true;
  let secretsSent = 0;
  const running = () => panel.status === 'capturing' || panel.status === 'starting';
  const pump = () => {
    if (!open) return;
    const holdingKeys = panel.extras?.secretsSince !== undefined && running();
    // Keys learnt since go before the packets that need them.
    const secrets = panel.extras?.secretsSince?.(secretsSent);
    for (const block of secrets?.blocks ?? []) stdin.write(block);
    secretsSent = secrets?.sent ?? secretsSent;
    const last = holdingKeys ? lastCapturedBefore(panel, nowNs() - KEYS_HOLD_BACK_NS) : panel.store.lastNumber;
    for (const chunk of encodePackets(panel.store, 'pcapng', Math.max(next, panel.store.firstNumber), last))
      stdin.write(chunk);
    next = Math.max(next, last + 1);
    if (!running()) finish();
  };
  const unsubscribe = panel.onPackets(pump);
  // Held-back packets go out as they age, also when no new packet arrives.
  const timer = setInterval(() => panel.extras?.secretsSince && pump(), KEYS_PUMP_MS);
  const finish = () => {
    open = false;
    clearInterval(timer);
    unsubscribe();
    stdin.end();
  };
  stdin.on('error', finish); // Wireshark closed
  child.once('exit', finish);
  stdin.write(pcapngHeader(panel.store));
  pump();
  child.unref();
}

/** The number of the last packet held that was captured before `ns` (wall clock). */
function lastCapturedBefore(panel: CapturePanel, ns: bigint): number {
  let last = panel.store.lastNumber;
  while (last >= panel.store.firstNumber && (panel.store.packet(last)?.timestampNs ?? 0n) > ns) last--;
  return last;
}
