// The packet details pane: one collapsible node per layer (Frame first, as Wireshark), fields
// nested below. Labels are packet data and go in as text. Expand state is remembered per protocol
// (and per field name below it), the selected field by name from one packet to the next.
import '@vscode-elements/elements/dist/vscode-tree/index.js';
import '@vscode-elements/elements/dist/vscode-tree-item/index.js';
import { menuContext } from '../packet/context-menu.js';
import { customColumnProblem } from '../packet/custom-columns.js';
import type { Field } from '../packet/decode/types.js';
import { fieldFilter, layerFilter } from '../packet/field-filter.js';
import { type PodRef, parsePodInterfaceName } from '../packet/k8s-pod.js';
import { PROCESS_FIELDS, type ProcessInfo, processLabel, processPod } from '../packet/process-comment.js';
import type { PacketDetail } from '../packet/protocol.js';
import { h, isMenuKey, openContextMenu } from './dom.js';

type TreeItem = HTMLElementTagNameMap['vscode-tree-item'];

export interface TreeNode {
  key: string;
  label: string;
  offset: number;
  length: number;
  depth: number;
  parent?: TreeNode;
  item: TreeItem;
  /** The display filter that selects the node ("Apply as Filter"); none for a label or a note. */
  filter?: string;
  /** The field's or protocol's filter name ("Copy ▸ Field Name"). */
  name?: string;
  /** The packet the node refers to ("Go to Linked Packet": a double click, Enter, the menu). */
  link?: number;
}

export interface DetailTreeEvents {
  /** A node was selected (click, keyboard, or a byte in the hex view): highlight its bytes. */
  select(node: TreeNode | undefined): void;
  expandedChange(expanded: Record<string, boolean>): void;
  /** A node referring to another packet was activated (double click, Enter): go there. */
  goToPacket(number: number): void;
}

