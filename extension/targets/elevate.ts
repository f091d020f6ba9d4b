// How the agent gets root, on this machine and on SSH hosts alike: as it is when already root,
// through `sudo -n` when sudo needs no password, else through `sudo -S` with the password written
// to sudo's stdin (never on a command line, never logged).

/** root: run as is; nopasswd: `sudo -n` works; password: sudo wants the user's password. */
export type Elevation = 'root' | 'nopasswd' | 'password';

/**
 * argv to run as root. With a password: -k makes sudo read the password line even when it has
 * cached credentials, so the line never reaches the command's stdin; -p '' keeps sudo's prompt out
 * of the command's stderr.
 */
export function asRoot(argv: readonly string[], how: Elevation): string[] {
  switch (how) {
    case 'root':
      return [...argv];
    case 'nopasswd':
      return ['sudo', '-n', '--', ...argv];
    case 'password':
      return ['sudo', '-k', '-S', '-p', '', '--', ...argv];
  }
}

/** sudo -S said the password it read is wrong (it then waits for another line on stdin). */
export function isWrongSudoPassword(stderr: string): boolean {
  return /Sorry, try again|incorrect password/i.test(stderr);
}
