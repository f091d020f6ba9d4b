// The extension's side of the agent contract (see options.ts): the JSON lines the agent writes on
// stderr with --events json (started, stats, stopped, error…), as a type, and the check that reads
// them. The static agent (native/agent) writes them; stdout stays capture bytes only.

import {
  arrayOf,
  type Check,
  hasFields,
  isBoolean,
  isCount,
  isObject,
  isString,
  objectWith,
  oneOf,
  optional,
} from './json-shape.js';

export interface InterfaceStats {
  name: string;
  ifindex: number;
  seen: number;
  matched: number;
  captured: number;
  dropped: number;
}

export type AgentEvent =
  // filter: the effective filter, exclusion included; exclude: the --exclude text, when given.
  | {
      event: 'started';
      interfaces: { name: string; ifindex: number; mode: string }[];
      filter: string;
      exclude?: string;
      snaplen: number;
      format: string;
      /** Packets carry their process (--processes, --pid, --cgroup, --container); absent from older agents. */
      processes?: boolean;
    }
  | { event: 'attached'; interface: { name: string; ifindex: number; mode: string } }
  | {
      event: 'stats';
      packets: number;
      bytes: number;
      kernelDropped: number;
      sinkDropped: number;
      interfaces: InterfaceStats[];
    }
  // PCA mode, at start: the interfaces chosen and those left out, each with why.
  | {
      event: 'interfaces';
      chosen: { name: string; reason: string }[];
      left: { name: string; reason: string }[];
    }
  | { event: 'clients'; count: number }
  | { event: 'refused'; reason: 'too-many-clients' | 'too-many-logins'; limit: number; peer: string }
  | { event: 'warning'; code: string; message: string }
  | { event: 'filter'; filter: string }
  | { event: 'stopped'; reason: StopReason; packets: number; bytes: number; kernelDropped: number; sinkDropped: number }
  | { event: 'error'; code: string; message: string };

const STOP_REASONS = [
  'count',
  'max-bytes',
  'duration',
  'stdin-closed',
  'signal',
  'output-closed',
  'interfaces-gone',
  'error',
] as const;
export type StopReason = (typeof STOP_REASONS)[number];

// ---- reading events: what the extension (and the tests of the agent) accept as an event line

const attachedInterface = objectWith({ name: isString, ifindex: isCount, mode: isString });
const interfaceVerdict = objectWith({ name: isString, reason: isString });
const totals = { packets: isCount, bytes: isCount, kernelDropped: isCount, sinkDropped: isCount };
const interfaceStats = objectWith({
  name: isString,
  ifindex: isCount,
  seen: isCount,
  matched: isCount,
  captured: isCount,
  dropped: isCount,
});

/** Each event's fields and their checks: AgentEvent as data, one entry per member of the union. */
const EVENT_FIELDS: { [E in AgentEvent['event']]: Record<string, Check> } = {
  started: {
    interfaces: arrayOf(attachedInterface),
    filter: isString,
    exclude: optional(isString),
    snaplen: isCount,
    format: isString,
    processes: optional(isBoolean),
  },
  attached: { interface: attachedInterface },
  stats: { ...totals, interfaces: arrayOf(interfaceStats) },
  interfaces: { chosen: arrayOf(interfaceVerdict), left: arrayOf(interfaceVerdict) },
  clients: { count: isCount },
  refused: { reason: oneOf('too-many-clients', 'too-many-logins'), limit: isCount, peer: isString },
  warning: { code: isString, message: isString },
  filter: { filter: isString },
  stopped: { reason: oneOf(...STOP_REASONS), ...totals },
  error: { code: isString, message: isString },
};

/** Whether `v` is an event of the union above, every field of its kind present and of its type. */
export function isAgentEvent(v: unknown): v is AgentEvent {
  if (!isObject(v) || !isString(v.event) || !Object.hasOwn(EVENT_FIELDS, v.event)) return false;
  return hasFields(v, EVENT_FIELDS[v.event as AgentEvent['event']]);
}

/**
 * One stderr line of `--events json` as an event; undefined for anything else (sudo, ssh and the
 * runtime write plain text there too, and a newer agent may send kinds this side does not know).
 */
export function parseAgentEvent(line: string): AgentEvent | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  return isAgentEvent(v) ? v : undefined;
}
