// Decode As: rules in tshark's -d form, applied by our decoders where they know the protocol (a
// port they would not decode becomes DNS; one they would, taken by a protocol they do not know,
// is left to Wireshark), and passed to tshark; pcap-summary -d -Y gives tshark -d -Y's frames.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { applyDecodeAs, summarizePacket } from '../../packet/decode/index.js';
import { decodeAsComment, formatDecodeAs, parseDecodeAs, tsharkDecodeAsArgs } from '../../packet/decode-as.js';
import { dns, ETH, eth, http, ip4, ipv4, PROTO, pcapngFile, TCP, tcp, udp } from './fixtures/packets.js';
import { tsharkFrames } from './fixtures/tshark.js';
import { rowNumbers, summary } from './helpers/pcap-summary-run.js';

const A = '198.18.0.1';
const B = '198.18.0.2';

/** A DNS query to UDP port 5300, and an HTTP request to TCP port 80. */
function frames(): Uint8Array[] {
  const ip = { src: ip4(A), dst: ip4(B) };
  const query = dns({ id: 7, questions: [{ name: 'example.test', type: 1 }] });
  return [
    eth({ type: ETH.ipv4 }, ipv4({ src: A, dst: B, proto: PROTO.udp }, udp({ sport: 40000, dport: 5300, ip }, query))),
    eth(
      { type: ETH.ipv4 },
      ipv4(
        { src: A, dst: B, proto: PROTO.tcp },
        tcp({ sport: 40001, dport: 80, flags: TCP.PSH | TCP.ACK, ip }, http('GET / HTTP/1.1\r\nHost: x\r\n\r\n')),
      ),
    ),
  ];
}

describe('Decode As', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'decode-as-'));
  after(() => {
    applyDecodeAs([]);
    rmSync(scratch, { recursive: true, force: true });
  });

  it("reads and writes tshark's -d form; anything else is refused with how to write it", () => {
    const rule = parseDecodeAs(' tcp.port == 18080 , http2 ');
    assert.deepEqual(rule, { transport: 'tcp', port: 18080, protocol: 'http2' });
    assert.equal(formatDecodeAs(rule), 'tcp.port==18080,http2');
    assert.deepEqual(tsharkDecodeAsArgs([rule]), ['-d', 'tcp.port==18080,http2']);
    assert.equal(decodeAsComment([rule]), 'Decode As: tcp.port==18080,http2');
    assert.equal(decodeAsComment([]), undefined);
    for (const bad of [
      'tcp.port==0,http',
      'tcp.port==70000,http',
      'sctp.port==1,x',
      'tcp.port==80',
      'tcp.port==80,<b>',
      '',
    ])
      assert.throws(() => parseDecodeAs(bad), /is not a Decode As rule: write it as tshark's -d takes it/);
  });

  it('our decoders: a rule they know decodes its port; one they do not know takes the port from them', () => {
    const [query, get] = frames() as [Uint8Array, Uint8Array];
    assert.equal(summarizePacket(1, query).protocol, 'UDP');
    assert.equal(summarizePacket(1, get).protocol, 'HTTP');
    applyDecodeAs([parseDecodeAs('udp.port==5300,dns'), parseDecodeAs('tcp.port==80,http2')]);
    assert.equal(summarizePacket(1, query).protocol, 'DNS');
    assert.equal(summarizePacket(1, get).protocol, 'TCP', 'port 80 is HTTP/2 now, which Wireshark decodes');
    applyDecodeAs([]);
    assert.equal(summarizePacket(1, query).protocol, 'UDP');
    assert.equal(summarizePacket(1, get).protocol, 'HTTP');
  });

  it('pcap-summary -d: the frames tshark -d -Y matches, with our decoders and through tshark', async () => {
    const file = join(scratch, 'odd-ports.pcapng');
    writeFileSync(
      file,
      pcapngFile(
        [1],
        frames().map((data) => ({ data })),
      ),
    );
    const cases: [string[], string][] = [
      [['-d', 'udp.port==5300,dns'], 'dns'], // our engine
      [['-d', 'udp.port==5300,dns'], 'dns.qry.name == "example.test"'], // our engine
      [['-d', 'tcp.port==80,http2'], 'http2 || tcp'], // tshark (http2)
      [['-d', 'tcp.port==80,http2'], 'http'], // our engine: port 80 is not HTTP now
      [[], 'http'],
    ];
    for (const [rules, filter] of cases) {
      const theirs = tsharkFrames(file, filter, rules);
      const { code, stdout, stderr } = await summary([file, ...rules, '-Y', filter]);
      assert.equal(code, 0, stderr);
      const ours = rowNumbers(stdout);
      assert.deepEqual(ours, theirs, `${rules.join(' ')} -Y ${filter}`);
    }
    applyDecodeAs([]);
    const bad = await summary([file, '-d', 'tcp.port=80,http']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^pcap-summary: -d: "tcp\.port=80,http" is not a Decode As rule/);
  });
});
