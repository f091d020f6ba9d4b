// The extension's manifest (package.json) as VS Code reads it: which settings a workspace may set,
// what an untrusted workspace turns off, and where the extension runs under Remote-SSH/WSL/containers.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { COLORING_COLORS, DEFAULT_COLORING_RULES } from '../../packet/coloring-rules.js';

interface Setting {
  scope?: string;
}
interface Manifest {
  extensionKind?: string[];
  capabilities?: {
    untrustedWorkspaces?: { supported: boolean | 'limited'; description?: string; restrictedConfigurations?: string[] };
  };
  contributes: {
    configuration: { properties: Record<string, Setting> };
    commands: { command: string }[];
    menus?: Record<string, { command: string; when?: string }[]>;
  };
}

const manifest = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as Manifest;
const settings = manifest.contributes.configuration.properties;

/** Settings that name a program to run or a file to read: a cloned repository must never set them. */
const MACHINE_ONLY = [
  'packetCapture.wiresharkPath',
  'packetCapture.ssh.configFile',
  'packetCapture.kubectlPath',
  'packetCapture.kubernetes.helperImage',
  'packetCapture.kubernetes.helperNamespace',
];

test('settings that name a program or a file are machine settings, out of any workspace’s reach', () => {
  for (const key of MACHINE_ONLY) {
    assert.ok(settings[key], `${key} is contributed`);
    assert.equal(settings[key].scope, 'machine', `${key} has scope "machine"`);
  }
});

test('an untrusted workspace is supported in a limited way, and the description says what is off', () => {
  const untrusted = manifest.capabilities?.untrustedWorkspaces;
  assert.ok(untrusted, 'capabilities.untrustedWorkspaces is declared');
  assert.equal(untrusted.supported, 'limited');
  const restricted = untrusted.restrictedConfigurations ?? [];
  for (const key of [...MACHINE_ONLY, 'packetCapture.ssh.excludeOwnConnection'])
    assert.ok(restricted.includes(key), `${key} is a restricted configuration`);
  for (const key of restricted) {
    assert.ok(settings[key], `restricted ${key} is a contributed setting`);
    assert.ok(untrusted.description?.includes(key), `the description names ${key}`);
  }
});

test('the extension runs where the workspace is (Remote-SSH, WSL, dev containers)', () => {
  assert.deepEqual(manifest.extensionKind, ['workspace']);
});

/** The context values the Kubernetes extension documents for its Cluster Explorer's resource nodes. */
const EXPLORER_ITEMS = {
  shown: [
    'vsKubernetes.resource.pod',
    'vsKubernetes.resource.deployment',
    'vsKubernetes.resource.statefulset',
    'vsKubernetes.resource.daemonset',
    'vsKubernetes.resource.replicaset',
    'vsKubernetes.resource.job',
  ],
  hidden: [
    'vsKubernetes.resource.node',
    'vsKubernetes.resource.service',
    'vsKubernetes.resource.configmap',
    'vsKubernetes.namespace',
  ],
};

/** The view/item/context `viewItem =~ /…/flags` of a command in the Kubernetes explorer, as VS Code evaluates it. */
function explorerViewItem(command: string): RegExp {
  assert.ok(
    manifest.contributes.commands.some((c) => c.command === command),
    `${command} is contributed`,
  );
  const items = (manifest.contributes.menus?.['view/item/context'] ?? []).filter((m) => m.command === command);
  assert.equal(items.length, 1, 'one view/item/context entry');
  const when = items[0]!.when ?? '';
  assert.match(when, /view == extension\.vsKubernetesExplorer/);
  const match = /viewItem =~ \/(.+)\/([a-z]*)/.exec(when);
  assert.ok(match, `a viewItem regular expression in ${when}`);
  return new RegExp(match[1]!, match[2]);
}

test('the Kubernetes explorer\'s pods and workloads get "Capture Kubernetes Pod…", and nothing else does', () => {
  const viewItem = explorerViewItem('packetCapture.capturePod');
  for (const item of EXPLORER_ITEMS.shown) assert.ok(viewItem.test(item), `shown on ${item}`);
  for (const item of EXPLORER_ITEMS.hidden) assert.ok(!viewItem.test(item), `not shown on ${item}`);
});

test('the Kubernetes explorer\'s pods, and only pods, get "Capture Pod\'s Node from the In-Cluster Agent…"', () => {
  const viewItem = explorerViewItem('packetCapture.captureNodeAgent');
  const [pod, ...others] = EXPLORER_ITEMS.shown;
  assert.ok(viewItem.test(pod!), `shown on ${pod}`);
  for (const item of [...others, ...EXPLORER_ITEMS.hidden]) assert.ok(!viewItem.test(item), `not shown on ${item}`);
});

test("the colouring rules' default in the settings is the rules the panel ships, each colour a palette name", () => {
  const setting = settings['packetCapture.coloringRules'] as Setting & {
    default?: unknown;
    items?: { properties?: { color?: { enum?: string[] } } };
  };
  assert.deepEqual(setting.default, DEFAULT_COLORING_RULES);
  assert.deepEqual(setting.items?.properties?.color?.enum, [...COLORING_COLORS]);
});
