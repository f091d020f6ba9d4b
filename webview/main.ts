// The capture panel's entry point inside VS Code: the initial PanelState comes from the page (a
// data attribute the host escaped), later states as `state` events over the transport.
import type { PanelState } from '../packet/protocol.js';
import { mountPanel } from './panel.js';
import { VsCodeTransport, VsCodeUiStore } from './transport.js';

function initialState(root: HTMLElement): PanelState {
  const fallback: PanelState = {
    mode: 'live',
    title: 'Packet Capture',
    status: 'idle',
    targets: [],
    displayFilter: '',
  };
  try {
    const state = JSON.parse(root.dataset.state ?? '') as Partial<PanelState>;
    return { ...fallback, ...state };
  } catch {
    return fallback;
  }
}

const root = document.getElementById('app');
if (root) {
  const api = acquireVsCodeApi();
  const transport = new VsCodeTransport(api);
  const panel = mountPanel(root, transport, initialState(root), new VsCodeUiStore(api));
  transport.shownBy((done) => panel.table.afterDrawn(done));
}