function formatArrival(timestampNs: string): string | undefined {
  if (!/^\d+$/.test(timestampNs)) return undefined;
  const ns = BigInt(timestampNs);
  const ms = Number(ns / 1_000_000n);
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return undefined;
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}.${frac} UTC`;
}

/** Said of a packet without a process in a capture that names processes. */
export const NO_PROCESS = 'No process: the kernel made this packet, or it was forwarded';

/** The pod of the packet's interface as display-filter fields (k8s.namespace, k8s.pod). */
function podFields(interfaceName: string | undefined): Field[] {
  return podRefFields(parsePodInterfaceName(interfaceName));
}

function podRefFields(pod: PodRef | undefined): Field[] {
  if (!pod) return [];
  return [
    { name: 'k8s.namespace', label: `Namespace: ${pod.namespace}`, offset: 0, length: 0, value: pod.namespace },
    { name: 'k8s.pod', label: `Pod: ${pod.pod}`, offset: 0, length: 0, value: pod.pod },
  ];
}

/** The frame's Process section: the process's fields by their display-filter names, and its pod
 *  when the interface names none (k8s.* has two sources; the interface wins). Absent in a capture
 *  that names no process; a packet without one says why. */
function processSection(process: ProcessInfo | null | undefined, interfaceName: string | undefined): Field[] {
  if (process === undefined) return [];
  if (process === null) return [{ name: 'proc', label: NO_PROCESS, offset: 0, length: 0 }];
  const children: Field[] = [];
  for (const f of PROCESS_FIELDS) {
    const value = f.value(process);
    if (value !== undefined)
      children.push({ name: f.name, label: `${f.title}: ${value}`, offset: 0, length: 0, value });
  }
  if (!parsePodInterfaceName(interfaceName)) children.push(...podRefFields(processPod(process)));
  return [{ name: 'proc', label: `Process: ${processLabel(process)}`, offset: 0, length: 0, children }];
}

/** A node's data-vscode-context: which node of which packet's tree, and which items it offers. */
function nodeMenuContext(node: TreeNode, index: number, packet: number): string {
  return menuContext(
    { webviewSection: 'node', packet, node: index },
    {
      nodeFilter: node.filter !== undefined,
      nodeName: node.name !== undefined,
      nodeLink: node.link !== undefined,
      nodeColumn: node.name !== undefined && customColumnProblem(node.name) === undefined,
    },
  );
}

export class DetailTree {
  readonly element: HTMLElement;
  private readonly tree: HTMLElementTagNameMap['vscode-tree'];
  private readonly empty: HTMLElement;
  /** One quiet line below the tree (what Wireshark would add, when it is missing). */
  private readonly note: HTMLElement;
  private nodes: TreeNode[] = [];
  /** The packet whose tree is shown. */
  private packet: number | undefined;
  private readonly keyCount = new Map<string, number>();
  private readonly byItem = new WeakMap<Element, TreeNode>();
  private selected: TreeNode | undefined;
  private readonly observer: MutationObserver;
  /** The selected node's key, kept across packets. */
  selectedKey: string | undefined;

  constructor(
    private readonly expanded: Record<string, boolean>,
    private readonly events: DetailTreeEvents,
  ) {
    this.tree = document.createElement('vscode-tree');
    this.tree.expandMode = 'doubleClick';
    this.tree.indentGuides = 'onHover';
    this.tree.setAttribute('aria-label', 'Packet details');
    this.empty = h('div', { class: 'dt-empty', text: 'Select a packet to see its layers and bytes.' });
    this.note = h('div', { class: 'dt-note' });
    this.element = h('div', { class: 'detail-tree' }, this.empty, this.tree, this.note);
    this.tree.hidden = true;
    this.note.hidden = true;

    this.tree.addEventListener('vsc-tree-select', (e) => {
      const detail = (e as CustomEvent).detail as unknown;
      const items = Array.isArray(detail)
        ? detail
        : ((detail as { selectedItems?: unknown[] } | null)?.selectedItems ?? []);
      const node = items.length > 0 ? this.byItem.get(items[0] as Element) : undefined;
      if (node) this.choose(node, false);
    });
    // Keyboard focus moving through the tree highlights as it goes (Wireshark does).
    this.tree.addEventListener('focusin', (e) => {
      const node = this.byItem.get(e.target as Element);
      if (node && node !== this.selected) this.choose(node, true);
    });
    // The arrow toggles the node on a single click; a click on the label only selects.
    this.tree.addEventListener('click', (e) => {
      const path = e.composedPath();
      const arrow = path.find((t) => t instanceof HTMLElement && t.getAttribute('part') === 'arrow-icon-container');
      if (!arrow) return;
      const item = path.find((t): t is TreeItem => t instanceof HTMLElement && t.tagName === 'VSCODE-TREE-ITEM');
      if (item?.branch) item.open = !item.open;
    });
    // A right click selects its node, as Wireshark's; VS Code's menu then opens on the node's
    // data-vscode-context (packet/context-menu.ts). The menu key and Shift+F10 open it below the
    // focused node.
    this.tree.addEventListener('contextmenu', (e) => {
      const node = this.nodeOfEvent(e);
      if (node && node !== this.selected) this.choose(node, true);
    });
    // A node referring to another packet goes there on a double click or Enter, as in Wireshark.
    this.tree.addEventListener('dblclick', (e) => {
      const link = this.nodeOfEvent(e)?.link;
      if (link !== undefined) this.events.goToPacket(link);
    });
    this.tree.addEventListener('keydown', (e) => {
      const node = this.nodeOfEvent(e);
      if (node && isMenuKey(e)) {
        e.preventDefault();
        openContextMenu(node.item);
        return;
      }
      const link = node?.link;
      if (e.key !== 'Enter' || link === undefined) return;
      e.preventDefault();
      this.events.goToPacket(link);
    });
    this.observer = new MutationObserver((records) => {
      let changed = false;
      for (const r of records) {
        const node = this.byItem.get(r.target as Element);
        if (!node) continue;
        const open = node.item.open;
        if ((this.expanded[node.key] ?? false) !== open) {
          this.expanded[node.key] = open;
          changed = true;
        }
      }
      if (changed) this.events.expandedChange(this.expanded);
    });
    this.observer.observe(this.tree, { subtree: true, attributes: true, attributeFilter: ['open'] });
  }

  get selectedNode(): TreeNode | undefined {
    return this.selected;
  }

  clear(message = 'Select a packet to see its layers and bytes.'): void {
    this.discardTreeChanges(() => this.tree.replaceChildren());
    this.nodes = [];
    this.packet = undefined;
    this.selected = undefined;
    this.empty.textContent = message;
    this.empty.hidden = false;
    this.tree.hidden = true;
    this.note.hidden = true;
  }

  /** Shows `text` as one quiet line below the packet's tree, until the next packet. */
  showNote(text: string): void {
    if (this.tree.hidden) return;
    this.note.textContent = text;
    this.note.hidden = false;
  }

  /** The node of the packet's tree a context menu was opened on, if that tree is still shown. */
  menuNode(packet: number, node: number): TreeNode | undefined {
    return packet === this.packet ? this.nodes[node] : undefined;
  }

  show(detail: PacketDetail): void {
    const items: TreeItem[] = [];
    this.nodes = [];
    this.packet = detail.number;
    this.keyCount.clear();
    this.selected = undefined;

    const frameFields: Field[] = [];
    const arrival = formatArrival(detail.timestampNs);
    if (arrival) frameFields.push({ name: 'frame.time', label: `Arrival Time: ${arrival}`, offset: 0, length: 0 });
    frameFields.push({
      name: 'frame.time_relative',
      label: `Time since first packet: ${detail.time.toFixed(9)} seconds`,
      offset: 0,
      length: 0,
    });
    if (detail.interfaceName)
      frameFields.push({
        name: 'frame.interface_name',
        label: `Interface: ${detail.interfaceName}`,
        offset: 0,
        length: 0,
      });
    frameFields.push(...podFields(detail.interfaceName));
    frameFields.push(...processSection(detail.process, detail.interfaceName));
    if (detail.direction)
      frameFields.push({
        name: 'frame.direction',
        label: `Direction: ${detail.direction === 'in' ? 'Inbound' : 'Outbound'}`,
        offset: 0,
        length: 0,
      });
    frameFields.push({
      name: 'frame.len',
      label: `Frame Length: ${detail.length} bytes (${detail.length * 8} bits)`,
      offset: 0,
      length: 0,
      value: detail.length,
    });
    frameFields.push({
      name: 'frame.cap_len',
      label: `Capture Length: ${detail.capturedLength} bytes (${detail.capturedLength * 8} bits)`,
      offset: 0,
      length: 0,
      value: detail.capturedLength,
    });
    const on = detail.interfaceName ? ` on interface ${detail.interfaceName}` : '';
    items.push(
      this.layerItem(
        'frame',
        `Frame ${detail.number}: ${detail.length} bytes on wire (${detail.length * 8} bits), ${detail.capturedLength} bytes captured (${detail.capturedLength * 8} bits)${on}`,
        0,
        detail.capturedLength,
        frameFields,
      ),
    );

    // The decoder's own frame layer (filterable fields such as frame.protocols) joins this one.
    const [first, ...rest] = detail.decoded.layers;
    const decodedFrame = first?.protocol === 'frame' ? first : undefined;
    for (const f of decodedFrame?.fields ?? []) if (!frameFields.some((x) => x.name === f.name)) frameFields.push(f);
    for (const layer of decodedFrame ? rest : detail.decoded.layers) {
      items.push(this.layerItem(layer.protocol, layer.label, layer.offset, layer.length, layer.fields));
    }
    if (detail.decoded.problems.length > 0) {
      const problems = detail.decoded.problems.map(
        (p, i): Field => ({ name: `problem.${i}`, label: p, offset: 0, length: 0 }),
      );
      const item = this.layerItem('_ws.malformed', `[Problems: ${detail.decoded.problems.length}]`, 0, 0, problems);
      item.classList.add('dt-problem');
      items.push(item);
    }

    for (const [i, node] of this.nodes.entries())
      node.item.dataset.vscodeContext = nodeMenuContext(node, i, detail.number);
    this.discardTreeChanges(() => this.tree.replaceChildren(...items));
    this.empty.hidden = true;
    this.tree.hidden = false;
    this.note.hidden = true;

    const remembered = this.selectedKey ? this.nodes.find((n) => n.key === this.selectedKey) : undefined;
    if (remembered) this.choose(remembered, true, false);
    else this.events.select(undefined);
    // The tree's one Tab stop is its active item, and the element goes on naming the item replaced
    // (it picks a new one only when it has none): name one of the new items, or Tab skips the tree.
    const stop = remembered ?? this.nodes[0];
    if (stop) stop.item.active = true;
  }

  /** Selects the deepest node whose bytes hold `offset` (a click in the hex view). */
  selectAt(offset: number): TreeNode | undefined {
    let best: TreeNode | undefined;
    for (const node of this.nodes) {
      if (node.length <= 0 || offset < node.offset || offset >= node.offset + node.length) continue;
      if (!best || node.depth > best.depth || (node.depth === best.depth && node.length < best.length)) best = node;
    }
    if (best) this.choose(best, true);
    return best;
  }

  /** Selects a node by key (checks use it). */
  selectKey(key: string): TreeNode | undefined {
    const node = this.nodes.find((n) => n.key === key);
    if (node) this.choose(node, true);
    return node;
  }

  focus(): void {
    const item = this.selected?.item ?? this.nodes[0]?.item;
    item?.focus();
  }

  private nodeOfEvent(e: Event): TreeNode | undefined {
    const item = e.composedPath().find((t) => t instanceof HTMLElement && t.tagName === 'VSCODE-TREE-ITEM');
    return item ? this.byItem.get(item as Element) : undefined;
  }

  private choose(node: TreeNode, mark: boolean, reveal = true): void {
    if (mark) {
      if (this.selected && this.selected !== node) this.selected.item.selected = false;
      // Reveal: open the ancestors (remembered as the user's choice, as a click would be).
      for (let p = node.parent; p; p = p.parent) if (!p.item.open) p.item.open = true;
      node.item.selected = true;
      if (reveal) requestAnimationFrame(() => node.item.scrollIntoView({ block: 'nearest' }));
    }
    this.selected = node;
    this.selectedKey = node.key;
    this.events.select(node);
  }

  private layerItem(protocol: string, label: string, offset: number, length: number, fields: Field[]): TreeItem {
    const node = this.node(protocol, label, offset, length, 0, undefined, layerFilter(protocol));
    node.name = protocol;
    for (const field of fields) node.item.append(this.fieldItem(field, protocol, node));
    this.setBranch(node, fields.length > 0);
    return node.item;
  }

  private fieldItem(field: Field, protocol: string, parent: TreeNode): TreeItem {
    const node = this.node(
      `${protocol}/${field.name}`,
      field.label,
      field.offset,
      field.length,
      parent.depth + 1,
      parent,
      fieldFilter(field),
    );
    node.name = field.name;
    node.item.slot = 'children';
    if (field.link !== undefined) {
      node.link = field.link;
      node.item.classList.add('dt-link');
      node.item.title = `Go to packet ${field.link} (double click or Enter)`;
    }
    const children = field.children ?? [];
    for (const child of children) node.item.append(this.fieldItem(child, protocol, node));
    this.setBranch(node, children.length > 0);
    return node.item;
  }

  private node(
    key: string,
    label: string,
    offset: number,
    length: number,
    depth: number,
    parent: TreeNode | undefined,
    filter: string | undefined,
  ): TreeNode {
    const item = document.createElement('vscode-tree-item');
    item.append(h('span', { class: 'dt-label', text: label }));
    // Field names repeat (e.g. two VLAN tags): the first keeps the name, the others get a suffix.
    const seen = this.keyCount.get(key) ?? 0;
    this.keyCount.set(key, seen + 1);
    const unique = seen === 0 ? key : `${key}#${seen + 1}`;
    const node: TreeNode = { key: unique, label, offset, length, depth, parent, item };
    if (filter !== undefined) node.filter = filter;
    this.nodes.push(node);
    this.byItem.set(item, node);
    return node;
  }

  private setBranch(node: TreeNode, branch: boolean): void {
    node.item.branch = branch;
    if (branch) node.item.open = this.expanded[node.key] ?? false;
  }

  /** Applies a change to the tree without recording its `open` attributes as the user's choice. */
  private discardTreeChanges(change: () => void): void {
    change();
    this.observer.takeRecords();
  }
}
