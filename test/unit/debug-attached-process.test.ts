import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { attachDebuggee, classifyListener, debuggeeOnPort } from '../../extension/debug/attached-process.js';
import { Kubectl } from '../../extension/kubernetes/kubectl.js';

test('an attach configuration names its debuggee by processId, as a number or its text', () => {
  assert.deepEqual(attachDebuggee({ type: 'node', request: 'attach', processId: 4242 }), { kind: 'pid', pid: 4242 });
  assert.deepEqual(attachDebuggee({ request: 'attach', processId: ' 4242 ' }), { kind: 'pid', pid: 4242 });
  // js-debug's process picker answers PID:PORT.
  assert.deepEqual(attachDebuggee({ request: 'attach', processId: '4242:9230' }), { kind: 'pid', pid: 4242 });
  for (const processId of [`\${command:PickProcess}`, '-1', 0, 1.5, '42x', '', null])
    assert.equal(attachDebuggee({ request: 'attach', processId }), undefined, String(processId));
});

test('an attach configuration names a port of this machine: no address, or a loopback one', () => {
  assert.deepEqual(attachDebuggee({ type: 'node', request: 'attach', port: 9229 }), { kind: 'port', port: 9229 });
  assert.deepEqual(attachDebuggee({ request: 'attach', port: '9229' }), { kind: 'port', port: 9229 });
  for (const address of ['localhost', '127.0.0.1', '::1', '[::1]', ''])
    assert.deepEqual(attachDebuggee({ request: 'attach', port: 9229, address }), { kind: 'port', port: 9229 }, address);
  assert.deepEqual(attachDebuggee({ request: 'attach', port: 5678, host: '127.0.0.1' }), { kind: 'port', port: 5678 });
  // debugpy
  assert.deepEqual(attachDebuggee({ request: 'attach', connect: { host: 'localhost', port: 5678 } }), {
    kind: 'port',
    port: 5678,
  });
});

test('an attach to another machine is named as such; a launch, or an attach naming nothing, is not one', () => {
  assert.deepEqual(attachDebuggee({ request: 'attach', port: 9229, address: '10.1.2.3' }), {
    kind: 'remote',
    host: '10.1.2.3',
    port: 9229,
  });
  assert.deepEqual(attachDebuggee({ request: 'attach', connect: { host: 'build.example', port: 5678 } }), {
    kind: 'remote',
    host: 'build.example',
    port: 5678,
  });
  assert.equal(attachDebuggee({ request: 'launch', port: 9229, processId: 7 }), undefined);
  assert.equal(attachDebuggee({ request: 'attach' }), undefined);
  assert.equal(attachDebuggee({ request: 'attach', port: 70000 }), undefined);
  assert.equal(attachDebuggee({ request: 'attach', websocketAddress: 'ws://127.0.0.1:9229/x' }), undefined);
});

/** A /proc of one process: its argv, environment and working folder. */
function fakeProc(pid: number, argv: string[], env: string[] = [], cwd = '/'): string {
  const proc = fs.mkdtempSync(path.join(os.tmpdir(), 'pcap-proc-'));
  const dir = path.join(proc, String(pid));
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'cmdline'), `${argv.join('\0')}\0`);
  fs.writeFileSync(path.join(dir, 'environ'), `${env.join('\0')}\0`);
  fs.symlinkSync(cwd, path.join(dir, 'cwd'));
  return proc;
}

async function withProc(proc: string, fn: () => unknown): Promise<void> {
  try {
    await fn();
  } finally {
    fs.rmSync(proc, { recursive: true, force: true });
  }
}

test('the listener told apart: the debuggee itself, ssh, a kubectl port-forward, an unreadable one', async () => {
  const node = fakeProc(10, ['node', '--inspect=127.0.0.1:9229', 'server.js']);
  await withProc(node, () => assert.deepEqual(classifyListener(10, node), { kind: 'process', pid: 10 }));
  const ssh = fakeProc(11, ['/usr/bin/ssh', '-N', '-L', '9229:localhost:9229', 'devbox']);
  await withProc(ssh, () => assert.deepEqual(classifyListener(11, ssh), { kind: 'ssh', pid: 11 }));
  const kubectl = fakeProc(12, ['kubectl', '-n', 'shop', 'port-forward', 'pod/api', '9229']);
  await withProc(kubectl, () =>
    assert.deepEqual(classifyListener(12, kubectl), {
      kind: 'kubectl',
      pid: 12,
      forward: { namespace: 'shop', resource: { kind: 'pod', name: 'api' }, ports: [{ local: 9229, remote: '9229' }] },
    }),
  );
  const odd = fakeProc(13, ['kubectl', 'port-forward', '--odd', 'x', 'api', '9229']);
  await withProc(odd, () => {
    const found = classifyListener(13, odd);
    assert.equal(found.kind, 'unreadable');
    assert.match((found as { why: string }).why, /--odd/);
  });
});

