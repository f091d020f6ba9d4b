// What the assistant reads first about a capture: its conversations, protocols, TCP resets and
// retransmissions, DNS failures and HTTP errors, from our own decoders' trees over the packets the
// store holds. The scan is bounded (the newest `maxPackets` packets held; the answer says when the
// cap cut it) and yields to the event loop as it goes, so a million-packet capture neither blocks
// the extension host nor floods the assistant.
import { decodePacket } from '../../packet/decode/index.js';
import type { DecodedPacket, Field, Layer } from '../../packet/decode/types.js';
import type { StoredPacket } from '../store/packet-store.js';
import { inert } from './plain-text.js';

/** Packets one summary decodes at most. */
export const DEFAULT_SCAN_PACKETS = 200_000;
/** Entries of each list the answer shows. */
export const TOP = 10;
/** Requests remembered per direction of a TCP flow, awaiting their responses. */
const MAX_PENDING_REQUESTS = 64;

/** The packets a summary reads: a PacketStore, or anything holding numbered packets as it does. */
export interface PacketSource {
  readonly firstNumber: number;
  readonly lastNumber: number;
  packet(number: number): StoredPacket | undefined;
}

export interface ConversationStats {
  protocol: 'tcp' | 'udp';
  a: string;
  b: string;
  packets: number;
  bytes: number;
  /** Bytes sent from a to b, and from b to a. */
  bytesAB: number;
  bytesBA: number;
}

export interface Occurrence {
  /** What the occurrence is about, one line ("NXDOMAIN example.org", "404 GET /x"). */
  what: string;
  count: number;
  /** The packet number of the first one. */
  first: number;
}

export interface CaptureSummary {
  /** Packets held, and the numbers of those scanned (newest `scanned` of them). */
  held: number;
  scanned: number;
  scanFrom: number;
  scanTo: number;
  /** The scan stopped at the cap: older packets held were not read. */
  capped: boolean;
  firstTimestampNs?: bigint;
  lastTimestampNs?: bigint;
  conversations: ConversationStats[];
  protocols: Map<string, number>;
  resets: number;
  resetFlows: Map<string, Occurrence>;
  retransmissions: number;
  retransmittedFlows: Map<string, Occurrence>;
  dnsFailures: number;
  dnsFailureNames: Map<string, Occurrence>;
  httpErrors: number;
  httpErrorRequests: Map<string, Occurrence>;
}

/** The field named `name` anywhere under `fields`, depth first. */
function findField(fields: readonly Field[], name: string): Field | undefined {
  for (const f of fields) {
    if (f.name === name) return f;
    if (f.children) {
      const found = findField(f.children, name);
      if (found) return found;
    }
  }
  return undefined;
}

/** The innermost layer of `protocol` (a tunnel's inner TCP, not its outer one). */
function lastLayer(layers: readonly Layer[], ...protocols: string[]): Layer | undefined {
  for (let i = layers.length - 1; i >= 0; i--) if (protocols.includes(layers[i]!.protocol)) return layers[i];
  return undefined;
}

function numberOf(layer: Layer | undefined, name: string): number | undefined {
  const v = layer && findField(layer.fields, name)?.value;
  return typeof v === 'number' ? v : undefined;
}

function stringOf(layer: Layer | undefined, name: string): string | undefined {
  const v = layer && findField(layer.fields, name)?.value;
  return v === undefined ? undefined : String(v);
}

