// Every field name the decoders produce, by the kind of value it holds, for the display filter:
// a name not listed here (nor a protocol) is an error rather than a filter that silently matches
// nothing. test/unit/decode-fields.test.ts checks that every field decoded from the fixtures and
// the corpus is listed.

export type FieldKind = 'number' | 'string' | 'boolean' | 'ipv4' | 'ipv6' | 'mac' | 'none';

/** Layer protocols (Layer.protocol) a filter may name. */
export const PROTOCOL_NAMES: ReadonlySet<string> = new Set([
  'ah', 'arp', 'chdlc', 'data', 'dns', 'esp', 'eth', 'frame', 'http', 'icmp', 'icmpv6', 'ip', 'ipv6', 'llc', 'mdns', 'null',
  'ppp', 'rarp', 'raw', 'sctp', 'sll', 'tcp', 'tls', 'udp', 'vlan',
]);

const BY_KIND: Record<FieldKind, readonly string[]> = {
  ipv4: [
    'arp.dst.proto_ipv4', 'arp.src.proto_ipv4', 'dns.a', 'icmp.redir_gw', 'ip.dst', 'ip.src',
  ],
  ipv6: [
    'dns.aaaa', 'icmpv6.nd.na.target_address', 'icmpv6.nd.ns.target_address', 'icmpv6.nd.rd.destination_address',
    'icmpv6.nd.rd.target_address', 'icmpv6.opt.prefix', 'ipv6.dst', 'ipv6.routing.src.addr', 'ipv6.routing.srh.addr', 'ipv6.src',
  ],
  mac: [
    'arp.dst.hw_mac', 'arp.src.hw_mac', 'eth.dst', 'eth.dst_resolved', 'eth.src', 'eth.src_resolved', 'icmpv6.opt.linkaddr',
    'sll.src.eth',
  ],
  boolean: [
    'dns.flags.authenticated', 'dns.flags.authoritative', 'dns.flags.checkdisable', 'dns.flags.recavail', 'dns.flags.recdesired',
    'dns.flags.response', 'dns.flags.truncated', 'dns.flags.z', 'dns.qry.qu', 'dns.resp.cache_flush', 'dns.resp.z.do', 'eth.ig',
    'eth.lg', 'http.request', 'http.response', 'icmpv6.nd.na.flag.o', 'icmpv6.nd.na.flag.r', 'icmpv6.nd.na.flag.s', 'ip.flags.df',
    'ip.flags.mf', 'ip.flags.rb', 'ipv6.fraghdr.more', 'tcp.flags.ack', 'tcp.flags.cwr', 'tcp.flags.ece', 'tcp.flags.fin',
    'tcp.flags.ae', 'tcp.flags.push', 'tcp.flags.res', 'tcp.flags.reset', 'tcp.flags.syn', 'tcp.flags.urg',
    'tcp.options.sack_perm',
  ],
  string: [
    'arp.dst.hw', 'arp.dst.proto', 'arp.src.hw', 'arp.src.proto', 'dns.cname', 'dns.dname', 'dns.mx.mail_exchange', 'dns.ns',
    'dns.ptr.domain_name', 'dns.qry.name', 'dns.resp.name', 'dns.soa.mname', 'dns.soa.rname', 'dns.srv.target', 'dns.txt',
    'frame.protocols', 'http.accept', 'http.accept_encoding', 'http.accept_language', 'http.authorization', 'http.cache_control',
    'http.connection', 'http.content_encoding', 'http.content_length_header', 'http.content_type', 'http.cookie', 'http.date',
    'http.host', 'http.last_modified', 'http.location', 'http.referer', 'http.request.line', 'http.request.method',
    'http.request.uri', 'http.request.version', 'http.response.line', 'http.response.phrase', 'http.response.version',
    'http.server', 'http.set_cookie', 'http.transfer_encoding', 'http.upgrade', 'http.user_agent', 'http.x_forwarded_for',
    'sll.src.other', 'tcp.flags.str', 'tls.handshake.extensions_alpn_str', 'tls.handshake.extensions_server_name',
    'tls.handshake.random', 'tls.handshake.session_id',
  ],
  number: [
    'ah.length', 'ah.next_header', 'ah.sequence', 'ah.spi', 'arp.hw.size', 'arp.hw.type', 'arp.opcode', 'arp.proto.size',
    'arp.proto.type', 'chdlc.address', 'chdlc.protocol', 'data.len', 'dns.count.add_rr', 'dns.count.answers', 'dns.count.auth_rr',
    'dns.count.prerequisites', 'dns.count.queries', 'dns.flags', 'dns.flags.opcode', 'dns.flags.rcode', 'dns.id', 'dns.length',
    'dns.mx.preference', 'dns.opt', 'dns.opt.code', 'dns.opt.len', 'dns.qry.class', 'dns.qry.name.len', 'dns.qry.type',
    'dns.resp.class', 'dns.resp.edns0_version', 'dns.resp.ext_rcode', 'dns.resp.len', 'dns.resp.ttl', 'dns.resp.type',
    'dns.resp.z', 'dns.rr.udp_payload_size', 'dns.soa.expire_limit', 'dns.soa.minimum_ttl', 'dns.soa.refresh_interval',
    'dns.soa.retry_interval', 'dns.soa.serial_number', 'dns.srv.port', 'dns.srv.priority', 'dns.srv.weight', 'dns.txt.length',
    'esp.sequence', 'esp.spi', 'eth.len', 'eth.type', 'frame.cap_len', 'frame.encap_type', 'frame.len', 'http.response.code',
    'icmp.checksum', 'icmp.code', 'icmp.ident', 'icmp.mtu', 'icmp.seq', 'icmp.seq_le', 'icmp.type', 'icmpv6.checksum',
    'icmpv6.code', 'icmpv6.echo.identifier', 'icmpv6.echo.sequence_number', 'icmpv6.mtu', 'icmpv6.nd.ra.cur_hop_limit',
    'icmpv6.nd.ra.reachable_time', 'icmpv6.nd.ra.retrans_timer', 'icmpv6.nd.ra.router_lifetime', 'icmpv6.opt.length',
    'icmpv6.opt.mtu', 'icmpv6.opt.prefix.length', 'icmpv6.opt.type', 'icmpv6.type', 'ip.checksum', 'ip.dsfield', 'ip.dsfield.dscp',
    'ip.dsfield.ecn', 'ip.flags', 'ip.frag_offset', 'ip.hdr_len', 'ip.id', 'ip.len', 'ip.opt.len', 'ip.opt.type', 'ip.proto',
    'ip.ttl', 'ip.version', 'ipv6.dstopts.len', 'ipv6.dstopts.len_oct', 'ipv6.dstopts.nxt', 'ipv6.flow', 'ipv6.fraghdr.ident',
    'ipv6.fraghdr.nxt', 'ipv6.fraghdr.offset', 'ipv6.hlim', 'ipv6.hopopts.len', 'ipv6.hopopts.len_oct', 'ipv6.hopopts.nxt',
    'ipv6.nxt', 'ipv6.opt', 'ipv6.opt.length', 'ipv6.opt.router_alert', 'ipv6.opt.type', 'ipv6.plen', 'ipv6.routing.len',
    'ipv6.routing.len_oct', 'ipv6.routing.nxt', 'ipv6.routing.segleft', 'ipv6.routing.type', 'ipv6.tclass', 'ipv6.tclass.dscp',
    'ipv6.tclass.ecn', 'ipv6.version', 'llc.control', 'llc.dsap', 'llc.oui', 'llc.ssap', 'llc.type', 'null.family', 'null.type',
    'ppp.address', 'ppp.control', 'ppp.protocol', 'sctp.checksum', 'sctp.chunk', 'sctp.chunk_flags', 'sctp.chunk_length',
    'sctp.chunk_type', 'sctp.data_payload_proto_id', 'sctp.data_sid', 'sctp.data_ssn', 'sctp.data_tsn', 'sctp.dstport',
    'sctp.init_credit', 'sctp.init_initial_tsn', 'sctp.init_initiate_tag', 'sctp.init_nr_in_streams', 'sctp.init_nr_out_streams',
    'sctp.sack_a_rwnd', 'sctp.sack_cumulative_tsn_ack', 'sctp.srcport', 'sctp.verification_tag', 'sll.etype', 'sll.halen',
    'sll.hatype', 'sll.ifindex', 'sll.pkttype', 'sll.reserved', 'tcp.ack', 'tcp.checksum', 'tcp.dstport', 'tcp.flags',
    'tcp.hdr_len', 'tcp.len', 'tcp.option_kind', 'tcp.option_len', 'tcp.options.mss_val', 'tcp.options.nop', 'tcp.options.sack_le',
    'tcp.options.sack_re', 'tcp.options.timestamp.tsecr', 'tcp.options.timestamp.tsval', 'tcp.options.wscale.multiplier',
    'tcp.options.wscale.shift', 'tcp.seq', 'tcp.srcport', 'tcp.urgent_pointer', 'tcp.window_size_value', 'tls.alert_message.desc',
    'tls.alert_message.level', 'tls.handshake.cipher_suites_length', 'tls.handshake.ciphersuite', 'tls.handshake.comp_method',
    'tls.handshake.comp_methods_length', 'tls.handshake.extension', 'tls.handshake.extension.len', 'tls.handshake.extension.type',
    'tls.handshake.extensions.supported_version', 'tls.handshake.extensions_length', 'tls.handshake.extensions_server_name_len',
    'tls.handshake.extensions_server_name_list_len', 'tls.handshake.extensions_server_name_type', 'tls.handshake.length',
    'tls.handshake.session_id_length', 'tls.handshake.type', 'tls.handshake.version', 'tls.record.content_type',
    'tls.record.length', 'tls.record.version', 'udp.checksum', 'udp.dstport', 'udp.length', 'udp.srcport', 'vlan.dei',
    'vlan.etype', 'vlan.id', 'vlan.priority',
  ],
  none: [
    '_ws.expert', '_ws.malformed', '_ws.short',
    'ah.icv', 'data.data', 'dns.additionals', 'dns.answers', 'dns.authorities', 'dns.opt.data', 'dns.qry', 'dns.queries',
    'dns.resp', 'dns.section', 'esp.encrypted_data', 'http.end_of_headers', 'http.file_data', 'icmp.data', 'icmp.unused',
    'icmpv6.data', 'icmpv6.opt', 'ip.options', 'ipv6.dstopts', 'ipv6.fraghdr', 'ipv6.hopopts', 'ipv6.routing',
    'sctp.data_payload', 'sll.unused', 'tcp.options', 'tcp.options.mss', 'tcp.options.sack', 'tcp.options.timestamp',
    'tcp.options.wscale', 'tcp.payload', 'tls.app_data', 'tls.change_cipher_spec', 'tls.handshake', 'tls.handshake.ciphersuites',
    'tls.record', 'udp.payload',
  ],
};

export const FIELD_KINDS: ReadonlyMap<string, FieldKind> = new Map(
  (Object.entries(BY_KIND) as [FieldKind, readonly string[]][]).flatMap(([kind, names]) => names.map((n) => [n, kind] as const)),
);
