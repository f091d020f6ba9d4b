// What the agent asks of the host it runs on: its interfaces, and the signals that stop it.
import * as fs from 'node:fs';
import type { RawBinding, RawInterface } from '../native/capture.js';
import { AgentError, toAgentError } from './errors.js';
import { arrayOf, isBoolean, isCount, isString, objectWith, oneOf } from './json-shape.js';

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

const interfaceShape = objectWith({
  name: isString,
  index: isCount,
  up: isBoolean,
  running: isBoolean,
  loopback: isBoolean,
  hatype: isCount,
  mac: isString,
  rxPackets: isCount,
  txPackets: isCount,
  addresses: arrayOf(objectWith({ family: oneOf(4, 6), address: isString, prefix: isCount })),
});

/** What `pcap-agent interfaces --json` printed, checked: the list, or an error naming what is wrong. */
export function parseInterfaceList(text: string): RawInterface[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`pcap-agent interfaces --json printed no JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(v)) throw new Error('pcap-agent interfaces --json printed no list');
  const bad = v.findIndex((i) => !interfaceShape(i));
  if (bad >= 0)
    throw new Error(`pcap-agent interfaces --json: entry ${bad} is not an interface: ${JSON.stringify(v[bad])}`);
  return v as RawInterface[];
}

export function onSignals(handler: () => void): void {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, handler);
  process.on('SIGPIPE', () => {}); // a closed stdout is handled as an EPIPE write error
}
