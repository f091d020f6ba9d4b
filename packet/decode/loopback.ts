// BSD loopback (NULL, link type 0: address family in the capturing host's byte order; LOOP, 108:
// network order) and raw IP (101, and 12/14 as DLT_RAW on some platforms; 228/229 IPv4/IPv6).

import { u32 } from './bytes.js';
import { type Dissection, field } from './dissection.js';
import { hex32 } from './format.js';
import { dissectIpv6Direct } from './ipv6.js';
import { dispatchEtherType, enter } from './registry.js';

/** BSD AF_ values that mean IP (AF_INET6 is 24, 28 or 30 depending on the BSD). */
const FAMILIES: ReadonlyMap<number, string> = new Map([
  [2, 'IP'],
  [7, 'OSI'],
  [23, 'IPX'],
  [24, 'IPv6'],
  [28, 'IPv6'],
  [30, 'IPv6'],
]);

export function dissectNull(d: Dissection, off: number, end: number, rend: number): void {
  loop(d, off, end, rend, false);
}

export function dissectLoop(d: Dissection, off: number, end: number, rend: number): void {
  loop(d, off, end, rend, true);
}

function loop(d: Dissection, off: number, end: number, rend: number, network: boolean): void {
  const L = d.treeLayer('null', 'Null/Loopback', off, Math.min(4, Math.max(end - off, 0)));
  d.protocol = 'NULL';
  d.info = 'Null/Loopback';
  if (end - off < 4) {
    d.short(L, 'NULL', 'loopback header', off + 4, end);
    return;
  }
  let family = u32(d.data, off);
  // DLT_NULL is in the writer's byte order: a family is small, so high bits set mean swapped.
  if (!network && (family & 0xffff0000) !== 0) {
    family = (((family & 0xff) << 24) | ((family & 0xff00) << 8) | ((family >>> 8) & 0xff00) | (family >>> 24)) >>> 0;
  }
  if (L) {
    if (family > 1500 && family <= 0xffff) L.fields.push(field('null.type', `Type: ${hex32(family)}`, off, 4, family));
    else
      L.fields.push(field('null.family', `Family: ${FAMILIES.get(family) ?? 'Unknown'} (${family})`, off, 4, family));
  }
  // Some writers put an ethertype there instead of an address family.
  if (family > 1500 && family <= 0xffff) {
    dispatchEtherType(d, family, off + 4, end, rend);
    return;
  }
  const name = FAMILIES.get(family);
  if (name === 'IP') dispatchEtherType(d, 0x0800, off + 4, end, rend);
  else if (name === 'IPv6') dispatchEtherType(d, 0x86dd, off + 4, end, rend);
}

/** Raw IP: the version nibble says which. */
export function dissectRawIp(d: Dissection, off: number, end: number, rend: number): void {
  const v = end > off ? d.data[off]! >> 4 : -1;
  if (v === 4) dispatchEtherType(d, 0x0800, off, end, rend);
  else if (v === 6) {
    if (enter(d, 'IPv6')) dissectIpv6Direct(d, off, end, rend);
  } else {
    d.protocol = 'Raw';
    d.info = 'Raw packet data';
    const L = d.treeLayer('raw', 'Raw packet data', off, Math.max(end - off, 0));
    if (v < 0) d.short(L, 'Raw', 'IP version', off + 1, end);
    else d.malformed(L, 'Raw', `IP version ${v} is neither 4 nor 6`, off, 1);
  }
}