test("a port-forward's kubeconfig: its --kubeconfig or its KUBECONFIG, relative paths from its working folder", async () => {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'pcap-cwd-'));
  try {
    const flag = fakeProc(20, ['kubectl', '--kubeconfig', 'k.yaml', 'port-forward', 'api', '9229'], [], cwd);
    await withProc(flag, () => {
      const found = classifyListener(20, flag);
      assert.equal(found.kind === 'kubectl' && found.forward.kubeconfig, path.join(cwd, 'k.yaml'));
    });
    const env = fakeProc(
      21,
      ['kubectl', 'port-forward', 'api', '9229'],
      ['HOME=/x', 'KUBECONFIG=a.yaml:/etc/b.yaml'],
      cwd,
    );
    await withProc(env, () => {
      const found = classifyListener(21, env);
      assert.equal(found.kind === 'kubectl' && found.forward.kubeconfig, `${path.join(cwd, 'a.yaml')}:/etc/b.yaml`);
    });
    const none = fakeProc(22, ['kubectl', 'port-forward', 'api', '9229'], ['HOME=/x'], cwd);
    await withProc(none, () => {
      const found = classifyListener(22, none);
      assert.equal(found.kind === 'kubectl' && found.forward.kubeconfig, undefined, 'the default kubeconfig');
    });
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
});

/** A kubectl that must not be asked: the listener is no forward, or one that cannot be read. */
const noKubectl = () => {
  throw new Error('kubectl asked');
};

test('the debuggee on a port: the one listener, or why there is nothing to capture', async () => {
  const node = fakeProc(30, ['node', '--inspect=9229', 'server.js']);
  await withProc(node, async () => {
    assert.deepEqual(await debuggeeOnPort(9229, [30], noKubectl, node), {
      kind: 'process',
      pid: 30,
      from: 'the process listening on port 9229',
    });
    assert.deepEqual(await debuggeeOnPort(9229, [], noKubectl, node), {
      kind: 'not captured',
      why: 'no process listens on port 9229',
    });
    const several = await debuggeeOnPort(9229, [30, 31], noKubectl, node);
    assert.match(several.kind === 'not captured' ? several.why : '', /processes 30, 31 all listen on port 9229/);
  });
  const ssh = fakeProc(32, ['ssh', '-L', '9229:localhost:9229', 'devbox']);
  await withProc(ssh, async () => {
    const found = await debuggeeOnPort(9229, [32], noKubectl, ssh);
    assert.match(found.kind === 'not captured' ? found.why : '', /forwarded by ssh \(pid 32\).*no capture target/);
  });
  const odd = fakeProc(33, ['kubectl', 'port-forward', '--odd', 'x', 'api', '9229']);
  await withProc(odd, async () => {
    const found = await debuggeeOnPort(9229, [33], noKubectl, odd);
    assert.match(found.kind === 'not captured' ? found.why : '', /kubectl \(pid 33\).*cannot be read.*--odd/);
  });
});

test("another user's port-forward: its kubeconfig is not run, nothing captured", async () => {
  const forward = fakeProc(35, ['kubectl', '--kubeconfig', '/tmp/theirs.yaml', 'port-forward', 'pod/api', '9229']);
  await withProc(forward, async () => {
    fs.chownSync(path.join(forward, '35'), 65534, 65534); // the process of another user (nobody)
    const asked: string[] = [];
    const found = await debuggeeOnPort(
      9229,
      [35],
      (f) => {
        asked.push(f.kubeconfig ?? '');
        return new Kubectl({ path: path.join(os.tmpdir(), 'no-such-kubectl') });
      },
      forward,
    );
    assert.deepEqual(asked, [], 'no kubectl run with their kubeconfig');
    assert.match(found.kind === 'not captured' ? found.why : '', /kubectl \(pid 35\) of another user/);
  });
});

test("a port-forward whose cluster does not answer: not captured, in kubectl's words", async () => {
  const forward = fakeProc(34, ['kubectl', '--context', 'gone', 'port-forward', 'pod/api', '9229']);
  await withProc(forward, async () => {
    const asked: string[] = [];
    const found = await debuggeeOnPort(
      9229,
      [34],
      (f) => {
        asked.push(f.context ?? '');
        return new Kubectl({ path: path.join(os.tmpdir(), 'no-such-kubectl') });
      },
      forward,
    );
    assert.deepEqual(asked, ['gone'], "the forward's context");
    assert.equal(found.kind, 'not captured');
    assert.match(
      found.kind === 'not captured' ? found.why : '',
      /^kubectl port-forward \(pid 34\) of port 9229 to pod\/api: kubectl was not found/,
    );
  });
});
