// A host whose SSH config sets ProxyCommand: the extension never runs commands from a config file,
// and dialling the host directly would bypass the proxy the user set up. It refuses, naming the
// file and line, and suggests ProxyJump; nothing is dialled (a listener on loopback counts).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { parseDestination, resolveHost } from '../../extension/ssh/ssh-config.js';
import { type SshPrompts, SshSession } from '../../extension/ssh/ssh-session.js';

const noAnswers: SshPrompts = {
  confirmHostKey: async () => false,
  passphrase: async () => undefined,
  password: async () => undefined,
  keyboardInteractive: async () => undefined,
};

let dir = '';
let server: net.Server;
let port = 0;
let dialled = 0;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ssh-proxy-command-'));
  server = net.createServer((socket) => {
    dialled++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});
after(() => {
  server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function config(text: string): string {
  const file = path.join(dir, `config-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(file, text);
  return file;
}

test('ProxyCommand: the host is refused with the file and line, ProxyJump suggested, nothing dialled', async () => {
  const file = config(
    ['Host proxied', '  HostName 127.0.0.1', `  Port ${port}`, '  ProxyCommand ssh -W %h:%p bastion', ''].join('\n'),
  );
  assert.deepEqual(resolveHost('proxied', { configFile: file, systemConfigFile: '' }).proxyCommand, {
    command: 'ssh -W %h:%p bastion',
    file,
    line: 4,
  });
  await assert.rejects(
    SshSession.connect(parseDestination('proxied'), { configFile: file, systemConfigFile: '', prompts: noAnswers }),
    (e: Error) => {
      assert.equal(e.message.startsWith(`${file} line 4 sets a ProxyCommand for proxied.`), true, e.message);
      assert.match(e.message, /never runs commands from an SSH config/);
      assert.match(e.message, /"ProxyJump JUMP"/);
      return true;
    },
  );
  assert.equal(dialled, 0, 'no connection was attempted');
});

test('ProxyCommand none, or a ProxyJump that came first, is no proxy command', () => {
  const file = config(
    [
      'Host direct',
      '  ProxyCommand none',
      'Host jumped',
      '  ProxyJump bastion',
      'Host *',
      '  ProxyCommand nc %h %p',
      '',
    ].join('\n'),
  );
  const options = { configFile: file, systemConfigFile: '' };
  assert.equal(resolveHost('direct', options).proxyCommand, undefined);
  assert.equal(resolveHost('jumped', options).proxyCommand, undefined);
  assert.equal(resolveHost('other', options).proxyCommand?.line, 6);
});
