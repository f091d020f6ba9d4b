// What the agent asks of the host it runs on: its interfaces, and the signals that stop it.
import * as fs from 'node:fs';
import type { RawBinding, RawInterface } from '../native/capture.js';
import { AgentError, toAgentError } from './errors.js';

export function listInterfaces(binding: RawBinding, netns: string | undefined): RawInterface[] {
  if (netns !== undefined && !fs.existsSync(netns)) {
    throw new AgentError('E_NO_NETNS', `network namespace ${netns} does not exist (see "ip netns list")`);
  }
  try {
    return binding.listInterfaces(netns);
  } catch (e) {
    const err = e as { code?: string; message: string };
    if (netns !== undefined && err.message.includes('network namespace')) {
      throw new AgentError(
        err.code === 'EPERM' ? 'E_PRIVILEGE' : 'E_NO_NETNS',
        err.message.split('\n')[0] ?? err.message,
      );
    }
    throw toAgentError(e);
  }
}

export function onSignals(handler: () => void): void {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, handler);
  process.on('SIGPIPE', () => {}); // a closed stdout is handled as an EPIPE write error
}
