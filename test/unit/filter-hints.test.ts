// A filter typed in the other language gets its equivalent in the message: a capture filter typed
// as a display filter ("port 80"), a display filter typed as a capture filter ("tcp.port == 80").
// Plain words in the display filter are searched only in text-search mode; elsewhere their error
// points at the toggle.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { CaptureFilterChecker } from '../../extension/capture/capture-filter-check.js';
import { compileDisplayFilter, DisplayFilterError, looksLikeFilter } from '../../packet/display-filter.js';
import { captureFilterAsDisplay, closestName, displayFilterAsCapture } from '../../packet/filter-hints.js';

function displayError(text: string): DisplayFilterError {
  try {
    compileDisplayFilter(text);
  } catch (e) {
    assert.ok(e instanceof DisplayFilterError, String(e));
    return e;
  }
  assert.fail(`${text} compiled as a display filter`);
}

/** The capture filter as the panel checks it: libpcap through the built addon (dist/agent). */
const captureFilters = new CaptureFilterChecker(path.resolve(__dirname, '../..'));

function captureError(text: string): string {
  const verdict = captureFilters.check(text);
  if (verdict.ok) assert.fail(`${text} compiled as a capture filter`);
  return verdict.error;
}

/** [capture filter, its display filter] */
const CAPTURE_AS_DISPLAY: [string, string][] = [
  ['port 80', 'tcp.port == 80 || udp.port == 80'],
  ['host 1.2.3.4', 'ip.addr == 1.2.3.4'],
  ['src port 53', 'tcp.srcport == 53 || udp.srcport == 53'],
  ['dst port 53', 'tcp.dstport == 53 || udp.dstport == 53'],
  ['tcp port 80', 'tcp.port == 80'],
  ['udp dst port 53', 'udp.dstport == 53'],
  ['net 10.0.0.0/8', 'ip.addr == 10.0.0.0/8'],
  ['src host 10.0.0.1', 'ip.src == 10.0.0.1'],
  ['dst 10.0.0.1', 'ip.dst == 10.0.0.1'],
  ['host fe80::1', 'ipv6.addr == fe80::1'],
  ['ip6 and tcp portrange 8000-8080', 'ipv6 && tcp.port in {8000..8080}'],
  ['tcp port 80 and host 1.2.3.4', 'tcp.port == 80 && ip.addr == 1.2.3.4'],
  // pcap's "and" and "or" have equal precedence, left to right: the translation keeps the grouping.
  [
    'port 80 or port 443 and host 1.2.3.4',
    '(tcp.port == 80 || udp.port == 80 || tcp.port == 443 || udp.port == 443) && ip.addr == 1.2.3.4',
  ],
  ['port 53 and (udp or icmp)', '(tcp.port == 53 || udp.port == 53) && (udp || icmp)'],
  ['ip6 and not arp', 'ipv6 && !arp'],
];

/** [display filter, its capture filter] */
const DISPLAY_AS_CAPTURE: [string, string][] = [
  ['tcp.port == 80', 'tcp port 80'],
  ['udp.port == 53', 'udp port 53'],
  ['tcp.dstport == 443', 'tcp dst port 443'],
  ['tcp.srcport == 8080', 'tcp src port 8080'],
  ['udp.srcport eq 53', 'udp src port 53'],
  ['udp.dstport == 53', 'udp dst port 53'],
  ['ip.addr == 198.18.95.1', 'host 198.18.95.1'],
  ['ip.src == 10.0.0.1', 'src host 10.0.0.1'],
  ['ip.dst == 10.0.0.0/8', 'dst net 10.0.0.0/8'],
  ['ipv6.addr == fe80::1', 'host fe80::1'],
  ['ipv6.dst == 2001:db8::/32', 'dst net 2001:db8::/32'],
  ['ipv6', 'ip6'],
  ['icmpv6', 'icmp6'],
  ['tcp.port == 80 && ip.src == 10.0.0.1', 'tcp port 80 and src host 10.0.0.1'],
  // Wireshark's "and" binds tighter than "or": pcap needs the parentheses.
  ['tcp.port == 80 || udp.port == 53 && ip.dst == 1.1.1.1', 'tcp port 80 or (udp port 53 and dst host 1.1.1.1)'],
  ['(tcp || udp) and ip.addr == 10.0.0.1', '(tcp or udp) and host 10.0.0.1'],
];

