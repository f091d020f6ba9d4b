// cgroups a test makes (v1 or v2), and removes again, also when the test process ends early.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { registerCleanup } from './cleanup.js';

/** Where cgroup v2 is mounted (beside v1 on this machine kind). */
export function cgroup2Root(): string {
  const line = fs
    .readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .find((l) => l.split(' ')[2] === 'cgroup2');
  if (!line) throw new Error('no cgroup2 file system mounted (/proc/mounts)');
  return line.split(' ')[1]!;
}

/**
 * Makes a cgroup (v1 or v2; its parents too); returns what removes them (what is still in them goes
 * to their parent), also registered for the test process's exit.
 */
export function makeCgroup(dir: string): () => void {
  const made: string[] = [];
  for (let d = dir; !fs.existsSync(d); d = path.dirname(d)) made.push(d);
  fs.mkdirSync(dir, { recursive: true });
  return registerCleanup(() => {
    for (const d of made) removeCgroup(d);
  });
}

/** Makes a cgroup and moves a process into it; returns what removes it (makeCgroup). */
export function inCgroup(dir: string, pid: number): () => void {
  const remove = makeCgroup(dir);
  fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(pid));
  return remove;
}

/** Removes a cgroup, moving what is still in it to its parent first. */
function removeCgroup(dir: string): void {
  if (!fs.existsSync(dir)) return;
  const procs = fs
    .readFileSync(path.join(dir, 'cgroup.procs'), 'utf8')
    .split('\n')
    .filter((p) => p !== '');
  for (const pid of procs) {
    try {
      fs.writeFileSync(path.join(dir, '..', 'cgroup.procs'), pid);
    } catch {
      // gone meanwhile
    }
  }
  fs.rmdirSync(dir);
}
