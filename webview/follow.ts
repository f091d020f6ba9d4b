// Follow Stream's tab: the stream's content, each direction in its colour, "Show data as", the
// stream picker, Filter Out This Stream and Save as…, as in Wireshark's Follow Stream window. It
// draws what the host sends (packet/follow-protocol.ts), always as text, never as markup.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { FOLLOW_FORMAT_NAMES, FOLLOW_FORMATS, type FollowFormat } from '../packet/decode/follow.js';
import type { FollowMessage, FollowView } from '../packet/follow-protocol.js';
import { formatBytes, h } from './dom.js';
import { startTabPage } from './tab-page.js';

export interface FollowPage {
  show(view: FollowView): void;
}

/** Mounts the tab's page in `root`; `post` carries the user's choices to the host. */
export function mountFollow(root: HTMLElement, post: (m: FollowMessage) => void): FollowPage {
  const title = h('h1', { class: 'follow-title' });
  const peers = h('div', { class: 'follow-peers' });
  const content = h('pre', {
    class: 'follow-content',
    attrs: { tabindex: '0', role: 'document', 'aria-label': 'Stream content' },
  });
  const hidden = h('div', { class: 'follow-hidden', attrs: { role: 'status' } });
  const summary = h('div', { class: 'follow-summary', attrs: { role: 'status' } });

  const format = document.createElement('vscode-single-select');
  format.setAttribute('aria-label', 'Show data as');
  for (const f of FOLLOW_FORMATS) {
    const option = document.createElement('vscode-option');
    option.value = f;
    option.textContent = FOLLOW_FORMAT_NAMES[f];
    format.append(option);
  }
  format.addEventListener('change', () => post({ type: 'format', format: format.value as FollowFormat }));

  const stream = document.createElement('vscode-textfield');
  stream.type = 'number';
  stream.min = 0;
  stream.setAttribute('aria-label', 'Stream');
  stream.className = 'follow-stream';
  stream.addEventListener('change', () => {
    const n = Number(stream.value);
    if (Number.isSafeInteger(n) && n >= 0) post({ type: 'stream', stream: n });
  });

  const filterOut = document.createElement('vscode-button');
  filterOut.textContent = 'Filter Out This Stream';
  filterOut.secondary = true;
  filterOut.addEventListener('click', () => post({ type: 'filterOut' }));
  const save = document.createElement('vscode-button');
  save.textContent = 'Save as…';
  save.addEventListener('click', () => post({ type: 'save' }));

  root.append(
    h(
      'div',
      { class: 'follow' },
      h('header', {}, title, peers),
      content,
      hidden,
      h(
        'footer',
        {},
        summary,
        h(
          'div',
          { class: 'follow-controls' },
          h('label', {}, 'Show data as ', format),
          h('label', {}, 'Stream ', stream),
          filterOut,
          save,
        ),
      ),
    ),
  );

  return {
    show(view) {
      title.textContent = `Follow ${view.protocol.toUpperCase()} Stream (${view.filter}) — ${view.captureTitle}`;
      peers.replaceChildren(
        ...view.peers.map((p, i) =>
          h(
            'div',
            { class: `peer${i}` },
            `Node ${i} (${i === 0 ? 'client' : 'server'}): ${p.text} — ${formatPackets(p.packets)}, ${formatBytes(p.bytes)}`,
          ),
        ),
      );
      content.replaceChildren(
        ...view.pieces.map((piece) =>
          h('span', { class: piece.peer === undefined ? 'plain' : `peer${piece.peer}`, text: piece.text }),
        ),
      );
      hidden.hidden = view.hiddenPieces === 0;
      hidden.textContent = `${view.hiddenPieces} more chunks are not shown here; Save as… writes them all.`;
      summary.textContent =
        view.peers.length === 0
          ? `No packet of ${view.filter} is held in this capture.`
          : `Entire conversation: ${formatBytes(view.peers.reduce((n, p) => n + p.bytes, 0))}, ${view.turns} turn${view.turns === 1 ? '' : 's'}.`;
      format.value = view.format;
      // Wireshark wraps the text formats; the dump, arrays and YAML keep their lines.
      content.classList.toggle('keep-lines', !['ascii', 'raw'].includes(view.format));
      if (stream.value !== String(view.stream)) stream.value = String(view.stream);
    },
  };
}

function formatPackets(n: number): string {
  return `${n} packet${n === 1 ? '' : 's'}`;
}

startTabPage<FollowView, FollowMessage>('follow', mountFollow);
