// The context menus' contract: package.json's menus."webview/context" and the items the panel does
// (packet/context-menu.ts) name the same commands, each in its own section; the context VS Code
// hands a command is checked before anything acts on it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { MENU_ITEMS, menuContext, menuPanel, menuTarget } from '../../packet/context-menu.js';

interface MenuEntry {
  command?: string;
  submenu?: string;
  when?: string;
  group?: string;
}

const pkg = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as {
  contributes: {
    commands: { command: string; title: string }[];
    submenus: { id: string; label: string }[];
    menus: Record<string, MenuEntry[]>;
  };
};
const { commands, submenus, menus } = pkg.contributes;

const WEBVIEWS = 'webviewId =~ /^packetCapture\\.(captureFile|liveCapture)$/';

/** Every command the capture's menus offer, with the sections each place showing it names in its
 *  `when` clauses (a submenu's item is shown where its submenu is). Each alternative of a clause
 *  names the capture's webviews first, then one section. */
function offered(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const walk = (entries: MenuEntry[], sections: string[] | undefined) => {
    for (const entry of entries) {
      // The menu's own entries say where; a submenu's entries are shown where the submenu is.
      const all =
        sections ??
        (entry.when ?? '').split(' || ').map((alternative) => {
          assert.ok(alternative.startsWith(`${WEBVIEWS} && `), alternative);
          return /webviewSection == '(\w+)'/.exec(alternative)?.[1] ?? 'none';
        });
      if (entry.command) found.set(entry.command, [...(found.get(entry.command) ?? []), ...all]);
      if (entry.submenu) walk(menus[entry.submenu] ?? [], all);
    }
  };
  walk(menus['webview/context'] ?? [], undefined);
  return found;
}

test('every menu item the panel does is offered in its sections of a capture’s webview, and nothing else is', () => {
  const shown = offered();
  assert.deepEqual([...shown.keys()].sort(), MENU_ITEMS.map((i) => i.command).sort());
  for (const item of MENU_ITEMS) {
    assert.deepEqual(shown.get(item.command)!.sort(), [...item.sections].sort(), item.command);
    assert.ok(
      commands.some((c) => c.command === item.command && c.title.length > 0),
      `${item.command} is a command`,
    );
  }
  for (const entry of menus['webview/context']!)
    if (entry.submenu) assert.ok(submenus.some((s) => s.id === entry.submenu && s.label));
});

test('no menu names a command or submenu twice (VS Code would keep one of them, and its `when`)', () => {
  for (const [menu, entries] of Object.entries(menus)) {
    const ids = entries.map((e) => e.command ?? e.submenu);
    assert.equal(new Set(ids).size, ids.length, menu);
  }
});

test('the menu-only commands stay out of the command palette; Mark, Ignore and Follow Stream stay in it', () => {
  const hidden = new Set((menus.commandPalette ?? []).filter((e) => e.when === 'false').map((e) => e.command));
  for (const { command } of MENU_ITEMS)
    assert.equal(hidden.has(command), command.startsWith('packetCapture.menu.'), command);
});

test('the context the webview writes is the target the host reads back, with the `when` keys left aside', () => {
  const targets = [
    { webviewSection: 'row', row: 0 },
    { webviewSection: 'row', row: 999_999 },
    { webviewSection: 'row', row: 3, column: 'source' },
    { webviewSection: 'row', row: 3, column: 'custom0' },
    { webviewSection: 'node', packet: 42, node: 7 },
    { webviewSection: 'header', column: 'info' },
    { webviewSection: 'header', column: 'custom3' },
  ] as const;
  for (const target of targets) {
    const read = { ...JSON.parse(menuContext(target, { nodeLink: true, customColumn: false })), panel: 'panel2' };
    assert.deepEqual(menuTarget(read), target);
    assert.equal(menuPanel(read), 'panel2');
  }
});

test('a context that names no target of ours acts on nothing', () => {
  const refused: unknown[] = [
    undefined,
    null,
    'row',
    42,
    [],
    {},
    { webviewSection: 'row' },
    { webviewSection: 'row', row: -1 },
    { webviewSection: 'row', row: 1.5 },
    { webviewSection: 'row', row: '3' },
    { webviewSection: 'row', row: Number.MAX_SAFE_INTEGER + 1 },
    { webviewSection: 'node', node: 1 },
    { webviewSection: 'node', packet: 1, node: Number.NaN },
    { webviewSection: 'header', column: 'constructor' },
    { webviewSection: 'header', column: '__proto__' },
    { webviewSection: 'header', column: 'custom99' },
    { webviewSection: 'editor', row: 1 },
  ];
  for (const context of refused) assert.equal(menuTarget(context), undefined, JSON.stringify(context));
  // A row's cell of no column of ours is the row alone.
  assert.deepEqual(menuTarget({ webviewSection: 'row', row: 2, column: 'toString' }), {
    webviewSection: 'row',
    row: 2,
  });
  assert.equal(menuPanel({ panel: 3 }), undefined);
  assert.equal(menuPanel(null), undefined);
});
