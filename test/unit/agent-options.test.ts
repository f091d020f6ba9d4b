// The agent's inputs that decide what it may touch as root: --netns, the --listen token and where
// it comes from, and PCA mode's choice of interfaces. Parsed with the agent's own functions.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { AgentError } from '../../agent/errors.js';
import { InterfaceChoice, parseCaptureArgs, parseInterfacesArgs, resolveNetns, USAGE } from '../../agent/options.js';
import { chooseInterfaces } from '../../agent/pca.js';
import type { RawInterface } from '../../native/capture.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'agent-options-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
delete process.env.PCAP_AGENT_TOKEN; // each test sets what it needs

function rejects(fn: () => unknown, code: string, says: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AgentError, String(e));
    assert.equal(e.code, code);
    assert.match(e.message, says);
    assert.doesNotMatch(e.message, /\n/, 'one line');
    return true;
  });
}

function tokenFile(name: string, content: string, mode: number): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  fs.chmodSync(file, mode);
  return file;
}

test('--netns takes a name under /run/netns or /proc/PID/ns/net, nothing else', () => {
  assert.equal(resolveNetns('blue'), '/run/netns/blue');
  assert.equal(resolveNetns('/proc/1234/ns/net'), '/proc/1234/ns/net');
  assert.equal(resolveNetns(undefined), undefined);
  for (const bad of [
    '/run/netns/blue',
    '../etc/passwd',
    '..',
    '.',
    'a/b',
    '/proc/self/ns/net',
    '/proc/12/ns/mnt',
    '/tmp/x',
  ]) {
    rejects(
      () => resolveNetns(bad),
      'E_USAGE',
      /--netns takes a namespace name \(a file in \/run\/netns.*or \/proc\/PID\/ns\/net, got/,
    );
  }
  rejects(() => parseInterfacesArgs(['--netns', '/etc/passwd']), 'E_USAGE', /got "\/etc\/passwd"/);
  rejects(() => parseCaptureArgs(['-i', 'eth0', '--netns', '../x']), 'E_USAGE', /--netns takes/);
});

test('--listen without a token is refused unless --no-token asks for it (loopback only)', () => {
  rejects(
    () => parseCaptureArgs(['-i', 'eth0', '--listen', '127.0.0.1:9990']),
    'E_LISTEN',
    /refusing to serve captures on 127\.0\.0\.1:9990 without a token: give --token-file FILE.*or --no-token/,
  );
  const open = parseCaptureArgs(['-i', 'eth0', '--listen', '127.0.0.1:9990', '--no-token']);
  assert.equal(open.token, undefined);
  assert.equal(open.noToken, true);
  rejects(
    () => parseCaptureArgs(['-i', 'eth0', '--listen', '198.18.0.1:9990', '--no-token']),
    'E_LISTEN',
    /refusing to serve captures on 198\.18\.0\.1 without a token/,
  );
  rejects(() => parseCaptureArgs(['-i', 'eth0', '--no-token']), 'E_USAGE', /--no-token needs --listen/);
});

test('the token never comes from the command line: --token is refused with the ways that work', () => {
  rejects(
    () => parseCaptureArgs(['-i', 'eth0', '--listen', '127.0.0.1:9990', '--token', 's3cret']),
    'E_USAGE',
    /--token is not accepted: a token on the command line is visible in ps.*--token-file FILE \(mode 0600\) or PCAP_AGENT_TOKEN/,
  );
  assert.doesNotMatch(USAGE, /--token T/);
  assert.match(USAGE, /--token-file FILE/);
  process.env.PCAP_AGENT_TOKEN = 'from-env';
  try {
    assert.equal(parseCaptureArgs(['-i', 'eth0', '--listen', '9990']).token, 'from-env');
  } finally {
    delete process.env.PCAP_AGENT_TOKEN;
  }
});

test('--token-file reads the first line of a file only its owner can read', () => {
  const good = tokenFile('good', 'pässwört 秘密\nignored\n', 0o600);
  assert.equal(parseCaptureArgs(['-i', 'eth0', '--listen', '9990', '--token-file', good]).token, 'pässwört 秘密');
  assert.equal(
    parseCaptureArgs(['-i', 'eth0', '--listen', '9990', '--token-file', tokenFile('ro', 'abc\r\n', 0o400)]).token,
    'abc',
  );
  const listen = (file: string) => () => parseCaptureArgs(['-i', 'eth0', '--listen', '9990', '--token-file', file]);
  rejects(listen(tokenFile('group', 'abc\n', 0o640)), 'E_USAGE', /mode 0640 lets others read it; chmod 600/);
  rejects(listen(tokenFile('world', 'abc\n', 0o604)), 'E_USAGE', /mode 0604 lets others read it/);
  rejects(listen(tokenFile('empty', '\nabc\n', 0o600)), 'E_USAGE', /first line is empty/);
  const link = path.join(dir, 'link');
  fs.symlinkSync(good, link);
  rejects(listen(link), 'E_USAGE', /cannot use token file .*link: it is a symbolic link/);
  rejects(listen(dir), 'E_USAGE', /not a regular file/);
  rejects(listen(path.join(dir, 'missing')), 'E_USAGE', /no such file/);
  rejects(
    () => parseCaptureArgs(['-i', 'eth0', '--listen', '9990', '--token-file', good, '--no-token']),
    'E_USAGE',
    /--no-token contradicts/,
  );
});

test('--overwrite goes with -w FILE', () => {
  assert.equal(parseCaptureArgs(['-i', 'eth0', '-w', 'x.pcapng']).overwrite, false);
  assert.equal(parseCaptureArgs(['-i', 'eth0', '-w', 'x.pcapng', '--overwrite']).overwrite, true);
  rejects(() => parseCaptureArgs(['-i', 'eth0', '--overwrite']), 'E_USAGE', /--overwrite needs -w FILE/);
});

const iface = (name: string): RawInterface => ({
  name,
  index: 1,
  up: true,
  running: true,
  loopback: name === 'lo',
  hatype: 1,
  mac: '',
  rxPackets: 0,
  txPackets: 0,
  addresses: [],
});
const present = ['lo', 'eth0', 'veth1'].map(iface);

test('PCA mode: an interface named in INTERFACES wins over the default exclusion of lo', () => {
  const loOnly = chooseInterfaces(new InterfaceChoice('lo', undefined), present);
  assert.deepEqual(
    loOnly.chosen.map((i) => i.name),
    ['lo'],
  );
  assert.match(loOnly.chosen[0]!.reason, /named in INTERFACES, over the default exclusion/);
  assert.deepEqual(
    loOnly.left.map((i) => [i.name, i.reason]),
    [
      ['eth0', 'not in INTERFACES'],
      ['veth1', 'not in INTERFACES'],
    ],
  );
  // A regular expression is not "naming" lo; an exclusion the user wrote still wins over a name.
  assert.equal(new InterfaceChoice('/.*/', undefined).chosen('lo'), false);
  assert.equal(new InterfaceChoice('lo', 'lo').chosen('lo'), false);
  const all = chooseInterfaces(new InterfaceChoice(undefined, undefined), present);
  assert.deepEqual(
    all.chosen.map((i) => i.name),
    ['eth0', 'veth1'],
  );
  assert.match(all.left[0]!.reason, /excluded by default \(EXCLUDE_INTERFACES=lo\); name it in INTERFACES/);
});

test('PCA mode: a choice that leaves no interface is an error that says why each was left out', () => {
  rejects(
    () => chooseInterfaces(new InterfaceChoice('nope0', undefined), present),
    'E_NO_INTERFACE',
    /^no interface to capture on: lo \(not in INTERFACES\), eth0 \(not in INTERFACES\), veth1 \(not in INTERFACES\)$/,
  );
  rejects(
    () => chooseInterfaces(new InterfaceChoice(undefined, '/./'), present),
    'E_NO_INTERFACE',
    /eth0 \(in EXCLUDE_INTERFACES\)/,
  );
});