describe('filter hints: translations', () => {
  it('a capture filter as a display filter, which our display filter compiles', () => {
    for (const [capture, display] of CAPTURE_AS_DISPLAY) {
      assert.equal(captureFilterAsDisplay(capture), display, capture);
      assert.equal(compileDisplayFilter(display).mode, 'expression', display);
    }
  });

  it('a display filter as a capture filter, which our capture filter compiles (but for negation)', () => {
    for (const [display, capture] of DISPLAY_AS_CAPTURE) {
      assert.equal(displayFilterAsCapture(display), capture, display);
      assert.equal(compileDisplayFilter(display).mode, 'expression', display);
      assert.ok(captureFilters.check(capture).ok, capture);
    }
  });

  it('no translation where there is no certain equivalent', () => {
    for (const s of ['port 80 or 443', 'inbound', 'port http', 'host example.org', 'ip host fe80::1', 'icmp port 1'])
      assert.equal(captureFilterAsDisplay(s), undefined, s);
    for (const s of ['tcp.port > 80', 'ip.addr == "x"', 'http.host == a', 'tcp.port in {80 443}', 'ip.addr == fe80::1'])
      assert.equal(displayFilterAsCapture(s), undefined, s);
    for (const s of ['', '(tcp', 'tcp)', 'TCP port 80', 'port 80 ; rm'])
      assert.equal(captureFilterAsDisplay(s), undefined, s);
    assert.equal(captureFilterAsDisplay(`${'('.repeat(100_000)}tcp${')'.repeat(100_000)}`), undefined, 'too long');
    // Read alike by both languages: such text failed for another reason than the language.
    for (const s of ['tcp', '(((tcp)))', 'tcp and udp', 'not arp'])
      assert.equal(captureFilterAsDisplay(s) ?? displayFilterAsCapture(s), undefined, s);
  });

  it('the closest known name, within one or two edits', () => {
    const names = ['frame.len', 'frame.number', 'tcp.port', 'udp.port', 'tcp', 'dns'];
    assert.equal(closestName('rame.len', names), 'frame.len');
    assert.equal(closestName('tcp.prot', names), 'tcp.port');
    assert.equal(closestName('TCP', names), 'tcp');
    assert.equal(closestName('dnss', names), 'dns');
    assert.equal(closestName('Client', names), undefined);
    assert.equal(closestName('xyz.port', names), undefined, 'three edits');
  });
});

describe('filter hints: in the display filter', () => {
  it('a capture filter is an error that names its display filter', () => {
    for (const [capture, display] of CAPTURE_AS_DISPLAY.slice(0, 7)) {
      const e = displayError(capture);
      assert.equal(e.hint, `This is a capture filter; as a display filter: ${display}`, capture);
      assert.ok(e.message.endsWith(e.hint!), e.message);
    }
  });

  it("the issue's three: each an error with the likely fix, never a text search", () => {
    assert.equal(
      displayError('rame.len > 100').message,
      '"rame.len" is neither a field nor a protocol name (column 1). Did you mean frame.len?',
    );
    assert.equal(
      displayError('port 80').message,
      '"port" is neither a field nor a protocol name (column 1). This is a capture filter; as a display filter: tcp.port == 80 || udp.port == 80',
    );
    assert.equal(
      displayError('ip.addr = 198.18.95.1').message,
      'unexpected character "=" (column 9). To compare, use "==": ip.addr == 198.18.95.1',
    );
    assert.equal(
      displayError('ip.addr = 1.2.3.4 and tcp.port = 80').hint,
      'To compare, use "==": ip.addr == 1.2.3.4 and tcp.port == 80',
    );
    assert.equal(displayError('ip.addr = 1.2.3').hint, 'To compare, use "==" (a single "=" is not an operator).');
  });

  it('plain words are an error that suggests the text-search toggle; in text-search mode they are searched', () => {
    const e = displayError('Client Hello');
    assert.equal(
      e.message,
      '"Client" is neither a field nor a protocol name (column 1). To search packet text, turn on text search (the Aa button).',
    );
    assert.equal(compileDisplayFilter('Client Hello', { textSearch: true }).mode, 'text');
    assert.equal(
      displayError('dnss').hint,
      'Did you mean dns? To search packet text, turn on text search (the Aa button).',
    );
    // Text that reads as a filter gets no such suggestion: the mistake is in the filter.
    assert.equal(displayError('tcp.prot == 80').hint, 'Did you mean tcp.port?');
    assert.equal(displayError('example.org').hint, undefined);
  });

  it('what looks like a filter', () => {
    const filters = [
      'rame.len > 100',
      'ip.addr = 198.18.95.1',
      'a == b',
      'x != 1',
      'frame.len >= 1',
      'x < 2',
      'x && y',
      'x || y',
      '!x',
      'http.host ~ "a"',
      'example.org',
      'foo and bar',
      'foo or bar',
      'not foo',
      'info contains x',
      'x matches y',
      'x in {1 2}',
      'tcp port 80',
      'dns foo',
      'frame.len',
      '(tcp',
    ];
    for (const s of filters) assert.equal(looksLikeFilter(s), true, s);
    for (const s of [
      'Client Hello',
      'GET /index',
      'Who has',
      '10.0.0.1',
      '"tcp port"',
      'dnss',
      'TLS handshake',
      'port 80',
    ])
      assert.equal(looksLikeFilter(s), false, s);
  });
});

describe('filter hints: in the capture filter', () => {
  it('a display filter is an error that names its capture filter', () => {
    for (const [display, capture] of DISPLAY_AS_CAPTURE) {
      if (display === 'icmpv6') continue; // a capture filter too: no error
      const e = captureError(display);
      assert.ok(e.endsWith(`. This is a display filter; as a capture filter: ${capture}`), e);
    }
  });

  it("the issue's example: libpcap's message, then the capture filter it means", () => {
    assert.match(captureError('tcp.port == 80'), /^.+\. This is a display filter; as a capture filter: tcp port 80$/);
    assert.ok(captureFilters.check('tcp[13] & 2 != 0').ok, 'arithmetic is a capture filter: no hint needed');
  });

  it('no hint when the equivalent is not one the kernel filter takes', () => {
    assert.doesNotMatch(captureError('tcp and bogus 1'), /display filter/);
    assert.doesNotMatch(captureError('tcp.flags.syn == 1'), /display filter/);
  });
});
