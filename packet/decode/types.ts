// The shape of a decoded packet, shared by the decoders, the extension host (summaries, display
// filter) and the webview (detail tree, hex highlighting).

/** One node of the detail tree, like a line in Wireshark's packet details pane. */
export interface Field {
  /** Wireshark-style field name where one exists (`ip.src`, `tcp.flags.syn`), else a local one. */
  name: string;
  /** What the tree shows: "Source Address: 10.0.0.1". Plain text, never HTML. */
  label: string;
  /** Offset into the packet bytes and length, for highlighting in the hex view (length 0: none). */
  offset: number;
  length: number;
  /** Filterable value, when the field has one. */
  value?: string | number | boolean;
  /** The display filter that selects this node, when its source wrote one (Wireshark's tree:
   *  sharkd's own, which may use syntax or fields our engine does not know). */
  filter?: string;
  /** The packet (its number) this field refers to: the frame an ACK acknowledges, a request's
   *  response. "Go to Linked Packet" selects it. */
  link?: number;
  children?: Field[];
}

/** One protocol layer: a top-level node of the detail tree. */
export interface Layer {
  /** Protocol name as Wireshark's filters spell it: `eth`, `vlan`, `arp`, `ip`, `ipv6`, `tcp`, … */
  protocol: string;
  /** "Internet Protocol Version 4, Src: 10.0.0.1, Dst: 10.0.0.2" */
  label: string;
  offset: number;
  length: number;
  fields: Field[];
}

/** A table row's columns, as Wireshark's packet list shows them. */
export interface PacketSummary {
  source: string;
  destination: string;
  /** The highest layer Wireshark would name: TCP, UDP, DNS, HTTP, TLSv1.3, ICMP, ARP, … */
  protocol: string;
  info: string;
}

/** Conversation key for "Follow conversation": transport 5-tuple when there is one. */
export interface Conversation {
  protocol: 'tcp' | 'udp' | 'sctp' | 'icmp' | 'icmpv6' | 'ip' | 'other';
  a: string; // address[:port], the lower of the two endpoints
  b: string;
}

export interface DecodedPacket {
  summary: PacketSummary;
  layers: Layer[];
  /** Notes about malformed or truncated data; the decode stops at the first, keeping what it had. */
  problems: string[];
  conversation?: Conversation;
}
