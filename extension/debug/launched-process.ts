// The debuggee's process when its debug adapter sends no DAP `process` event (js-debug, for one,
// sends none): the launch configuration's environment gets a token of the session
// (DEBUG_SESSION_ENV), every process the launch starts inherits it, and the root of that tree is
// the process that carries the token while its parent does not. Read from /proc. No VS Code here.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The environment variable that marks the processes a debug launch started. */
export const DEBUG_SESSION_ENV = 'PACKET_CAPTURE_DEBUG_SESSION';

function readEnv(proc: string, pid: number): string[] {
  try {
    return fs.readFileSync(path.join(proc, String(pid), 'environ'), 'latin1').split('\0');
  } catch {
    return []; // gone, or another user's
  }
}

function parentOf(proc: string, pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(path.join(proc, String(pid), 'stat'), 'latin1');
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isSafeInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** The topmost process carrying `token` in DEBUG_SESSION_ENV, or undefined while there is none. */
export function findLaunchedProcess(token: string, proc = '/proc'): number | undefined {
  const wanted = `${DEBUG_SESSION_ENV}=${token}`;
  const marked = new Set<number>();
  for (const name of fs.readdirSync(proc)) {
    const pid = Number(name);
    if (Number.isSafeInteger(pid) && pid > 0 && readEnv(proc, pid).includes(wanted)) marked.add(pid);
  }
  const roots = [...marked].filter((pid) => !marked.has(parentOf(proc, pid) ?? 0));
  return roots.sort((a, b) => a - b)[0];
}
