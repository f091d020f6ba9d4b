// Hand-off to Wireshark: a saved file with -r, or the live capture through a pipe (-k -i -):
// the packets held so far, then each new one as it arrives.
import { spawn } from 'node:child_process';
import { encodePackets, pcapngHeader } from './capture/capture-writer.js';
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

export async function openFileInWireshark(path: string, file: string, elsewhere?: string): Promise<void> {
  const child = await launch(path, ['-r', file], elsewhere);
  child.stdin?.end();
  child.unref();
}

/** Streams the panel's capture into `wireshark -k -i -` until the capture stops or Wireshark exits. */
export async function pipeLiveToWireshark(path: string, panel: CapturePanel, elsewhere?: string): Promise<void> {
  const child = await launch(path, ['-k', '-i', '-'], elsewhere);
  const stdin = child.stdin!;
  let next = panel.store.firstNumber;
  let open = true;
  const pump = () => {
    if (!open) return;
    const last = panel.store.lastNumber;
    for (const chunk of encodePackets(panel.store, 'pcapng', Math.max(next, panel.store.firstNumber), last))
      stdin.write(chunk);
    next = last + 1;
    if (panel.status !== 'capturing' && panel.status !== 'starting') finish();
  };
  const unsubscribe = panel.onPackets(pump);
  const finish = () => {
    open = false;
    unsubscribe();
    stdin.end();
  };
  stdin.on('error', finish); // Wireshark closed
  child.once('exit', finish);
  stdin.write(pcapngHeader(panel.store));
  pump();
  child.unref();
}
