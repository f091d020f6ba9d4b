// Capture files written by the extension, judged by tshark (not by the project's own reader).
import { execFileSync } from 'node:child_process';

/** How many packets tshark reads from `file`. */
export function packetsIn(file: string): number {
  return execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .filter(Boolean).length;
}

/** What `tshark -r file ARGS…` prints (its complaints left out). */
export function tshark(file: string, ...args: string[]): string {
  return execFileSync('tshark', ['-r', file, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}
