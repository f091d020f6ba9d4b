import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  commandLine,
  isLoopbackHost,
  loopbackListenerInodes,
  loopbackListeners,
  parseListeningSockets,
} from '../../extension/debug/port-listener.js';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'proc-net');
const recorded = (name: string) => fs.readFileSync(path.join(FIXTURES, name), 'latin1');

test('listening sockets of a recorded /proc/net/tcp: address, port, inode; connections left out', () => {
  assert.deepEqual(parseListeningSockets(recorded('tcp')), [
    { address: '0.0.0.0', port: 2024, inode: 1269 },
    { address: '198.19.255.1', port: 6443, inode: 4429873 },
    { address: '127.0.0.1', port: 10259, inode: 4429530 },
  ]);
});

test('listening sockets of a recorded /proc/net/tcp6: ::1, ::, a mapped IPv4, a link-local address', () => {
  assert.deepEqual(parseListeningSockets(recorded('tcp6')), [
    { address: '::1', port: 9301, inode: 4439600 },
    { address: '::', port: 9302, inode: 4439601 },
    { address: '::ffff:127.0.0.1', port: 50627, inode: 4438385 },
    { address: 'fe80:0:0:0:fc:ff:0:1', port: 9303, inode: 4438390 },
  ]);
});

test('lines that are not sockets are skipped, not misread', () => {
  const text = [
    'heading',
    '',
    '   0: 0100007F 00000000:0000 0A 0 0 0 0 0 1 1',
    '   1: 0100007F:ZZZZ 00000000:0000 0A 0 0 0 0 0 1 1',
    '   2: 0100007F:0050 00000000:0000 0A 0 0 0 0 0 notanumber 1',
    '   3: 0100007F:0000 00000000:0000 0A 0 0 0 0 0 7 1',
    '   4: 0100007:0050 00000000:0000 0A 0 0 0 0 0 7 1',
  ].join('\n');
  assert.deepEqual(parseListeningSockets(text), []);
});

test('loopback hosts: localhost, 127/8, ::1, bracketed or mapped; other hosts are not', () => {
  for (const h of ['localhost', 'LOCALHOST', '127.0.0.1', '127.1.2.3', '::1', '[::1]', '::ffff:127.0.0.1'])
    assert.ok(isLoopbackHost(h), h);
  for (const h of ['10.0.0.1', 'example.com', '0.0.0.0', '::', 'localhost.example.com', '1127.0.0.1'])
    assert.ok(!isLoopbackHost(h), h);
});

test('the recorded listeners reached on the loopback: loopback and wildcard ones, by port', () => {
  const proc = fs.mkdtempSync(path.join(os.tmpdir(), 'pcap-proc-'));
  try {
    fs.mkdirSync(path.join(proc, 'net'));
    fs.copyFileSync(path.join(FIXTURES, 'tcp'), path.join(proc, 'net', 'tcp'));
    fs.copyFileSync(path.join(FIXTURES, 'tcp6'), path.join(proc, 'net', 'tcp6'));
    assert.deepEqual([...loopbackListenerInodes(10259, proc)], [4429530]); // 127.0.0.1
    assert.deepEqual([...loopbackListenerInodes(2024, proc)], [1269]); // 0.0.0.0
    assert.deepEqual([...loopbackListenerInodes(9301, proc)], [4439600]); // ::1
    assert.deepEqual([...loopbackListenerInodes(9302, proc)], [4439601]); // ::
    assert.deepEqual([...loopbackListenerInodes(6443, proc)], [], 'another address of the machine');
    assert.deepEqual([...loopbackListenerInodes(9303, proc)], [], 'a link-local address');
    assert.deepEqual([...loopbackListenerInodes(9300, proc)], [], 'no listener');
  } finally {
    fs.rmSync(proc, { recursive: true, force: true });
  }
});

function listen(host: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => resolve(server));
  });
}

const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;

test('a real listener on 127.0.0.1, on ::1 and on every address is found by its port: this process', async () => {
  const servers = await Promise.all(['127.0.0.1', '::1', '0.0.0.0'].map(listen));
  try {
    for (const s of servers) assert.deepEqual(loopbackListeners(portOf(s)), [process.pid], String(s.address()));
    const free = portOf(servers[0]!);
    servers[0]!.close();
    await new Promise((resolve) => servers[0]!.once('close', resolve));
    assert.deepEqual(loopbackListeners(free), [], 'closed: no listener');
  } finally {
    for (const s of servers) s.close();
  }
});

test("a process's command line is its argv, arguments with spaces whole", async () => {
  // bash's exec -a sets argv[0]: a name with a space in it.
  const child = spawn('bash', ['-c', 'echo started; exec -a "$0" sleep 30', 'my sleep'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  try {
    await new Promise((resolve) => child.stdout.once('data', resolve));
    // bash execs right after it printed: until then the command line is still bash's.
    let line = commandLine(child.pid!);
    for (let tries = 0; line[0] === 'bash' && tries < 2000; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      line = commandLine(child.pid!);
    }
    assert.deepEqual(line, ['my sleep', '30']);
  } finally {
    child.kill('SIGKILL');
  }
  assert.deepEqual(commandLine(2 ** 30), [], 'no such process');
});
