// The start of a tab's page (Follow Stream, Conversations): mounted in its root element, it draws
// what the host sends ({ type: 'show', view }) and tells the host it is ready for it.

import type { TabReady, TabShow } from '../packet/tab-protocol.js';

declare function acquireVsCodeApi(): { postMessage(message: unknown): void };

/** Mounts the page in the element `id`, if this document has one (a test may import the module). */
export function startTabPage<View, Message>(
  id: string,
  mount: (root: HTMLElement, post: (m: Message) => void) => { show(view: View): void },
): void {
  const root = document.getElementById(id);
  if (!root) return;
  const api = acquireVsCodeApi();
  const page = mount(root, (m) => api.postMessage(m));
  window.addEventListener('message', (e: MessageEvent<TabShow<View>>) => {
    if (e.data?.type === 'show') page.show(e.data.view);
  });
  api.postMessage({ type: 'ready' } satisfies TabReady);
}
