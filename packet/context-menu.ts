// The capture panel's context menus are VS Code's own (package.json, menus."webview/context"). The
// webview marks what a right click can land on with a data-vscode-context attribute: a row, a node
// of the packet's tree, a column header. VS Code shows the items whose `when` clause holds for
// those keys and runs the chosen item's command with the keys as its argument; the host hands the
// choice back to the panel as a `menuAction` event, and the panel does it.
//
// Runs in Node and in the browser.

import { FILTER_COMBINATIONS, type FilterCombination } from './field-filter.js';
import { CUSTOM_COLUMN_IDS, TABLE_COLUMNS, type TableColumn } from './protocol.js';

/** What a right click landed on, as the webview named it in data-vscode-context. */
export type MenuTarget =
  /** Row `row`; `column`: the cell right-clicked, when its column shows a field. */
  | { webviewSection: 'row'; row: number; column?: TableColumn }
  /** Node `node` of the tree of packet `packet` (the tree shown when the menu opened). */
  | { webviewSection: 'node'; packet: number; node: number }
  | { webviewSection: 'header'; column: TableColumn };

export type MenuSection = MenuTarget['webviewSection'];

/** Keys besides the target that only `when` clauses read: which items a node or header offers. */
export interface MenuWhenKeys {
  /** The node has a display filter (Apply/Prepare as Filter, Copy ▸ …as Filter). */
  nodeFilter?: boolean;
  /** The node names a field or protocol (Copy ▸ Field Name). */
  nodeName?: boolean;
  /** The node refers to another packet (Go to Linked Packet). */
  nodeLink?: boolean;
  /** The node's field can be a column (Apply as Column). */
  nodeColumn?: boolean;
  /** The header is a custom column's (Remove This Column). */
  customColumn?: boolean;
}

const ROW = ['row'] as const;
const NODE = ['node'] as const;
const HEADER = ['header'] as const;

/** Every item of the menus: the sections it is offered in, what the panel does, and the command
 *  VS Code runs. Mark, Ignore and Follow Stream are the palette's commands (so the menu shows their
 *  keys); the others are the menu's alone. */
export const MENU_ITEMS = [
  { sections: ROW, action: 'mark', command: 'packetCapture.markPacket' },
  { sections: ROW, action: 'ignore', command: 'packetCapture.ignorePacket' },
  { sections: ROW, action: 'follow', command: 'packetCapture.menu.followConversation' },
  { sections: ROW, action: 'followStream', command: 'packetCapture.followStream' },
  { sections: ROW, action: 'details', command: 'packetCapture.menu.showPacketDetails' },
  { sections: ROW, action: 'copy', command: 'packetCapture.menu.copyRow' },
  { sections: NODE, action: 'goto', command: 'packetCapture.menu.goToLinkedPacket' },
  ...filterItems('apply', 'applyAsFilter'),
  ...filterItems('prepare', 'prepareAsFilter'),
  ...(['label', 'filter', 'value', 'name', 'hex', 'text'] as const).map((what) => ({
    sections: NODE,
    action: `copy:${what}` as const,
    command: `packetCapture.menu.copy.${what}`,
  })),
  { sections: NODE, action: 'column', command: 'packetCapture.menu.applyAsColumn' },
  { sections: HEADER, action: 'ascending', command: 'packetCapture.menu.sortAscending' },
  { sections: HEADER, action: 'descending', command: 'packetCapture.menu.sortDescending' },
  { sections: HEADER, action: 'none', command: 'packetCapture.menu.doNotSort' },
  { sections: HEADER, action: 'remove', command: 'packetCapture.menu.removeColumn' },
] as const;

/** Apply as Filter ▸ or Prepare as Filter ▸: Wireshark's six ways of using a node's filter, or a
 *  cell's. */
function filterItems<U extends 'apply' | 'prepare'>(use: U, command: string) {
  return FILTER_COMBINATIONS.map(({ id }) => ({
    sections: ['node', 'row'] as const,
    action: `${use}:${id}` as `${U}:${FilterCombination}`,
    command: `packetCapture.menu.${command}.${id}`,
  }));
}

export type MenuItem = (typeof MENU_ITEMS)[number];
export type MenuAction = MenuItem['action'];

/** The webview's data-vscode-context for a target, with the keys its `when` clauses read. */
export function menuContext(target: MenuTarget, when: MenuWhenKeys = {}): string {
  return JSON.stringify({ ...target, ...when });
}

const COLUMNS: readonly string[] = [...TABLE_COLUMNS, ...CUSTOM_COLUMN_IDS];

function isColumn(v: unknown): v is TableColumn {
  return typeof v === 'string' && COLUMNS.includes(v);
}

function index(v: unknown): number | undefined {
  return Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : undefined;
}

/**
 * The target in the argument VS Code gives a menu command: the keys of every data-vscode-context
 * from the element clicked up to the page, merged. It comes from a web page, so it is checked;
 * undefined when it names no target of ours (the command was run some other way).
 */
export function menuTarget(context: unknown): MenuTarget | undefined {
  if (typeof context !== 'object' || context === null) return undefined;
  const c = context as Record<string, unknown>;
  switch (c.webviewSection) {
    case 'row': {
      const row = index(c.row);
      if (row === undefined) return undefined;
      return isColumn(c.column) ? { webviewSection: 'row', row, column: c.column } : { webviewSection: 'row', row };
    }
    case 'node': {
      const packet = index(c.packet);
      const node = index(c.node);
      return packet === undefined || node === undefined ? undefined : { webviewSection: 'node', packet, node };
    }
    case 'header':
      return isColumn(c.column) ? { webviewSection: 'header', column: c.column } : undefined;
    default:
      return undefined;
  }
}

/** The target `item` acts on, from the context VS Code gave its command: undefined when the
 *  context names no target of ours or one of a section the item is not offered in. */
export function itemTarget(item: MenuItem, context: unknown): MenuTarget | undefined {
  const target = menuTarget(context);
  return target && (item.sections as readonly MenuSection[]).includes(target.webviewSection) ? target : undefined;
}

/** Which capture's panel the menu was opened in: the id the host put on the page's root. */
export function menuPanel(context: unknown): string | undefined {
  const id = typeof context === 'object' && context !== null ? (context as Record<string, unknown>).panel : undefined;
  return typeof id === 'string' ? id : undefined;
}
