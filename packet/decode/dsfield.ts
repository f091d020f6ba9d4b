// The IPv4 DS field and the IPv6 traffic class (RFC 2474, RFC 3168), shared by both decoders.

import { field, SharedFields } from './dissection.js';
import { bits, hex8 } from './format.js';
import type { Field } from './types.js';

const DSCP: ReadonlyMap<number, string> = new Map([
  [0, 'CS0'],
  [8, 'CS1'],
  [10, 'AF11'],
  [12, 'AF12'],
  [14, 'AF13'],
  [16, 'CS2'],
  [18, 'AF21'],
  [20, 'AF22'],
  [22, 'AF23'],
  [24, 'CS3'],
  [26, 'AF31'],
  [28, 'AF32'],
  [30, 'AF33'],
  [32, 'CS4'],
  [34, 'AF41'],
  [36, 'AF42'],
  [38, 'AF43'],
  [40, 'CS5'],
  [44, 'VOICE-ADMIT'],
  [46, 'EF'],
  [48, 'CS6'],
  [56, 'CS7'],
]);
const ECN = [
  'Not ECN-Capable Transport',
  "ECN-Capable Transport codepoint '10'",
  "ECN-Capable Transport codepoint '01'",
  'Congestion Experienced',
];
const ECN_SHORT = ['Not-ECT', 'ECT(1)', 'ECT(0)', 'CE'];

/** The DS field (IPv4) or traffic class (IPv6): `name` is `ip.dsfield` or `ipv6.tclass`. */
const v4Fields = new SharedFields();
const v6Fields = new SharedFields();

export function dsField(name: string, title: string, v: number, o: number, length: number): Field {
  return (length === 1 ? v4Fields : v6Fields).get(o * 256 + v, () => dsTree(name, title, v, o, length));
}

function dsTree(name: string, title: string, v: number, o: number, length: number): Field {
  const dscp = v >> 2;
  const ecn = v & 3;
  return field(
    name,
    `${title}: ${hex8(v)} (DSCP: ${DSCP.get(dscp) ?? 'Unknown'}, ECN: ${ECN_SHORT[ecn]})`,
    o,
    length,
    v,
    [
      field(
        `${name}.dscp`,
        `${bits(v, 7, 6, 8)} = Differentiated Services Codepoint: ${DSCP.get(dscp) ?? 'Unknown'} (${dscp})`,
        o,
        length,
        dscp,
      ),
      field(
        `${name}.ecn`,
        `${bits(v, 1, 2, 8)} = Explicit Congestion Notification: ${ECN[ecn]} (${ecn})`,
        o,
        length,
        ecn,
      ),
    ],
  );
}
