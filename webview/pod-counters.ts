// The status bar's counters per pod, in a capture of Kubernetes pods: one item per pod, "POD
// packets · bytes", and its drops when the capture says them. Hidden for any other capture. Pod
// names come from the capture: they go in as text.
import type { PodCounters } from '../packet/protocol.js';
import { formatBytes, formatCount, h, setText } from './dom.js';

interface PodItem {
  item: HTMLElement;
  value: HTMLElement;
  drops: HTMLElement;
}

export class PodCountersView {
  readonly element: HTMLElement;
  private items: PodItem[] = [];
  /** The pods the items show, in order: rebuilt only when that changes. */
  private shownPods = '';

  constructor() {
    this.element = h('span', { class: 'sb-pods', attrs: { role: 'list', 'aria-label': 'Counters per pod' } });
    this.element.hidden = true;
  }

  show(pods: readonly PodCounters[] | undefined): void {
    this.element.hidden = !pods || pods.length === 0;
    if (!pods) return;
    const names = JSON.stringify(pods.map((p) => p.pod));
    if (names !== this.shownPods) {
      this.shownPods = names;
      this.items = pods.map((p) => this.newItem(p.pod));
      this.element.replaceChildren(...this.items.map((i) => i.item));
    }
    for (const [k, p] of pods.entries()) this.fill(this.items[k]!, p);
  }

  private newItem(pod: string): PodItem {
    const value = h('span', { class: 'sb-value' });
    const drops = h('span', { class: 'sb-pod-drops' });
    const item = h(
      'span',
      { class: 'sb-item sb-pod', attrs: { role: 'listitem' } },
      h('span', { class: 'sb-label', text: pod }),
      value,
      drops,
    );
    return { item, value, drops };
  }

  /** Called for every counters event: text is set only where it changed. */
  private fill(i: PodItem, p: PodCounters): void {
    setText(i.value, `${formatCount(p.packets)} · ${formatBytes(p.bytes)}`);
    i.drops.hidden = p.drops === undefined;
    setText(i.drops, `${formatCount(p.drops ?? 0)} dropped`);
    i.drops.classList.toggle('warn', (p.drops ?? 0) > 0);
    const title = `${p.pod}: ${formatCount(p.packets)} packets, ${formatBytes(p.bytes)} received${
      p.drops === undefined ? '' : `, ${formatCount(p.drops)} dropped by the capture`
    }`;
    if (i.item.title !== title) i.item.title = title;
  }
}
