// IP addresses as text, both ways: the one parser for the filter languages (capture and display)
// and the one RFC 5952 formatter for the decoders' columns and the filter descriptions.

/**
 * Dotted decimal with one to four octets, as a 32-bit number and the count of octets written:
 * pcap reads "10.1" as the network 10.1.0.0/16, so callers that take short forms need the count.
 */
export function parseIpv4Prefix(s: string): { value: number; parts: number } | undefined {
  let value = 0;
  let parts = 0;
  let octet = -1; // -1: no digit yet in this octet
  let digits = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 0x2e; // the end closes the last octet like a '.'
    if (c >= 0x30 && c <= 0x39) {
      octet = (octet < 0 ? 0 : octet * 10) + (c - 0x30);
      if (++digits > 3 || octet > 255) return undefined;
    } else if (c === 0x2e && octet >= 0 && parts < 4) {
      value = value * 256 + octet;
      parts++;
      octet = -1;
      digits = 0;
    } else {
      return undefined;
    }
  }
  return { value: value * 256 ** (4 - parts), parts };
}

/** A full dotted-quad IPv4 address ("192.0.2.1") as a 32-bit number. */
export function parseIpv4(s: string): number | undefined {
  const v4 = parseIpv4Prefix(s);
  return v4?.parts === 4 ? v4.value : undefined;
}

/** IPv6 text (with "::" and an optional dotted-quad tail) as its 16 bytes. */
export function parseIpv6(s: string): Uint8Array | undefined {
  if (s.length > 45) return undefined;
  let text = s;
  let tail: number | undefined;
  const lastColon = s.lastIndexOf(':');
  if (s.indexOf('.', lastColon) > 0) {
    tail = parseIpv4(s.slice(lastColon + 1));
    if (tail === undefined) return undefined;
    text = `${s.slice(0, lastColon + 1)}0:0`; // two placeholder groups, filled below
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (half: string) => (half === '' ? [] : half.split(':'));
  const head = groupsOf(halves[0]!);
  const rest = halves.length === 2 ? groupsOf(halves[1]!) : [];
  const given = head.length + rest.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return undefined;
  const groups = [...head, ...Array<string>(8 - given).fill('0'), ...rest];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = groups[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  }
  if (tail !== undefined) {
    out[12] = tail >>> 24;
    out[13] = (tail >>> 16) & 0xff;
    out[14] = (tail >>> 8) & 0xff;
    out[15] = tail & 0xff;
  }
  return out;
}

/** RFC 5952 text form: lowercase, no leading zeros, the longest run (≥ 2) of zero groups as "::". */
export function ipv6Text(b: Uint8Array, o = 0): string {
  // IPv4-mapped (::ffff:a.b.c.d), shown with the dotted quad as Wireshark and inet_ntop do.
  let zeros10 = true;
  for (let i = 0; i < 10; i++)
    if (b[o + i] !== 0) {
      zeros10 = false;
      break;
    }
  if (zeros10 && b[o + 10] === 0xff && b[o + 11] === 0xff)
    return `::ffff:${b[o + 12]}.${b[o + 13]}.${b[o + 14]}.${b[o + 15]}`;
  let bestStart = -1;
  let bestLen = 1;
  let runStart = -1;
  for (let g = 0; g < 8; g++) {
    const zero = b[o + 2 * g] === 0 && b[o + 2 * g + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = g;
      if (g - runStart + 1 > bestLen) {
        bestLen = g - runStart + 1;
        bestStart = runStart;
      }
    } else {
      runStart = -1;
    }
  }
  let s = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      s += g === 0 ? '::' : ':';
      g += bestLen - 1;
      continue;
    }
    const v = (b[o + 2 * g]! << 8) | b[o + 2 * g + 1]!;
    s += v.toString(16);
    if (g < 7) s += ':';
  }
  return s;
}
