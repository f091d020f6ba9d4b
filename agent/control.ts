// The extension's side of the agent contract (see options.ts): stdin as the caller's control
// channel, JSON lines, one command each, which the static agent reads; the end of stdin stops the
// capture. This is how the extension changes the filter of a running capture without restarting
// it (the agent swaps its filter program atomically). set-filter replaces -f only: --exclude stays.

export type ControlCommand = { command: 'set-filter'; filter: string } | { command: 'stop' };

/** The line a caller writes to the agent's stdin for `command` (what native/agent reads). */
export function controlLine(command: ControlCommand): string {
  return `${JSON.stringify(command)}\n`;
}
