// Hand-off to Wireshark: a saved file with -r, or the live capture through a pipe (-k -i -):
// the packets held so far, then each new one as it arrives.
import { spawn } from 'node:child_process';
import { encodePackets, pcapngHeader } from './capture/capture-writer.js';
import type { CapturePanel } from './panel/capture-panel.js';

export class WiresharkMissingError extends Error {
  constructor(readonly path: string) {
    super(
      `Wireshark was not found at "${path}". Install it (e.g. apt install wireshark) or set packetCapture.wiresharkPath.`,
    );
  }
}

function launch(path: string, args: string[]): Promise<import('node:child_process').ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    child.once('spawn', () => resolve(child));
    child.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'ENOENT' ? new WiresharkMissingError(path) : e),
    );
  });
}

export async function openFileInWireshark(path: string, file: string): Promise<void> {
  const child = await launch(path, ['-r', file]);
  child.stdin?.end();
  child.unref();
}

/** Streams the panel's capture into `wireshark -k -i -` until the capture stops or Wireshark exits. */
export async function pipeLiveToWireshark(path: string, panel: CapturePanel): Promise<void> {
  const child = await launch(path, ['-k', '-i', '-']);
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
