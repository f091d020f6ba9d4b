// The captures open in this window as the assistant names them: a short id each (stable while
// the capture stays open, never reused), and a heading saying what it is and where it stands.
import type { CaptureStatus, StartParams } from '../../packet/protocol.js';
import { inert } from './plain-text.js';

/** Short ids for objects ("capture-1", "capture-2", …): the same object keeps its id. */
export class CaptureIds<T extends object> {
  private readonly ids = new WeakMap<T, string>();
  private next = 1;

  idOf(capture: T): string {
    let id = this.ids.get(capture);
    if (id === undefined) {
      id = `capture-${this.next++}`;
      this.ids.set(capture, id);
    }
    return id;
  }

  /** The capture among `open` with id `id`. */
  find(open: readonly T[], id: string): T | undefined {
    return open.find((c) => this.ids.get(c) === id.trim());
  }
}

export interface CaptureFacts {
  id: string;
  title: string;
  mode: 'live' | 'file';
  status: CaptureStatus;
  message?: string;
  /** The file it was read from or saved to. */
  file?: string;
  captured?: StartParams;
  held: number;
  received: number;
  evicted: number;
  namesProcesses: boolean;
}

/** How the answers name a capture: its id and title. */
export function captureName(f: Pick<CaptureFacts, 'id' | 'title'>): string {
  return `${f.id} ("${inert(f.title, 120)}")`;
}

export function captureHeading(f: CaptureFacts): string[] {
  const kind = f.mode === 'file' ? 'capture file' : 'live capture';
  const lines = [`${captureName(f)}: ${kind}, ${f.status}${f.message ? ` (${inert(f.message, 300)})` : ''}`];
  if (f.file) lines.push(`  File: ${inert(f.file, 300)}`);
  const c = f.captured;
  if (c) {
    const interfaces = c.interfaces.length > 0 ? c.interfaces.map((i) => inert(i, 60)).join(', ') : 'the stream';
    const filter = c.filter ? `, capture filter "${inert(c.filter, 200)}"` : '';
    lines.push(`  Target: ${inert(c.target, 120)}, interfaces: ${interfaces}${filter}`);
  }
  const dropped = f.evicted > 0 ? `, ${f.evicted.toLocaleString('en-US')} oldest dropped to respect the limits` : '';
  lines.push(
    `  Packets held: ${f.held.toLocaleString('en-US')} of ${f.received.toLocaleString('en-US')} received${dropped}${f.namesProcesses ? "; names each packet's process" : ''}`,
  );
  return lines;
}
