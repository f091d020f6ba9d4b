// Processes as /proc shows them: the tree below a pid, their command lines and states.
// For tests that look at VS Code from outside (which processes it started, what is left of them).
import * as fs from 'node:fs';

export interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  /** R, S, D, Z (zombie: exited, not yet reaped), … */
  state: string;
  argv: string[];
}

/** One process from /proc/PID/stat and cmdline; undefined when it is gone. */
export function proc(pid: number): Proc | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "PID (COMM) STATE PPID PGRP …": COMM may hold spaces and parentheses, so split after the last ')'.
    const [state = '', ppid = '0', pgid = '0'] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
    return { pid, ppid: Number(ppid), pgid: Number(pgid), state, argv };
  } catch {
    return undefined;
  }
}

/** Every process on the machine. */
export function processes(): Proc[] {
  const all: Proc[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = proc(Number(name));
    if (p) all.push(p);
  }
  return all;
}

/** The processes below `pid` (children, their children, …), not `pid` itself. */
export function descendants(pid: number): Proc[] {
  const all = processes();
  const found: Proc[] = [];
  let parents = new Set([pid]);
  while (parents.size > 0) {
    const next = all.filter((p) => parents.has(p.ppid));
    found.push(...next);
    parents = new Set(next.map((p) => p.pid));
  }
  return found;
}
