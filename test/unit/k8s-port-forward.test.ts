import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePortForward } from '../../extension/kubernetes/port-forward.js';

test('realistic kubectl port-forward command lines: context, namespace, kubeconfig in any order and form', () => {
  const cases: [string[], ReturnType<typeof parsePortForward>][] = [
    [
      ['kubectl', 'port-forward', 'web-0', '9229:9229'],
      { resource: { kind: 'pod', name: 'web-0' }, ports: [{ local: 9229, remote: '9229' }] },
    ],
    [
      ['/usr/local/bin/kubectl', '--context', 'kind-dev', '-n', 'shop', 'port-forward', 'pod/api-7f9c', '9229'],
      {
        context: 'kind-dev',
        namespace: 'shop',
        resource: { kind: 'pod', name: 'api-7f9c' },
        ports: [{ local: 9229, remote: '9229' }],
      },
    ],
    [
      ['kubectl', 'port-forward', '--namespace=shop', 'pods/api', ':9229', '8080:80', '--context=prod'],
      {
        context: 'prod',
        namespace: 'shop',
        resource: { kind: 'pod', name: 'api' },
        ports: [{ remote: '9229' }, { local: 8080, remote: '80' }],
      },
    ],
    [
      ['kubectl', '-nshop', '--kubeconfig', 'dev.yaml', 'port-forward', 'deployment.apps/api', '9229:9229'],
      {
        namespace: 'shop',
        kubeconfig: 'dev.yaml',
        resource: { kind: 'workload', resource: 'deployment', name: 'api' },
        ports: [{ local: 9229, remote: '9229' }],
      },
    ],
    [
      ['kubectl', 'port-forward', '-n=shop', 'svc/api', '9229:debug', '--address', '127.0.0.1', '-v=6'],
      { namespace: 'shop', resource: { kind: 'service', name: 'api' }, ports: [{ local: 9229, remote: 'debug' }] },
    ],
    [
      [
        'kubectl',
        '--insecure-skip-tls-verify',
        '--namespace',
        'shop',
        'port-forward',
        '--pod-running-timeout',
        '2m',
        'sts/db',
        '--',
        '5858:5858',
      ],
      {
        namespace: 'shop',
        resource: { kind: 'workload', resource: 'statefulset', name: 'db' },
        ports: [{ local: 5858, remote: '5858' }],
      },
    ],
    [
      ['kubectl1.33', 'port-forward', 'web', '0:9229'],
      { resource: { kind: 'pod', name: 'web' }, ports: [{ remote: '9229' }] },
    ],
  ];
  for (const [argv, expected] of cases) assert.deepEqual(parsePortForward(argv), expected, argv.join(' '));
});

test('command lines that are no kubectl port-forward are not one', () => {
  for (const argv of [
    [],
    ['node', '--inspect=127.0.0.1:9229', 'server.js'],
    ['kubectl', 'get', 'pods'],
    ['kubectl', 'proxy', '--port', '8001'],
    ['kubectl', '--unknown-flag', 'logs', 'web'], // unreadable, but no port-forward
    ['kubectlx', 'port-forward', 'web', '9229'],
    ['ssh', '-L', '9229:localhost:9229', 'host'],
    ['/bin/sh', '-c', 'kubectl port-forward web 9229'],
    ['kubectl', '-n', 'port-forward', 'get', 'pods'], // port-forward is the namespace here
  ])
    assert.equal(parsePortForward(argv), undefined, argv.join(' '));
});

test('hostile or unreadable port-forward command lines throw, saying why', () => {
  const cases: [string[], RegExp][] = [
    [['kubectl', 'port-forward'], /names no pod/],
    [['kubectl', 'port-forward', 'web'], /names no port/],
    [['kubectl', 'port-forward', 'web', 'abc:def:ghi'], /not a port-forward port/],
    [['kubectl', 'port-forward', 'web', '99999:80'], /not a port-forward port/],
    [['kubectl', 'port-forward', 'web', '9229;rm -rf /'], /not a port-forward port/],
    [['kubectl', 'port-forward', '--frobnicate', 'x', 'web', '9229'], /--frobnicate.*cannot be told/],
    [['kubectl', 'port-forward', '-x', 'web', '9229'], /"-x" is not one kubectl has/],
    [['kubectl', 'port-forward', 'web', '9229', '--namespace'], /has no value/],
    [['kubectl', '-n', '../../etc', 'port-forward', 'web', '9229'], /not a namespace name/],
    [['kubectl', '-n', 'Shop', 'port-forward', 'web', '9229'], /not a namespace name/],
    [['kubectl', 'port-forward', 'pod/$(reboot)', '9229'], /not a pod or workload name/],
    [['kubectl', 'port-forward', 'pod/../secret', '9229'], /not a pod or workload name/],
    [['kubectl', 'port-forward', 'configmap/web', '9229'], /not a workload kind/],
    [['kubectl', 'port-forward', 'svc/', '9229'], /not a pod or workload name/],
    [['kubectl', 'port-forward', `pod/${'a'.repeat(300)}`, '9229'], /not a pod or workload name/],
  ];
  for (const [argv, why] of cases) assert.throws(() => parsePortForward(argv), why, argv.join(' '));
});

test('a context or kubeconfig is kept as given: it only ever goes into an argv or the environment', () => {
  const forward = parsePortForward([
    'kubectl',
    '--context=ctx with spaces; $(x)',
    '--kubeconfig=/home/u/my configs/k.yaml',
    'port-forward',
    'web',
    '9229',
  ]);
  assert.equal(forward?.context, 'ctx with spaces; $(x)');
  assert.equal(forward?.kubeconfig, '/home/u/my configs/k.yaml');
});
