// An SSH exec request is one string that the remote user's login shell parses. Every argument we
// send is quoted here, so a path or filter can never become shell syntax.

/** Single-quotes an argument for any POSIX shell (and fish): 'it'\''s'. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** One command line from an argv array. */
export function shellCommand(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
