// The extension's side of the agent contract (see options.ts): what `pcap-agent interfaces --json`
// prints, as a type, and the check that reads it.
import { arrayOf, isBoolean, isCount, isString, objectWith, oneOf } from './json-shape.js';

/** One interface as `pcap-agent interfaces --json` lists it. */
export interface RawInterface {
  name: string;
  index: number;
  up: boolean;
  running: boolean;
  loopback: boolean;
  hatype: number; // ARPHRD_*
  mac: string;
  rxPackets: number;
  txPackets: number;
  addresses: { family: 4 | 6; address: string; prefix: number }[];
}

const interfaceShape = objectWith({
  name: isString,
  index: isCount,
  up: isBoolean,
  running: isBoolean,
  loopback: isBoolean,
  hatype: isCount,
  mac: isString,
  rxPackets: isCount,
  txPackets: isCount,
  addresses: arrayOf(objectWith({ family: oneOf(4, 6), address: isString, prefix: isCount })),
});

/** What `pcap-agent interfaces --json` printed, checked: the list, or an error naming what is wrong. */
export function parseInterfaceList(text: string): RawInterface[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`pcap-agent interfaces --json printed no JSON: ${(e as Error).message}`);
  }
  if (!Array.isArray(v)) throw new Error('pcap-agent interfaces --json printed no list');
  const bad = v.findIndex((i) => !interfaceShape(i));
  if (bad >= 0)
    throw new Error(`pcap-agent interfaces --json: entry ${bad} is not an interface: ${JSON.stringify(v[bad])}`);
  return v as RawInterface[];
}
