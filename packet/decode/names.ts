// Names Wireshark uses for IP protocol numbers (its ipproto table), for Info text and labels.

export const IP_PROTO_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'IPv6 Hop-by-Hop Option'],
  [1, 'ICMP'],
  [2, 'IGMP'],
  [3, 'GGP'],
  [4, 'IPIP'],
  [6, 'TCP'],
  [8, 'EGP'],
  [9, 'IGRP'],
  [17, 'UDP'],
  [27, 'RDP'],
  [33, 'DCCP'],
  [41, 'IPv6'],
  [43, 'Routing Header for IPv6'],
  [44, 'Fragment Header for IPv6'],
  [46, 'RSVP'],
  [47, 'Generic Routing Encapsulation'],
  [50, 'Encap Security Payload'],
  [51, 'Authentication Header'],
  [58, 'ICMPv6'],
  [59, 'IPv6 No Next Header'],
  [60, 'Destination Options for IPv6'],
  [88, 'EIGRP'],
  [89, 'OSPF IGP'],
  [94, 'IPIP'],
  [97, 'Ethernet-within-IP Encapsulation'],
  [103, 'Protocol Independent Multicast'],
  [108, 'IP Payload Compression Protocol'],
  [112, 'Virtual Router Redundancy Protocol'],
  [115, 'Layer Two Tunneling Protocol'],
  [132, 'SCTP'],
  [135, 'Mobility Header'],
  [136, 'UDPLite'],
  [137, 'MPLS in IP'],
  [139, 'Host Identity Protocol'],
  [140, 'Shim6 Protocol'],
]);

/** The short names the fragment Info uses ("proto=UDP 17"). */
export function ipProtoName(p: number): string {
  return IP_PROTO_NAMES.get(p) ?? 'Unknown';
}
