import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import {
  appendKnownHost,
  checkHostKey,
  fingerprintSha256,
  KnownHostsError,
  type KnownHostsFiles,
  keyTypeOf,
  knownKeyTypes,
} from '../../extension/ssh/known-hosts.js';

// OpenSSH's own ssh-keygen is the judge: it makes the keys, hashes files and looks hosts up.

const dir = mkdtempSync(join(tmpdir(), 'known-hosts-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function sshKeygen(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('ssh-keygen', args, { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface TestKey {
  file: string;
  type: string;
  b64: string;
  blob: Buffer;
  text: string;
}

function makeKey(name: string, args: string[]): TestKey {
  const file = join(dir, name);
  const r = sshKeygen(['-q', ...args, '-N', '', '-C', '', '-f', file]);
  assert.equal(r.status, 0, r.stderr);
  const [type = '', b64 = ''] = readFileSync(`${file}.pub`, 'utf8').trim().split(' ');
  return { file: `${file}.pub`, type, b64, blob: Buffer.from(b64, 'base64'), text: `${type} ${b64}` };
}

const ed1 = makeKey('ed1', ['-t', 'ed25519']);
const ed2 = makeKey('ed2', ['-t', 'ed25519']);
const ec = makeKey('ec', ['-t', 'ecdsa', '-b', '256']);
const rsa = makeKey('rsa', ['-t', 'rsa', '-b', '2048']);

let fileCount = 0;
function knownHosts(lines: string[], end = '\n'): string {
  const file = join(dir, `known_hosts_${++fileCount}`);
  writeFileSync(file, lines.join('\n') + end);
  return file;
}

const only = (file: string): KnownHostsFiles => ({ user: [file], global: [] });
const lookupName = (host: string, port: number): string => (port === 22 ? host : `[${host}]:${port}`);

/** Line numbers `ssh-keygen -F name -f file` reports as matching the name. */
function opensshFinds(file: string, name: string): number[] {
  const r = sshKeygen(['-F', name, '-f', file]);
  return [...r.stdout.matchAll(/^# Host .* found: line (\d+)/gm)].map((m) => Number(m[1]));
}

describe('keyTypeOf and fingerprintSha256', () => {
  it('fingerprints exactly as ssh-keygen -lf prints them', () => {
    for (const key of [ed1, ec, rsa]) {
      const expected = sshKeygen(['-lf', key.file]).stdout.split(' ')[1] ?? '';
      assert.match(expected, /^SHA256:[A-Za-z0-9+/]{43}$/);
      assert.equal(fingerprintSha256(key.blob), expected, key.type);
    }
  });

  it('reads the key type inside the blob (ssh-rsa whatever signature algorithm is negotiated)', () => {
    assert.equal(keyTypeOf(ed1.blob), 'ssh-ed25519');
    assert.equal(keyTypeOf(ec.blob), 'ecdsa-sha2-nistp256');
    assert.equal(keyTypeOf(rsa.blob), 'ssh-rsa');
  });

  it('throws KnownHostsError on malformed blobs', () => {
    const typeOnly = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519')]);
    const bad = [
      Buffer.alloc(0),
      Buffer.from([0, 0, 0]),
      Buffer.from([0, 0, 0, 99, 0x61]),
      typeOnly,
      ed1.blob.subarray(0, ed1.blob.length - 1),
      Buffer.concat([ed1.blob, Buffer.from([0])]),
      Buffer.from([0, 0, 0, 2, 0x20, 0x0a, 0, 0, 0, 0]),
    ];
    for (const blob of bad) assert.throws(() => keyTypeOf(blob), KnownHostsError, blob.toString('hex'));
  });
});

describe('checkHostKey', () => {
  it('accepts a plain entry on the line ssh-keygen -F finds', () => {
    const file = knownHosts(['# comment', '', `other.example ${ed2.text}`, `foo.example ${ed1.text} a comment`]);
    assert.deepEqual(opensshFinds(file, 'foo.example'), [4]);
    assert.deepEqual(checkHostKey(only(file), 'foo.example', 22, ed1.blob), { status: 'known', file, line: 4 });
    assert.deepEqual(checkHostKey(only(file), 'nope.example', 22, ed1.blob), {
      status: 'unknown',
      otherTypesKnown: [],
    });
  });

  it('reports a different key of the same type as changed', () => {
    const file = knownHosts([`foo.example ${ed2.text}`]);
    assert.deepEqual(checkHostKey(only(file), 'foo.example', 22, ed1.blob), {
      status: 'changed',
      file,
      line: 1,
      keyType: 'ssh-ed25519',
    });
  });

  it('reports unknown with the other key types when only other types are known', () => {
    const file = knownHosts([`foo.example ${rsa.text}`, `foo.example ${ec.text}`, `foo.example ${rsa.text}`]);
    assert.deepEqual(checkHostKey(only(file), 'foo.example', 22, ed1.blob), {
      status: 'unknown',
      otherTypesKnown: ['ssh-rsa', 'ecdsa-sha2-nistp256'],
    });
    assert.deepEqual(knownKeyTypes(only(file), 'foo.example', 22), ['ssh-rsa', 'ecdsa-sha2-nistp256']);
    assert.deepEqual(checkHostKey(only(file), 'foo.example', 22, rsa.blob), { status: 'known', file, line: 1 });
  });

  it('keeps ports apart: [host]:port entries for other ports, bare names for port 22 only', () => {
    const file = knownHosts([`foo.example ${ed1.text}`, `[foo.example]:2222 ${ed2.text}`]);
    assert.deepEqual(opensshFinds(file, '[foo.example]:2222'), [2]);
    assert.deepEqual(opensshFinds(file, '[foo.example]:2200'), []);
    assert.deepEqual(checkHostKey(only(file), 'foo.example', 2222, ed2.blob), { status: 'known', file, line: 2 });
    assert.deepEqual(checkHostKey(only(file), 'foo.example', 22, ed2.blob), {
      status: 'changed',
      file,
      line: 1,
      keyType: 'ssh-ed25519',
    });
    assert.equal(checkHostKey(only(file), 'foo.example', 2200, ed1.blob).status, 'unknown');
  });

  it('matches wildcards, negations and comma lists exactly as ssh-keygen -F does', () => {
    const file = knownHosts([
      `*.example.com,!bad.example.com ${ed1.text}`,
      `web?.internal ${ed1.text}`,
      `10.0.0.* ${ed1.text}`,
      `[*.lab]:2222 ${ed1.text}`,
      `alpha,Beta ${ed1.text}`,
    ]);
    const cases: [string, number, number | null][] = [
      ['foo.example.com', 22, 1],
      ['a.b.example.com', 22, 1],
      ['bad.example.com', 22, null],
      ['example.com', 22, null],
      ['foo.example.com', 2222, null],
      ['web1.internal', 22, 2],
      ['web12.internal', 22, null],
      ['10.0.0.7', 22, 3],
      ['10.0.1.7', 22, null],
      ['x.lab', 2222, 4],
      ['x.lab', 22, null],
      ['beta', 22, 5],
      ['ALPHA', 22, 5],
      ['alphabet', 22, null],
    ];
    for (const [host, port, line] of cases) {
      const label = `${host}:${port}`;
      assert.deepEqual(opensshFinds(file, lookupName(host, port)), line === null ? [] : [line], `OpenSSH ${label}`);
      const expected = line === null ? { status: 'unknown', otherTypesKnown: [] } : { status: 'known', file, line };
      assert.deepEqual(checkHostKey(only(file), host, port, ed1.blob), expected, label);
    }
  });

  it('matches names in a file hashed by ssh-keygen -H', () => {
    const file = knownHosts([
      `foo.example ${ed1.text}`,
      `[foo.example]:2222 ${ed2.text}`,
      `bar.example,10.1.2.3 ${ec.text}`,
    ]);
    assert.equal(sshKeygen(['-H', '-f', file]).status, 0);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    assert.ok(
      lines.every((l) => l.startsWith('|1|')),
      'every name hashed',
    );
    for (const [host, port, key] of [
      ['foo.example', 22, ed1],
      ['foo.example', 2222, ed2],
      ['bar.example', 22, ec],
      ['10.1.2.3', 22, ec],
    ] as const) {
      const [line] = opensshFinds(file, lookupName(host, port));
      assert.ok(line, `OpenSSH finds ${host}:${port}`);
      assert.deepEqual(checkHostKey(only(file), host, port, key.blob), { status: 'known', file, line });
    }
    assert.equal(checkHostKey(only(file), 'foo.example', 2200, ed1.blob).status, 'unknown');
    assert.equal(checkHostKey(only(file), 'baz.example', 22, ec.blob).status, 'unknown');
    assert.deepEqual(checkHostKey(only(file), 'foo.example', 22, ed2.blob), {
      status: 'changed',
      file,
      line: opensshFinds(file, 'foo.example')[0],
      keyType: 'ssh-ed25519',
    });
  });

  it('lets @revoked win over everything, from any file', () => {
    const user = knownHosts([`foo.example ${ed1.text}`, `foo.example ${ed2.text}`]);
    const global = knownHosts([`@revoked foo.example ${ed2.text}`, `@revoked * ${ec.text}`]);
    const files = { user: [user], global: [global] };
    assert.match(sshKeygen(['-F', 'foo.example', '-f', global]).stdout, /found: line 1 REVOKED/);
    assert.deepEqual(checkHostKey(files, 'foo.example', 22, ed2.blob), { status: 'revoked', file: global, line: 1 });
    assert.deepEqual(checkHostKey(files, 'other.example', 2222, ec.blob), { status: 'revoked', file: global, line: 2 });
    assert.deepEqual(checkHostKey(files, 'foo.example', 22, ed1.blob), { status: 'known', file: user, line: 1 });
    assert.deepEqual(knownKeyTypes(files, 'foo.example', 22), ['ssh-ed25519']);
  });

  it('ignores @cert-authority lines for plain host keys', () => {
    const file = knownHosts([`@cert-authority *.example ${ed1.text}`]);
    assert.match(sshKeygen(['-F', 'foo.example', '-f', file]).stdout, /found: line 1 CA/);
    assert.deepEqual(checkHostKey(only(file), 'foo.example', 22, ed1.blob), { status: 'unknown', otherTypesKnown: [] });
    assert.deepEqual(knownKeyTypes(only(file), 'foo.example', 22), []);
  });

  it('treats missing files as empty', () => {
    const files = { user: [join(dir, 'missing', 'known_hosts')], global: [join(dir, 'nope')] };
    assert.deepEqual(checkHostKey(files, 'foo.example', 22, ed1.blob), { status: 'unknown', otherTypesKnown: [] });
    assert.deepEqual(knownKeyTypes(files, 'foo.example', 22), []);
  });

  it('skips lines OpenSSH rejects as keys, keeping line numbers', () => {
    const garbage = [
      'garbage',
      'foo.example',
      'foo.example ssh-ed25519',
      'foo.example ssh-ed25519 !!!!',
      `foo.example ssh-rsa ${ed2.b64}`, // text type disagrees with the blob
      `foo.example ssh-ed25519 ${ed2.b64.slice(0, -1)}`,
      `foo.example ssh-ed25519 ${ed2.b64}=`,
      `foo.example ssh-ed25519 ${Buffer.from(ed2.blob.subarray(0, 40)).toString('base64')}`,
      'foo.example 1024 35 123456789',
    ];
    const judged = knownHosts(garbage);
    const lint = sshKeygen(['-l', '-f', judged]);
    assert.doesNotMatch(lint.stdout, /SHA256:/, 'ssh-keygen -l accepts none of them');
    assert.equal(checkHostKey(only(judged), 'foo.example', 22, ed2.blob).status, 'unknown');
    assert.deepEqual(knownKeyTypes(only(judged), 'foo.example', 22), []);

    const file = knownHosts([
      ...garbage,
      `@bogus foo.example ${ed2.text}`,
      `@revoked@revoked foo.example ${ed1.text}`,
      `foo.example ${ed1.text}`,
    ]);
    assert.deepEqual(checkHostKey(only(file), 'foo.example', 22, ed1.blob), {
      status: 'known',
      file,
      line: garbage.length + 3,
    });
    assert.deepEqual(checkHostKey(only(file), 'foo.example', 22, ed2.blob), {
      status: 'changed',
      file,
      line: garbage.length + 3,
      keyType: 'ssh-ed25519',
    });
  });

  it('reads user files before global files, preferring known over changed', () => {
    const user = knownHosts([`foo.example ${ed2.text}`]);
    const global = knownHosts([`foo.example ${ed1.text}`]);
    const files = { user: [join(dir, 'absent'), user], global: [global] };
    assert.deepEqual(checkHostKey(files, 'foo.example', 22, ed1.blob), { status: 'known', file: global, line: 1 });
    assert.deepEqual(checkHostKey(files, 'foo.example', 22, ec.blob), {
      status: 'unknown',
      otherTypesKnown: ['ssh-ed25519'],
    });
    const copy = knownHosts([`foo.example ${ed1.text}`]);
    const twice = { user: [copy], global: [global] };
    assert.deepEqual(checkHostKey(twice, 'foo.example', 22, ed1.blob), { status: 'known', file: copy, line: 1 });
    assert.deepEqual(checkHostKey({ user: [], global: [user] }, 'foo.example', 22, ed1.blob), {
      status: 'changed',
      file: user,
      line: 1,
      keyType: 'ssh-ed25519',
    });
  });

  it('throws KnownHostsError for a malformed presented key', () => {
    assert.throws(
      () => checkHostKey(only(join(dir, 'absent')), 'foo.example', 22, Buffer.from('junk')),
      KnownHostsError,
    );
  });
});

describe('appendKnownHost', () => {
  for (const hash of [false, true]) {
    for (const port of [22, 2222]) {
      it(`appends a ${hash ? 'hashed' : 'plain'} entry for port ${port} that ssh-keygen -F finds`, () => {
        const folder = join(dir, `append-${hash}-${port}`, '.ssh');
        const file = join(folder, 'known_hosts');
        appendKnownHost(file, 'Foo.Example', port, ed1.blob, { hash });
        appendKnownHost(file, 'bar.example', port, ec.blob, { hash });

        assert.equal(statSync(file).mode & 0o777, 0o600);
        assert.equal(statSync(folder).mode & 0o777, 0o700);
        const lines = readFileSync(file, 'utf8').split('\n');
        assert.equal(lines.length, 3, 'two lines, newline-terminated');
        const name = lookupName('foo.example', port);
        if (hash) assert.match(lines[0] ?? '', /^\|1\|[A-Za-z0-9+/]{27}=\|[A-Za-z0-9+/]{27}= ssh-ed25519 /);
        else assert.equal(lines[0], `${name} ${ed1.text}`);

        assert.deepEqual(opensshFinds(file, name), [1]);
        assert.deepEqual(opensshFinds(file, lookupName('bar.example', port)), [2]);
        assert.deepEqual(opensshFinds(file, lookupName('foo.example', port === 22 ? 2222 : 22)), []);
        assert.deepEqual(checkHostKey(only(file), 'foo.example', port, ed1.blob), { status: 'known', file, line: 1 });
        assert.deepEqual(checkHostKey(only(file), 'bar.example', port, ec.blob), { status: 'known', file, line: 2 });
      });
    }
  }

  it('uses a fresh salt for each hashed line', () => {
    const file = join(dir, 'salts', 'known_hosts');
    appendKnownHost(file, 'foo.example', 22, ed1.blob, { hash: true });
    appendKnownHost(file, 'foo.example', 22, ed1.blob, { hash: true });
    const [a, b] = readFileSync(file, 'utf8').split('\n');
    assert.notEqual(a, b);
    assert.deepEqual(opensshFinds(file, 'foo.example'), [1, 2]);
  });

  it('starts a new line when the file does not end with one', () => {
    const file = knownHosts([`old.example ${ed2.text}`], '');
    appendKnownHost(file, 'new.example', 22, rsa.blob, { hash: false });
    assert.equal(readFileSync(file, 'utf8'), `old.example ${ed2.text}\nnew.example ${rsa.text}\n`);
    assert.deepEqual(opensshFinds(file, 'old.example'), [1]);
    assert.deepEqual(opensshFinds(file, 'new.example'), [2]);
    assert.deepEqual(checkHostKey(only(file), 'old.example', 22, ed2.blob), { status: 'known', file, line: 1 });
    assert.deepEqual(checkHostKey(only(file), 'new.example', 22, rsa.blob), { status: 'known', file, line: 2 });
  });

  it('refuses host names that would corrupt the line, and malformed keys', () => {
    const file = join(dir, 'refused', 'known_hosts');
    for (const host of ['', 'a b', 'a,b', 'a\nb', '@revoked', '|1|x', '!foo']) {
      assert.throws(
        () => appendKnownHost(file, host, 22, ed1.blob, { hash: false }),
        KnownHostsError,
        JSON.stringify(host),
      );
    }
    assert.throws(
      () => appendKnownHost(file, 'foo.example', 22, Buffer.from('junk'), { hash: false }),
      KnownHostsError,
    );
  });
});
