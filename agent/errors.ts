// Every failure the agent reports has a stable code (for --events json and the extension) and an
// exit status; messages are one line, for people.
import { CaptureError } from '../native/capture.js';
import { FilterError } from '../packet/filter.js';

export type AgentErrorCode =
  | 'E_USAGE'
  | 'E_FILTER'
  | 'E_NO_INTERFACE'
  | 'E_NO_NETNS'
  | 'E_OUTPUT'
  | 'E_LISTEN'
  | 'E_PRIVILEGE'
  | 'E_NO_BPF'
  | 'E_ADDON'
  | 'E_ATTACH'
  | 'E_INTERNAL';

export class AgentError extends Error {
  constructor(
    readonly code: AgentErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AgentError';
  }
}

/** Exit statuses: 2 for input the user can fix, 3 for what the host lacks, 1 for the rest. */
export function exitStatus(code: AgentErrorCode): number {
  switch (code) {
    case 'E_USAGE':
    case 'E_FILTER':
    case 'E_NO_INTERFACE':
    case 'E_NO_NETNS':
    case 'E_OUTPUT':
    case 'E_LISTEN':
      return 2;
    case 'E_PRIVILEGE':
    case 'E_NO_BPF':
    case 'E_ADDON':
      return 3;
    default:
      return 1;
  }
}

export function toAgentError(e: unknown): AgentError {
  if (e instanceof AgentError) return e;
  if (e instanceof FilterError) return new AgentError('E_FILTER', `invalid filter: ${e.message}`);
  if (e instanceof CaptureError) return new AgentError(e.code, e.message);
  return new AgentError('E_INTERNAL', (e as Error)?.message ?? String(e));
}
