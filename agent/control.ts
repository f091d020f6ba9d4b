// stdin as the caller's control channel: JSON lines, one command each; the end of stdin stops the
// capture. This is how the extension changes the filter of a running capture without restarting
// it (the kernel swaps rule banks atomically). set-filter replaces -f only: --exclude stays.

export type ControlCommand = { command: 'set-filter'; filter: string } | { command: 'stop' };

export interface ControlHandlers {
  onCommand(command: ControlCommand): void;
  /** A line that is not a command: reported, never fatal. */
  onInvalid(line: string, reason: string): void;
  onEnd(): void;
}

const MAX_LINE = 64 * 1024;

/** The line a caller writes to the agent's stdin for `command` (what parseControlLine reads). */
export function controlLine(command: ControlCommand): string {
  return `${JSON.stringify(command)}\n`;
}

export function parseControlLine(line: string): ControlCommand {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error('not JSON');
  }
  const v = value as { command?: unknown; filter?: unknown };
  if (v.command === 'set-filter' && typeof v.filter === 'string') return { command: 'set-filter', filter: v.filter };
  if (v.command === 'stop') return { command: 'stop' };
  throw new Error('expected {"command":"set-filter","filter":"…"} or {"command":"stop"}');
}

export function readControl(input: NodeJS.ReadableStream, handlers: ControlHandlers): void {
  let pending = '';
  input.setEncoding('utf8');
  input.on('data', (chunk: string) => {
    pending += chunk;
    for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
      const line = pending.slice(0, end).trim();
      pending = pending.slice(end + 1);
      if (line === '') continue;
      try {
        handlers.onCommand(parseControlLine(line));
      } catch (e) {
        handlers.onInvalid(line.slice(0, 200), (e as Error).message);
      }
    }
    if (pending.length > MAX_LINE) {
      handlers.onInvalid(pending.slice(0, 200), 'line too long');
      pending = '';
    }
  });
  input.on('end', () => handlers.onEnd());
  input.on('error', () => handlers.onEnd());
}
