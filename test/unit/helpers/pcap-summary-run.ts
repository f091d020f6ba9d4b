// pcap-summary run in this process, its output collected: what the pcap-summary tests share.
import { Writable } from 'node:stream';
import { run } from '../../../packet/cli/pcap-summary.js';

/** A stream that keeps what is written to it. */
export class Sink extends Writable {
  chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.chunks.push(chunk);
    cb();
  }
  get text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** `pcap-summary ARGS`: its exit status and what it wrote. */
export async function summary(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await run(args, { stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** The frame numbers of pcap-summary's rows (text layout: the number comes first). */
export function rowNumbers(rows: string): number[] {
  return rows
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}
