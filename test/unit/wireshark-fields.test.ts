// Wireshark's display-filter names for the filter bar: tshark's lists read defensively, the
// catalogue cached per tshark installation (private, reused, replaced when the binary changes),
// completion of ours and Wireshark's names, and checking as typed: a name neither knows refused
// without asking Wireshark, a filter only Wireshark knows judged by the real sharkd with its own
// message; without Wireshark, our names and messages alone.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { DeepTrees, findWiresharkProgram } from '../../extension/dissect/deep-tree.js';
import { loadCatalogue, WiresharkFields } from '../../extension/store/wireshark-fields.js';
import {
  CATALOGUE_LIMITS,
  COMPLETION_LIMIT,
  catalogueText,
  FieldCatalogue,
  NO_WIRESHARK_FIELDS,
} from '../../packet/filter-fields.js';

const TSHARK = findWiresharkProgram('wireshark', 'tshark');
const noTshark = TSHARK ? false : 'tshark is not installed (Debian: tshark)';
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'wireshark-fields-'));
const deepTrees: DeepTrees[] = [];
after(async () => {
  for (const d of deepTrees) await d.dispose();
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** The filter bar's service as the extension builds it, over the real tshark and sharkd. */
function fields(
  wiresharkPath: string,
  cacheDir: string,
  searchPath?: string,
): { fields: WiresharkFields; deep: DeepTrees } {
  const deep = new DeepTrees({ wiresharkPath: () => wiresharkPath, tempParent: scratch });
  deepTrees.push(deep);
  const f = new WiresharkFields({
    wiresharkPath: () => wiresharkPath,
    cacheDir,
    sharkdCheck: (text) => deep.checkFilter(text),
    ...(searchPath !== undefined ? { searchPath } : {}),
  });
  return { fields: f, deep };
}

test("tshark's lists are read defensively: odd lines left out, columns cleaned, size bounded", () => {
  const fieldsText = [
    'P\tHyperText Transfer Protocol 2\thttp2',
    'F\tStream\thttp2.streamid\tFT_UINT32\thttp2\tBASE_DEC\t0x0\t',
    'F\tBad name\t<script>\tFT_STRING\tx',
    'F\tSpaces in\tname with space\tFT_STRING\tx',
    'F\tDuplicate\thttp2.streamid\tFT_STRING\thttp2',
    `F\t${'long '.repeat(100)}\thttp2.type\tFT_UINT8\thttp2`,
    'F\tControl\u0007char\u001b[31m\thttp2.flags\tFT_UINT8\thttp2',
    'garbage line',
    `F\tx\t${'a'.repeat(500)}\tFT_NONE\tx`,
    '',
  ].join('\n');
  const text = catalogueText(fieldsText, 'HyperText Transfer Protocol 2\tHTTP2\thttp2\nbad\n');
  const catalogue = FieldCatalogue.fromText(text);
  assert.deepEqual([...catalogue.names()], ['http2', 'http2.flags', 'http2.streamid', 'http2.type']);
  assert.deepEqual(catalogue.entry('http2.streamid'), {
    name: 'http2.streamid',
    type: 'uint32',
    description: 'Stream',
  });
  assert.equal(catalogue.entry('http2.flags')?.description, 'Control char [31m');
  assert.ok(catalogue.entry('http2.type')!.description!.length <= 160);
  assert.equal(catalogue.shortName('http2'), 'HTTP2');
  assert.equal(catalogue.entry('http2')?.type, 'protocol');
  assert.throws(() => catalogueText('not tshark\n', ''), /listed no fields/);
  assert.throws(() => catalogueText('x'.repeat(CATALOGUE_LIMITS.maxBytes + 1), ''), /larger than/);
  // A cache file that is not ours, or was changed out of order, is refused (then listed again).
  assert.throws(() => FieldCatalogue.fromText('something else\n'), /not a field catalogue/);
  const [header, ...lines] = text.trimEnd().split('\n');
  assert.throws(() => FieldCatalogue.fromText(`${header}\n${lines.reverse().join('\n')}\n`), /line 3 is wrong/);
});

test("Wireshark's catalogue: listed once per tshark, then read from a private cache file", {
  skip: noTshark,
}, async () => {
  const cacheDir = path.join(scratch, 'cache-a');
  const first = await loadCatalogue(TSHARK!, cacheDir);
  assert.equal(first.cached, false);
  assert.ok(first.catalogue.size > 100_000, `${first.catalogue.size} names`);
  assert.equal(fs.statSync(cacheDir).mode & 0o777, 0o700);
  assert.equal(fs.statSync(first.file).mode & 0o777, 0o600);
  const second = await loadCatalogue(TSHARK!, cacheDir);
  assert.equal(second.cached, true);
  assert.equal(second.file, first.file);
  assert.equal(second.catalogue.size, first.catalogue.size);
  const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
  const all = first.catalogue.complete('', first.catalogue.size);
  console.log(
    `catalogue: ${first.catalogue.size} names; listed in ${Math.round(first.ms)} ms, from the cache in ${Math.round(second.ms)} ms; ` +
      `cache file ${fs.statSync(first.file).size} bytes; every name as one message ${bytes(all)} bytes, ` +
      `names only ${bytes(all.map((e) => e.name))} bytes; one prefix ("tcp.") ${bytes(first.catalogue.complete('tcp.'))} bytes`,
  );
  // Another tshark (an upgrade replaces the binary): listed again, the old file removed.
  const copy = path.join(scratch, 'tshark-copy');
  fs.copyFileSync(TSHARK!, copy);
  fs.chmodSync(copy, 0o755);
  const upgraded = await loadCatalogue(copy, cacheDir);
  assert.equal(upgraded.cached, false);
  assert.notEqual(upgraded.file, first.file);
  assert.deepEqual(fs.readdirSync(cacheDir), [path.basename(upgraded.file)]);
  const names = (prefix: string) => first.catalogue.complete(prefix, 5).map((e) => e.name);
  assert.deepEqual(names('tcp.port'), ['tcp.port']);
  assert.equal(first.catalogue.shortName('http2'), 'HTTP2');
});

test("completion offers ours and Wireshark's names with their types and descriptions, bounded", {
  skip: noTshark,
}, async () => {
  const { fields: f } = fields('wireshark', path.join(scratch, 'cache-b'));
  const tcp = await f.complete('tcp.po');
  assert.deepEqual(
    tcp.find((e) => e.name === 'tcp.port'),
    { name: 'tcp.port', type: 'uint16', description: 'Source or Destination Port' },
  );
  const mqtt = await f.complete('mqtt.');
  assert.equal(mqtt.length, COMPLETION_LIMIT);
  assert.ok(mqtt.every((e) => e.name.startsWith('mqtt.')));
  // Our own fields, which Wireshark has not, are offered too.
  assert.deepEqual(
    (await f.complete('proc.p')).map((e) => e.name),
    ['proc.parent', 'proc.pid', 'proc.ppid'],
  );
});

test("checking as typed: ours at once, a name no one knows refused without Wireshark, Wireshark's own message", {
  skip: noTshark,
}, async () => {
  const { fields: f, deep } = fields('wireshark', path.join(scratch, 'cache-c'));
  assert.deepEqual(await f.check('tcp.port == 80'), { ok: true, judge: 'ours' });
  assert.deepEqual(await f.check(''), { ok: true, judge: 'none' });
  const unknown = await f.check('mqtt.topicc == "a"');
  assert.deepEqual(unknown, {
    ok: false,
    error: `"mqtt.topicc" is neither a field nor a protocol name, ours or Wireshark's (column 1). Did you mean mqtt.topic?`,
  });
  assert.equal(deep.pid, undefined, 'no Wireshark process was asked about a name no one knows');
  const t0 = performance.now();
  assert.deepEqual(await f.check('mqtt.topic == '), { ok: false, error: 'Unexpected end of filter expression.' });
  const firstCheck = performance.now() - t0;
  assert.ok(deep.pid, 'sharkd judged it');
  const t1 = performance.now();
  assert.deepEqual(await f.check('mqtt.topic contains "sensors"'), { ok: true, judge: 'wireshark' });
  const warmCheck = performance.now() - t1;
  const refused = await f.check('mqtt && tcp.port == "x"');
  assert.equal(refused.ok, false);
  assert.equal(
    (refused as { error: string }).error,
    'Unsigned integer (2 bytes) cannot be converted from a string ("x").',
  );
  // Syntax our engine does not have is Wireshark's to judge; syntax neither has keeps our message.
  assert.deepEqual(await f.check('tcp.srcport > tcp.dstport'), { ok: true, judge: 'wireshark' });
  assert.deepEqual(await f.check('tcp.port == 80 &&'), {
    ok: false,
    error: 'unexpected end of filter, expected a field, a protocol or "(" (column 18)',
  });
  console.log(`sharkd check: first ${Math.round(firstCheck)} ms (starts sharkd), warm ${warmCheck.toFixed(1)} ms`);
});

test('without Wireshark: our names and our messages only, no error', async () => {
  for (const [wiresharkPath, searchPath] of [
    [path.join(scratch, 'nowhere', 'wireshark'), undefined],
    ['wireshark', path.join(scratch, 'empty-path')],
  ] as const) {
    const cacheDir = path.join(scratch, 'cache-none');
    const { fields: f, deep } = fields(wiresharkPath, cacheDir, searchPath);
    assert.equal(await f.catalogue(), undefined);
    const port = await f.complete('tcp.po');
    assert.ok(port.some((e) => e.name === 'tcp.port' && e.type === 'number' && e.description === undefined));
    // Wireshark's names come with its descriptions; ours have none.
    const tcp = await f.complete('tcp.');
    assert.ok(tcp.length > 0 && tcp.every((e) => e.description === undefined), "Wireshark's names are not there");
    assert.deepEqual(await f.check('tcp.port == 443'), { ok: true, judge: 'ours' });
    const mqtt = await f.check('mqtt');
    assert.equal(mqtt.ok, false);
    assert.match((mqtt as { error: string }).error, /^"mqtt" is neither a field nor a protocol name \(column 1\)/);
    assert.ok((mqtt as { error: string }).error.endsWith(NO_WIRESHARK_FIELDS));
    assert.equal(deep.pid, undefined);
    assert.ok(!fs.existsSync(cacheDir), 'nothing cached');
  }
});
