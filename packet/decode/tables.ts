// Fills the dispatch tables (registry.ts) with every layer decoder. Imported once by index.ts.

import { dissectArp } from './arp.js';
import { dissectDnsTcp, dissectDnsUdp, dissectMdns } from './dns.js';
import { dissectEthernet, dissectQinq, dissectVlan } from './ethernet.js';
import { dissectHttp, dissectHttpHeuristic } from './http.js';
import { dissectIcmp } from './icmp.js';
import { dissectIcmpv6 } from './icmpv6.js';
import { dissectAh, dissectEsp } from './ipsec.js';
import { dissectIpv4 } from './ipv4.js';
import { dissectIpv6, dissectIpv6Direct } from './ipv6.js';
import { dissectLlc } from './llc.js';
import { dissectLoop, dissectNull, dissectRawIp } from './loopback.js';
import { dissectCiscoHdlc, dissectPpp, dissectPppHdlc } from './ppp.js';
import {
  ETHER_TYPES,
  IP_PROTOCOLS,
  LINK_TYPES,
  LLC,
  PASS_DISSECTORS,
  PASS_DNS_OVER_UDP,
  type PayloadDissector,
  PORT_PROTOCOLS,
  TCP_HEURISTICS,
  TCP_PORTS,
  UDP_PORTS,
} from './registry.js';
import { dissectSctp } from './sctp.js';
import { dissectSll, dissectSll2 } from './sll.js';
import { dissectTcp } from './tcp.js';
import { dissectTls } from './tls.js';
import { dissectUdp } from './udp.js';

/** Link types (https://www.tcpdump.org/linktypes.html) → L2. */
export const LINK_TYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'NULL'],
  [1, 'ETHERNET'],
  [9, 'PPP'],
  [12, 'RAW'],
  [14, 'RAW'],
  [50, 'PPP_HDLC'],
  [101, 'RAW'],
  [104, 'C_HDLC'],
  [108, 'LOOP'],
  [113, 'LINUX_SLL'],
  [228, 'IPV4'],
  [229, 'IPV6'],
  [276, 'LINUX_SLL2'],
]);

LINK_TYPES.set(0, dissectNull);
LINK_TYPES.set(1, dissectEthernet);
LINK_TYPES.set(12, dissectRawIp);
LINK_TYPES.set(14, dissectRawIp);
LINK_TYPES.set(101, dissectRawIp);
LINK_TYPES.set(108, dissectLoop);
LINK_TYPES.set(113, dissectSll);
LINK_TYPES.set(228, dissectIpv4);
LINK_TYPES.set(229, dissectIpv6Direct);
LINK_TYPES.set(9, dissectPpp);
LINK_TYPES.set(50, dissectPppHdlc);
LINK_TYPES.set(104, dissectCiscoHdlc);
LINK_TYPES.set(276, dissectSll2);

// Ethertypes → L3. Names without a decoder still name the frame (Info), as Wireshark does.
const ethertypes: [number, string, ((...a: Parameters<typeof dissectIpv4>) => void)?][] = [
  [0x0800, 'IPv4', dissectIpv4],
  [0x0806, 'ARP', dissectArp],
  [0x8035, 'RARP', dissectArp],
  [0x86dd, 'IPv6', dissectIpv6],
  [0x8100, '802.1Q Virtual LAN', dissectVlan],
  [0x88a8, '802.1ad Provider Bridge (Q-in-Q)', dissectQinq],
  [0x9100, 'QinQ: old non-standard 802.1ad', dissectQinq],
  [0x0842, 'Wake on LAN'],
  [0x22f0, 'AVTP'],
  [0x22f3, 'TRILL'],
  [0x6003, 'DEC DNA Routing'],
  [0x809b, 'AppleTalk'],
  [0x80f3, 'AARP'],
  [0x8137, 'Netware IPX/SPX'],
  [0x8808, 'MAC Control'],
  [0x8809, 'Slow Protocols'],
  [0x8847, 'MPLS label switched packet'],
  [0x8848, 'MPLS multicast label switched packet'],
  [0x8863, 'PPPoE Discovery'],
  [0x8864, 'PPPoE Session'],
  [0x886d, 'Intel ANS probe'],
  [0x888e, '802.1X Authentication'],
  [0x8892, 'PROFINET'],
  [0x889a, 'HyperSCSI'],
  [0x88a2, 'ATA over Ethernet'],
  [0x88a4, 'EtherCAT frame'],
  [0x88b5, 'Local Experimental Ethertype 1'],
  [0x88b6, 'Local Experimental Ethertype 2'],
  [0x88b7, 'IEEE 802a OUI Extended Ethertype'],
  [0x88cc, '802.1 Link Layer Discovery Protocol (LLDP)'],
  [0x88e5, '802.1AE (MACsec)'],
  [0x88e7, '802.1ah Provider Backbone Bridge (mac-in-mac)'],
  [0x88f7, 'PTPv2 over Ethernet (IEEE1588)'],
  [0x8902, 'IEEE 802.1ag Connectivity Fault Management (CFM) protocol'],
  [0x8906, 'Fibre Channel over Ethernet'],
  [0x8914, 'FCoE Initialization Protocol'],
  [0x9000, 'Configuration Test Protocol (loopback)'],
];
for (const [type, name, dissect] of ethertypes) ETHER_TYPES.set(type, dissect ? { name, dissect } : { name });
LLC.dissect = dissectLlc;

