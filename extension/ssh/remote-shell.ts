// An SSH exec request is one string, parsed by the remote user's login shell: sh or bash, but also
// fish (backslashes inside single quotes are escapes) or csh/tcsh (no newline inside quotes, `!`
// is history even in single quotes). No quoting holds in all of them, so the string we send is
// made of words every shell reads the same: `sh -c 'DECODE' sh xB64 xB64…`, where DECODE (a
// constant free of `\`, `!`, `'` and newlines) turns each base64 word back into its argument and
// execs the argv. The command then runs exactly as given, under sh, whatever the login shell.

// `x` keeps an empty argument a word; `echo .` keeps trailing newlines through $(…).
const DECODE_AND_EXEC =
  'command -v base64 >/dev/null || { echo "This host has no base64 command (coreutils or busybox), which the capture extension needs." >&2; exit 127; }; ' +
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansions, not a template
  'n=$#; for a; do v=$(printf %s "${a#x}" | base64 -d; echo .); set -- "$@" "${v%.}"; done; shift "$n"; exec "$@"';

/** The exec string that runs argv as is, under sh, whatever the remote user's login shell. */
export function remoteCommand(argv: readonly string[]): string {
  const words = argv.map((arg) => `x${Buffer.from(arg, 'utf8').toString('base64')}`);
  return ['sh', '-c', `'${DECODE_AND_EXEC}'`, 'sh', ...words].join(' ');
}
