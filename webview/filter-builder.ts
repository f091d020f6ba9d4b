// The capture-filter builder: a few fields that write a tcpdump-style expression, and the reverse
// (an expression the builder can show again). The host validates the text: this file only builds.

export const PROTOCOLS = ['any', 'tcp', 'udp', 'sctp', 'icmp', 'icmp6'] as const;
export type BuilderProtocol = (typeof PROTOCOLS)[number];
export type BuilderDirection = 'both' | 'in' | 'out';

export interface BuilderState {
  protocol: BuilderProtocol;
  port: string;
  host: string;
  direction: BuilderDirection;
}

export const EMPTY_BUILDER: BuilderState = { protocol: 'any', port: '', host: '', direction: 'both' };

export function protocolHasPorts(protocol: BuilderProtocol): boolean {
  return protocol !== 'icmp' && protocol !== 'icmp6';
}

/** `tcp and port 443 and host 10.0.0.1 and inbound`; "" captures everything. */
export function buildFilter(state: BuilderState): string {
  const parts: string[] = [];
  if (state.protocol !== 'any') parts.push(state.protocol);
  const port = state.port.trim();
  if (port && protocolHasPorts(state.protocol)) parts.push(`port ${port}`);
  const host = state.host.trim();
  if (host) parts.push(host.includes('/') ? `net ${host}` : `host ${host}`);
  if (state.direction === 'in') parts.push('inbound');
  if (state.direction === 'out') parts.push('outbound');
  return parts.join(' and ');
}

/** The builder fields for an expression buildFilter could have written, else undefined. */
export function parseBuiltFilter(text: string): BuilderState | undefined {
  const state: BuilderState = { ...EMPTY_BUILDER };
  const trimmed = text.trim();
  if (!trimmed) return state;
  const seen = new Set<string>();
  for (const term of trimmed.split(/\s+and\s+/i)) {
    const words = term.trim().split(/\s+/);
    const [key, value] = [words[0]!.toLowerCase(), words[1]];
    let slot: string;
    if (words.length === 1 && (PROTOCOLS as readonly string[]).includes(key) && key !== 'any') {
      state.protocol = key as BuilderProtocol;
      slot = 'protocol';
    } else if (words.length === 1 && (key === 'inbound' || key === 'outbound')) {
      state.direction = key === 'inbound' ? 'in' : 'out';
      slot = 'direction';
    } else if (words.length === 2 && key === 'port' && value !== undefined && /^\d{1,5}$/.test(value)) {
      state.port = value;
      slot = 'port';
    } else if (
      words.length === 2 &&
      (key === 'host' || key === 'net') &&
      value !== undefined &&
      (key === 'net') === value.includes('/')
    ) {
      state.host = value;
      slot = 'host';
    } else {
      return undefined;
    }
    if (seen.has(slot)) return undefined;
    seen.add(slot);
  }
  if (state.port && !protocolHasPorts(state.protocol)) return undefined;
  return state;
}

/** A quick local check of the builder's own fields (the host checks the whole expression). */
export function builderProblem(state: BuilderState): string | undefined {
  const port = state.port.trim();
  if (port && (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535))
    return 'Port: a number from 1 to 65535.';
  const host = state.host.trim();
  if (host && /\s/.test(host)) return 'Host: one address or CIDR, without spaces.';
  return undefined;
}