// IP protocols → L4.
IP_PROTOCOLS.set(1, (d, off, end) => dissectIcmp(d, off, end));
IP_PROTOCOLS.set(4, dissectIpv4);
IP_PROTOCOLS.set(6, dissectTcp);
IP_PROTOCOLS.set(17, dissectUdp);
IP_PROTOCOLS.set(41, dissectIpv6Direct);
IP_PROTOCOLS.set(143, dissectEthernet); // RFC 8986: Ethernet in an SRv6 segment
IP_PROTOCOLS.set(50, (d, off, end) => dissectEsp(d, off, end));
IP_PROTOCOLS.set(51, dissectAh);
IP_PROTOCOLS.set(58, (d, off, end) => dissectIcmpv6(d, off, end));
IP_PROTOCOLS.set(132, dissectSctp);

// Ports → L7 (Wireshark 4.0's registrations for these protocols).
UDP_PORTS.set(53, dissectDnsUdp);
UDP_PORTS.set(5353, dissectMdns);
for (const dns of [dissectDnsUdp, dissectMdns]) {
  PASS_DISSECTORS.add(dns);
  PASS_DNS_OVER_UDP.add(dns);
}
// IPsec NAT traversal (RFC 3948): ESP in UDP unless the non-ESP marker (4 zero bytes) says IKE.
UDP_PORTS.set(4500, (d, off, end) => {
  if (end - off >= 4 && d.data[off] === 0 && d.data[off + 1] === 0 && d.data[off + 2] === 0 && d.data[off + 3] === 0)
    return false;
  dissectEsp(d, off, end);
  return true;
});
TCP_PORTS.set(53, dissectDnsTcp);
TCP_PORTS.set(5353, dissectDnsTcp);
PASS_DISSECTORS.add(dissectDnsTcp);
const dissectHttpPort: PayloadDissector = (d, off, end) => dissectHttp(d, off, end);
const dissectHttpHeuristically: PayloadDissector = (d, off, end) => dissectHttpHeuristic(d, off, end);
PASS_DISSECTORS.add(dissectHttpPort);
PASS_DISSECTORS.add(dissectHttpHeuristically);
for (const p of [80, 1900, 2710, 2869, 3128, 3132, 5985, 8080, 8088, 11371]) TCP_PORTS.set(p, dissectHttpPort);
for (const p of [
  324, 443, 465, 636, 802, 853, 993, 995, 1300, 2221, 2443, 3249, 3250, 3251, 3252, 3496, 5061, 5671, 5684, 5868, 8883,
  11207, 19999, 27017,
]) {
  TCP_PORTS.set(p, dissectTls);
}
TCP_HEURISTICS.push(dissectHttpHeuristically);

// Decode As: the protocols above by Wireshark's names.
PORT_PROTOCOLS.set('dns', { tcp: dissectDnsTcp, udp: dissectDnsUdp });
PORT_PROTOCOLS.set('mdns', { tcp: dissectDnsTcp, udp: dissectMdns });
PORT_PROTOCOLS.set('http', { tcp: dissectHttpPort });
PORT_PROTOCOLS.set('tls', { tcp: dissectTls });
