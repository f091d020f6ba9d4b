// The one IP address parser and formatter, judged by Node's own (node:net, which uses inet_pton).
import assert from 'node:assert/strict';
import { isIPv4, isIPv6, SocketAddress } from 'node:net';
import { test } from 'node:test';
import { ipv6Text, parseIpv4, parseIpv4Prefix, parseIpv6 } from '../../packet/ip-address.js';

const V4 = [
  '0.0.0.0',
  '192.0.2.1',
  '255.255.255.255',
  '1.2.3',
  '1.2.3.4.5',
  '256.1.1.1',
  '1..2.3',
  '01.2.3.4',
  '1.2.3.4 ',
  '',
];
const V6 = [
  '::',
  '::1',
  '2001:db8::1',
  'fe80::a00:27ff:fe4e:6601',
  '1:2:3:4:5:6:7:8',
  '1:2:3:4:5:6:7:8:9',
  '1::2::3',
  '::ffff:192.0.2.1',
  '64:ff9b::192.0.2.1',
  '1:2:3:4:5:6:1.2.3.4',
  '::1.2.3',
  '12345::1',
  'g::1',
  '1:2:3:4:5:6:7::',
  ':1',
];

test('IPv4: what inet_pton accepts, as its number', () => {
  for (const s of V4) {
    // inet_pton refuses leading zeros; pcap's and Wireshark's filters read "01" as 1, and so do we.
    const expected =
      isIPv4(s.replace(/\b0+(\d)/g, '$1')) && !/\s/.test(s)
        ? s.split('.').reduce((v, o) => v * 256 + Number(o), 0)
        : undefined;
    assert.equal(parseIpv4(s), expected, s);
  }
});

test("IPv4 prefixes: pcap's short forms with the octets written", () => {
  assert.deepEqual(parseIpv4Prefix('10'), { value: 0x0a000000, parts: 1 });
  assert.deepEqual(parseIpv4Prefix('10.1'), { value: 0x0a010000, parts: 2 });
  assert.deepEqual(parseIpv4Prefix('10.1.2'), { value: 0x0a010200, parts: 3 });
  assert.equal(parseIpv4Prefix('10.'), undefined);
  assert.equal(parseIpv4Prefix('.10'), undefined);
  assert.equal(parseIpv4Prefix('1000'), undefined);
});

test('IPv6: what inet_pton accepts, to its bytes and back to its RFC 5952 text', () => {
  for (const s of V6) {
    const bytes = parseIpv6(s);
    assert.equal(bytes !== undefined, isIPv6(s), s);
    if (!bytes) continue;
    // SocketAddress prints the address as inet_ntop does: the RFC 5952 form.
    const canonical = new SocketAddress({ address: s, family: 'ipv6' }).address;
    assert.equal(ipv6Text(bytes), canonical, s);
    assert.deepEqual(parseIpv6(canonical), bytes, canonical);
  }
});
