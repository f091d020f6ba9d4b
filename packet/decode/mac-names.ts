// The names Wireshark shows in the Source and Destination columns for well-known group (multicast
// and broadcast) link-layer addresses: "Broadcast", "LLDP_Multicast", "IPv4mcast_fb", … These are
// the columns of frames without a network layer (ARP, LLDP, STP, CDP, LACP, unknown EtherTypes).
// Vendor (OUI) names of unicast addresses are not shown: that needs Wireshark's 2 MB manuf table.
//
// Looked up as Wireshark 4.0's resolver does (epan/addr_resolv.c): an exact name first; else, from
// the longest prefix to 16 bits, a range whose base equals the address cut to that many bits, named
// NAME_ plus the bytes after the prefix (the partial byte masked), e.g. 33:33:ff:00:00:02 →
// IPv6mcast_ff:00:00:02.

const EXACT: ReadonlyMap<string, string> = new Map([
  ['ff:ff:ff:ff:ff:ff', 'Broadcast'],
  ['33:33:00:00:00:00', 'IPv6-Neighbor-Discovery'],
  ['01:00:0c:cc:cc:cc', 'CDP/VTP/DTP/PAgP/UDLD'],
  ['01:00:0c:cc:cc:cd', 'PVST+'],
  ['01:00:0c:cd:cd:cd', 'STP-UplinkFast'],
  ['01:00:0c:cd:cd:ce', 'VLAN-bridge'],
  ['01:00:0c:dd:dd:dd', 'CGMP'],
  ['01:80:c2:00:00:01', 'MAC-specific-ctrl-proto-01'],
  ['01:80:c2:00:00:02', 'Slow-Protocols'],
  ['01:80:c2:00:00:03', 'Nearest-non-TPMR-bridge'],
  ['01:80:c2:00:00:04', 'MAC-specific-ctrl-proto-04'],
  ['01:80:c2:00:00:05', 'Reserved-future-std-05'],
  ['01:80:c2:00:00:06', 'Reserved-future-std-06'],
  ['01:80:c2:00:00:07', 'MEF-Forum-ELMI-proto'],
  ['01:80:c2:00:00:08', 'Provider-Bridge'],
  ['01:80:c2:00:00:09', 'Reserved-future-std-09'],
  ['01:80:c2:00:00:0a', 'Reserved-future-std-0a'],
  ['01:80:c2:00:00:0b', 'EDE-SS-PEP'],
  ['01:80:c2:00:00:0c', 'Reserved-future-std-0c'],
  ['01:80:c2:00:00:0d', 'Provider-Bridge-MVRP'],
  ['01:80:c2:00:00:0e', 'LLDP_Multicast'],
  ['01:80:c2:00:00:0f', 'Reserved-future-std-0f'],
  ['01:80:c2:00:00:10', 'Bridge-Management'],
  ['01:80:c2:00:00:14', "ISIS-all-level-1-IS's"],
  ['01:80:c2:00:00:15', "ISIS-all-level-2-IS's"],
  ['01:80:c2:00:00:21', 'GVRP'],
]);

/** [base address, prefix bits, name] */
const RANGES: readonly [string, number, string][] = [
  ['01:80:c2:00:00:00', 44, 'Spanning-tree-(for-bridges)'],
  ['01:80:c2:00:00:30', 45, 'OAM-Multicast-DA-Class-1'],
  ['01:80:c2:00:00:38', 45, 'OAM-Multicast-DA-Class-2'],
  ['01:00:0c:00:00:00', 40, 'ISL-Frame'],
  ['01:00:5e:00:00:00', 25, 'IPv4mcast'],
  ['33:33:00:00:00:00', 16, 'IPv6mcast'],
];

const SHORTEST_PREFIX = 16;

const addressValue = (text: string): number => Number.parseInt(text.replaceAll(':', ''), 16);
/** The 48-bit address cut to its first `bits` bits (a double holds 48 bits exactly). */
const cut = (address: number, bits: number): number => address - (address % 2 ** (48 - bits));

const RANGE_NAMES: ReadonlyMap<number, string> = new Map(
  RANGES.map(([base, bits, name]) => [cut(addressValue(base), bits), name]),
);

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** Wireshark's name for the address `text` ("aa:bb:cc:dd:ee:ff", lower case), or the text itself. */
export function macColumn(text: string): string {
  // Every name here is of a group address (the I/G bit): unicast ones go by untouched.
  if ((Number.parseInt(text.slice(0, 2), 16) & 1) === 0) return text;
  const exact = EXACT.get(text);
  if (exact) return exact;
  const address = addressValue(text);
  const bytes = text.split(':').map((h) => Number.parseInt(h, 16));
  for (let bits = 47; bits >= SHORTEST_PREFIX; bits--) {
    const name = RANGE_NAMES.get(cut(address, bits));
    if (name === undefined) continue;
    const first = Math.floor(bits / 8);
    const suffix = bytes.slice(first).map((b, i) => hex2(i === 0 ? b & (0xff >> (bits - first * 8)) : b));
    return `${name}_${suffix.join(':')}`;
  }
  return text;
}
