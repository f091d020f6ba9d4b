// Dispatch tables: link type → L2, ethertype → L3, IP protocol → L4, port → L7, like node_pcap's
// decoders and Wireshark's dissector tables. The tables are filled in tables.ts (which imports
// every layer); a layer reaches the next one through them. The few direct calls are where
// Wireshark does the same: IPv4 hands a version-6 header to IPv6, raw IP picks IPv4 or IPv6 by
// version, IPv6 decodes AH among its extension headers, ICMPv6 quotes like ICMP.

import type { DecodeAsRule } from '../decode-as.js';
import { type Dissection, type Dissector, MAX_DEPTH } from './dissection.js';
import { hex16 } from './format.js';

/**
 * An application-layer decoder tried on a transport payload; returns false, having changed
 * nothing, when the bytes are not its protocol (the transport then stays the top layer).
 */
export type PayloadDissector = (
  d: Dissection,
  off: number,
  end: number,
  rend: number,
  sport: number,
  dport: number,
) => boolean;

export interface EtherTypeEntry {
  name: string;
  dissect?: Dissector;
}

export const LINK_TYPES = new Map<number, Dissector>();
export const ETHER_TYPES = new Map<number, EtherTypeEntry>();
export const IP_PROTOCOLS = new Map<number, Dissector>();
export const TCP_PORTS = new Map<number, PayloadDissector>();
export const UDP_PORTS = new Map<number, PayloadDissector>();
/** Tried in order when no port matched, as Wireshark's enabled heuristic dissectors. */
export const TCP_HEURISTICS: PayloadDissector[] = [];
export const UDP_HEURISTICS: PayloadDissector[] = [];
/** 802.3 frames (length field instead of an ethertype). */
export const LLC: { dissect?: Dissector } = {};

export function etherTypeName(type: number): string {
  return ETHER_TYPES.get(type)?.name ?? 'Unknown';
}

/** The port decoders our decoders have per protocol (Wireshark's names), for Decode As. */
export const PORT_PROTOCOLS = new Map<string, { tcp?: PayloadDissector; udp?: PayloadDissector }>();

/** The port tables as tables.ts filled them, before any Decode As rule. */
let defaultPorts: { tcp: Map<number, PayloadDissector>; udp: Map<number, PayloadDissector> } | undefined;

/** A port Decode As gave to a protocol our decoders do not know: its payload is that protocol's
 *  (Wireshark decodes it), so nothing here guesses at it (no other port, no heuristic). */
const TAKEN: PayloadDissector = () => true;

/**
 * Decode As (packet/decode-as.ts): each rule's port is decoded as its protocol where our decoders
 * know it, and left undecoded (taken from our guesses) where they do not. Replaces the rules
 * applied before; [] restores the defaults.
 */
export function applyDecodeAs(rules: readonly DecodeAsRule[]): void {
  defaultPorts ??= { tcp: new Map(TCP_PORTS), udp: new Map(UDP_PORTS) };
  for (const [table, defaults] of [
    [TCP_PORTS, defaultPorts.tcp],
    [UDP_PORTS, defaultPorts.udp],
  ] as const) {
    table.clear();
    for (const [port, f] of defaults) table.set(port, f);
  }
  for (const rule of rules) {
    const table = rule.transport === 'tcp' ? TCP_PORTS : UDP_PORTS;
    table.set(rule.port, PORT_PROTOCOLS.get(rule.protocol)?.[rule.transport] ?? TAKEN);
  }
}

/** Guards recursion (tunnels, tag stacks); false when the decode must stop. */
export function enter(d: Dissection, protocol: string): boolean {
  if (++d.depth > MAX_DEPTH) {
    d.malformed(undefined, protocol, `more than ${MAX_DEPTH} nested headers`);
    return false;
  }
  return true;
}

export function dispatchEtherType(d: Dissection, type: number, off: number, end: number, rend: number): void {
  if (type <= 1500) {
    LLC.dissect?.(d, off, end, rend);
    return;
  }
  const e = ETHER_TYPES.get(type);
  if (e?.dissect) {
    if (enter(d, e.name)) e.dissect(d, off, end, rend);
    return;
  }
  // Wireshark: the ethertype in hex as the protocol, its name (if it has one) as the info.
  d.protocol = hex16(type);
  if (e) d.info = e.name;
  if (d.recordsLayers && off < end) d.dataLayer(off, end);
}

export function dispatchIpProto(d: Dissection, proto: number, off: number, end: number, rend: number): boolean {
  const f = IP_PROTOCOLS.get(proto);
  if (!f) return false;
  if (enter(d, 'ip')) f(d, off, end, rend);
  return true;
}

/** The dissectors the streams pass runs: those whose messages it pairs (DNS, HTTP). */
export const PASS_DISSECTORS = new Set<PayloadDissector>();

/** The pass's UDP dissectors of DNS messages (DNS, mDNS): each pairs its message from its first
 *  four bytes, the ID and the flags, and reads nothing more in the pass. */
export const PASS_DNS_OVER_UDP = new Set<PayloadDissector>();

/** Whether the streams pass hands a UDP payload on these ports to a DNS dissector: dispatchPorts
 *  tries the lower port's dissector, then the higher's, and in the pass stops at the first that is
 *  not one of the pass's (no heuristic of the pass reads UDP). */
export function passPairsUdpDns(sport: number, dport: number): boolean {
  const lo = Math.min(sport, dport);
  const hi = Math.max(sport, dport);
  const f = (lo !== 0 ? UDP_PORTS.get(lo) : undefined) ?? (hi !== lo ? UDP_PORTS.get(hi) : undefined);
  return f !== undefined && PASS_DNS_OVER_UDP.has(f);
}

/** Whether the streams pass runs a dissector on TCP port `port`'s payload. */
export function passReadsTcpPort(port: number): boolean {
  const f = TCP_PORTS.get(port);
  return f !== undefined && PASS_DISSECTORS.has(f);
}

/** Lower port first, then the higher one (Wireshark's order), then the heuristics. */
export function dispatchPorts(
  d: Dissection,
  table: Map<number, PayloadDissector>,
  heuristics: readonly PayloadDissector[],
  off: number,
  end: number,
  rend: number,
  sport: number,
  dport: number,
): boolean {
  if (off >= rend) return false;
  // The streams pass needs nothing above the transport (no protocol our decoders know over TCP or
  // UDP carries another transport header) but the messages it pairs: it runs their dissectors
  // alone, in the same order, and stops at another's, which would have taken the payload.
  const passOnly = d.transportOnly;
  if (passOnly && d.streams?.dns === undefined) return false;
  const lo = Math.min(sport, dport);
  const hi = Math.max(sport, dport);
  for (let k = 0; k < (hi !== lo ? 2 : 1); k++) {
    const port = k === 0 ? lo : hi;
    const f = port !== 0 ? table.get(port) : undefined; // port 0: Wireshark's "no port"
    if (f === undefined) continue;
    if (passOnly && !PASS_DISSECTORS.has(f)) return false;
    if (f(d, off, end, rend, sport, dport)) return true;
  }
  for (const h of heuristics) {
    if (passOnly && !PASS_DISSECTORS.has(h)) return false;
    if (h(d, off, end, rend, sport, dport)) return true;
  }
  return false;
}