/** address:port as Conversation writes it ([v6]:port). */
function endpoint(address: string, port: number, v6: boolean): string {
  return v6 ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The packet's transport endpoints, source first, from the innermost IP and transport layers. */
function endpoints(decoded: DecodedPacket, transport: Layer, proto: 'tcp' | 'udp'): [string, string] | undefined {
  const ip = lastLayer(decoded.layers, 'ip', 'ipv6');
  if (!ip) return undefined;
  const v6 = ip.protocol === 'ipv6';
  const src = stringOf(ip, v6 ? 'ipv6.src' : 'ip.src');
  const dst = stringOf(ip, v6 ? 'ipv6.dst' : 'ip.dst');
  const sport = numberOf(transport, `${proto}.srcport`);
  const dport = numberOf(transport, `${proto}.dstport`);
  if (src === undefined || dst === undefined || sport === undefined || dport === undefined) return undefined;
  return [endpoint(src, sport, v6), endpoint(dst, dport, v6)];
}

function note(map: Map<string, Occurrence>, what: string, number: number): void {
  const o = map.get(what);
  if (o) o.count++;
  else map.set(what, { what, count: 1, first: number });
}

const TCP_RST = 0x04;
const DNS_RESPONSE = 0x8000;

/** Reads packets one by one into the counts of a CaptureSummary. */
export class CaptureSummarizer {
  private readonly conversations = new Map<string, ConversationStats>();
  private readonly protocols = new Map<string, number>();
  /** Segments seen, as "src>dst seq len" (what a retransmission repeats). */
  private readonly segments = new Set<string>();
  /** Requests per direction "client>server", oldest first, awaiting their responses. */
  private readonly pendingRequests = new Map<string, string[]>();
  private readonly summary: CaptureSummary;

  constructor(held: number, scanFrom: number, scanTo: number, capped: boolean) {
    this.summary = {
      held,
      scanned: 0,
      scanFrom,
      scanTo,
      capped,
      conversations: [],
      protocols: this.protocols,
      resets: 0,
      resetFlows: new Map(),
      retransmissions: 0,
      retransmittedFlows: new Map(),
      dnsFailures: 0,
      dnsFailureNames: new Map(),
      httpErrors: 0,
      httpErrorRequests: new Map(),
    };
  }

  add(p: StoredPacket): void {
    const s = this.summary;
    s.scanned++;
    if (p.timestampNs !== 0n) {
      s.firstTimestampNs ??= p.timestampNs;
      s.lastTimestampNs = p.timestampNs;
    }
    const decoded = decodePacket(p.linkType, p.data, p.originalLength);
    this.protocols.set(decoded.summary.protocol, (this.protocols.get(decoded.summary.protocol) ?? 0) + 1);
    const tcp = lastLayer(decoded.layers, 'tcp');
    const udp = tcp ? undefined : lastLayer(decoded.layers, 'udp');
    const transport = tcp ?? udp;
    const ends = transport && endpoints(decoded, transport, tcp ? 'tcp' : 'udp');
    if (ends) this.countConversation(decoded, ends, p.originalLength);
    // A retransmission repeats a request or response already counted.
    if (tcp && ends && this.tcp(tcp, ends, p.number)) return;
    const dns = lastLayer(decoded.layers, 'dns');
    if (dns) this.dns(dns, p.number);
    const http = lastLayer(decoded.layers, 'http');
    if (http && ends) this.http(http, ends, p.number);
  }

  private countConversation(decoded: DecodedPacket, [src]: [string, string], bytes: number): void {
    const c = decoded.conversation;
    if (!c || (c.protocol !== 'tcp' && c.protocol !== 'udp')) return;
    const key = `${c.protocol} ${c.a} ${c.b}`;
    let stats = this.conversations.get(key);
    if (!stats) {
      stats = { protocol: c.protocol, a: c.a, b: c.b, packets: 0, bytes: 0, bytesAB: 0, bytesBA: 0 };
      this.conversations.set(key, stats);
    }
    stats.packets++;
    stats.bytes += bytes;
    if (src === c.a) stats.bytesAB += bytes;
    else stats.bytesBA += bytes;
  }

  /** Counts a reset or a retransmission; true for a retransmission. */
  private tcp(tcp: Layer, [src, dst]: [string, string], number: number): boolean {
    const s = this.summary;
    const flags = numberOf(tcp, 'tcp.flags') ?? 0;
    const flow = `${src} → ${dst}`;
    if (flags & TCP_RST) {
      s.resets++;
      note(s.resetFlows, flow, number);
    }
    // A segment carrying data whose direction, sequence number and length were all seen before is
    // the same data sent again.
    const len = numberOf(tcp, 'tcp.len') ?? 0;
    const seq = numberOf(tcp, 'tcp.seq');
    if (seq === undefined || len === 0) return false;
    const key = `${src}>${dst} ${seq} ${len}`;
    if (!this.segments.has(key)) {
      this.segments.add(key);
      return false;
    }
    s.retransmissions++;
    note(s.retransmittedFlows, flow, number);
    return true;
  }

  private dns(dns: Layer, number: number): void {
    const flags = numberOf(dns, 'dns.flags');
    if (flags === undefined || !(flags & DNS_RESPONSE) || (flags & 15) === 0) return;
    const s = this.summary;
    s.dnsFailures++;
    const rcodeLabel = findField(dns.fields, 'dns.flags.rcode')?.label ?? '';
    const rcode = rcodeLabel.replace(/^.*Reply code: /, '') || `rcode ${flags & 15}`;
    const name = stringOf(dns, 'dns.qry.name') ?? '(no question)';
    note(s.dnsFailureNames, `${inert(rcode, 60)}: ${inert(name, 120)}`, number);
  }

  private http(http: Layer, [src, dst]: [string, string], number: number): void {
    const method = stringOf(http, 'http.request.method');
    if (method !== undefined) {
      const key = `${src}>${dst}`;
      const queue = this.pendingRequests.get(key) ?? [];
      if (queue.length < MAX_PENDING_REQUESTS)
        queue.push(`${inert(method, 20)} ${inert(stringOf(http, 'http.request.uri') ?? '', 120)}`);
      this.pendingRequests.set(key, queue);
      return;
    }
    const code = numberOf(http, 'http.response.code');
    if (code === undefined) return;
    // HTTP/1 answers in order: the response goes with the oldest request still unanswered.
    const request = this.pendingRequests.get(`${dst}>${src}`)?.shift();
    if (code < 400) return;
    const s = this.summary;
    s.httpErrors++;
    const phrase = stringOf(http, 'http.response.phrase') ?? '';
    note(
      s.httpErrorRequests,
      `${code} ${inert(phrase, 40)}${request ? ` for ${request}` : ' (request not in the capture)'}`,
      number,
    );
  }

  result(): CaptureSummary {
    this.summary.conversations = [...this.conversations.values()];
    return this.summary;
  }
}

export interface ScanOptions {
  maxPackets?: number;
  /** Checked between packets: the scan stops (and returns what it has) once true. */
  cancelled?: () => boolean;
  /** Packets decoded between two yields to the event loop. */
  chunk?: number;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Summarizes the newest `maxPackets` packets `source` holds. */
export async function summarizePackets(source: PacketSource, options: ScanOptions = {}): Promise<CaptureSummary> {
  const max = options.maxPackets ?? DEFAULT_SCAN_PACKETS;
  const last = source.lastNumber;
  const held = Math.max(0, last - source.firstNumber + 1);
  const from = Math.max(source.firstNumber, last - max + 1);
  const summarizer = new CaptureSummarizer(held, from, last, held > max);
  const chunk = options.chunk ?? 2000;
  for (let n = from; n <= last; n++) {
    if ((n - from) % chunk === chunk - 1) {
      await nextTurn();
      if (options.cancelled?.()) break;
    }
    const p = source.packet(n);
    if (p) summarizer.add(p); // evicted meanwhile: the newer ones are still read
  }
  return summarizer.result();
}

function top<T>(items: Iterable<T>, by: (t: T) => number, n = TOP): T[] {
  return [...items].sort((x, y) => by(y) - by(x)).slice(0, n);
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function isoTime(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString();
}

function occurrenceLines(title: string, total: number, map: Map<string, Occurrence>): string[] {
  const lines = [`${title}: ${count(total)}`];
  const shown = top(map.values(), (o) => o.count);
  for (const o of shown) lines.push(`  ${o.what}: ${count(o.count)} (first: packet ${o.first})`);
  if (map.size > shown.length) lines.push(`  … and ${count(map.size - shown.length)} more`);
  return lines;
}

/** The summary as plain-text lines (values from packets already made inert). */
export function formatSummary(s: CaptureSummary): string[] {
  const lines: string[] = [];
  if (s.held === 0) return ['No packets held.'];
  lines.push(
    s.capped
      ? `Scanned: the newest ${count(s.scanned)} of ${count(s.held)} packets held (packets ${s.scanFrom}–${s.scanTo}); the scan cap was reached, older packets were not read.`
      : `Scanned: all ${count(s.scanned)} packets held (packets ${s.scanFrom}–${s.scanTo}).`,
  );
  if (s.firstTimestampNs !== undefined && s.lastTimestampNs !== undefined) {
    const seconds = Number(s.lastTimestampNs - s.firstTimestampNs) / 1e9;
    lines.push(`Time span: ${isoTime(s.firstTimestampNs)} to ${isoTime(s.lastTimestampNs)} (${seconds.toFixed(3)} s)`);
  }
  const conversations = top(s.conversations, (c) => c.bytes);
  lines.push(`Conversations (TCP/UDP): ${count(s.conversations.length)}, top ${conversations.length} by bytes:`);
  for (const c of conversations)
    lines.push(
      `  ${c.protocol.toUpperCase()} ${inert(c.a, 60)} ↔ ${inert(c.b, 60)}: ${count(c.packets)} packets, ${count(c.bytes)} bytes (→ ${count(c.bytesAB)}, ← ${count(c.bytesBA)})`,
    );
  const protocols = top(s.protocols.entries(), ([, n]) => n);
  lines.push(
    `Protocols (packets by protocol column): ${protocols.map(([p, n]) => `${inert(p, 40)} ${count(n)}`).join(', ')}${s.protocols.size > protocols.length ? `, … ${count(s.protocols.size - protocols.length)} more` : ''}`,
  );
  lines.push(...occurrenceLines('TCP resets (RST)', s.resets, s.resetFlows));
  lines.push(
    ...occurrenceLines(
      'TCP retransmissions (a data segment whose direction, sequence number and length were seen before)',
      s.retransmissions,
      s.retransmittedFlows,
    ),
  );
  lines.push(...occurrenceLines('DNS failures (responses with rcode ≠ 0)', s.dnsFailures, s.dnsFailureNames));
  lines.push(...occurrenceLines('HTTP responses 4xx/5xx', s.httpErrors, s.httpErrorRequests));
  return lines;
}
