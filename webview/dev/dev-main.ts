// The dev page: the panel against the scripted fake host, in a plain browser. URL parameters:
// rows (held at load), rate (packets/s appended while capturing), status, mode (live|file),
// latency (ms per request), limit (most packets held), tick (ms between counter pushes), filterMs
// (how long a display filter takes to apply),
// tail=0 (counts without the newest rows: the table asks for them), pods=1 (a capture of
// Kubernetes pods), processes=1 (a capture that names each packet's process), markers=1 (debugger
// markers among the rows), theme (dark|light).
// The context menus are VS Code's (packet/context-menu.ts): a plain browser shows its own here, and
// `__dev.fake.menuItem(command, context)` runs an item as VS Code and the host would.
import { mountPanel } from '../panel.js';
import { MemoryUiStore } from '../transport.js';
import { DEFAULT_OPTIONS, FakeHost, type FakeOptions } from './fake-host.js';

const params = new URLSearchParams(location.search);
const num = (name: keyof FakeOptions): number | undefined => (params.has(name) ? Number(params.get(name)) : undefined);
const options: Partial<FakeOptions> = {};
for (const key of ['rows', 'rate', 'latency', 'limit', 'tick', 'filterMs'] as const) {
  const value = num(key);
  if (value !== undefined && Number.isFinite(value)) options[key] = value;
}
const status = params.get('status');
if (status) options.status = status as FakeOptions['status'];
if (params.get('mode') === 'file') options.mode = 'file';
if (params.get('tail') === '0') options.tail = false;
if (params.get('pods') === '1') options.pods = true;
if (params.get('processes') === '1') options.processes = true;
if (params.get('markers') === '1') options.markers = true;
// widths=source:230,time:120: the workspace's column widths.
const widths = params.get('widths');
if (widths)
  options.columnWidths = Object.fromEntries(widths.split(',').map((w) => [w.split(':')[0], Number(w.split(':')[1])]));

document.body.classList.add(params.get('theme') === 'light' ? 'vscode-light' : 'vscode-dark');

// The panel's tests expose libpcap's check (the addon) to the page; a plain browser has none.
const exposed = (window as { __checkCaptureFilter?: FakeOptions['checkCaptureFilter'] }).__checkCaptureFilter;
if (exposed) options.checkCaptureFilter = exposed;
// And the real host's display-filter completion and check (Wireshark's names, sharkd).
const host = window as {
  __completeField?: FakeOptions['completeField'];
  __checkDisplayFilter?: FakeOptions['checkDisplayFilter'];
};
if (host.__completeField) options.completeField = host.__completeField;
if (host.__checkDisplayFilter) {
  options.checkDisplayFilter = host.__checkDisplayFilter;
  options.wiresharkNames = true;
}

const fake = new FakeHost({ ...DEFAULT_OPTIONS, ...options });
const root = document.getElementById('app')!;
const panel = mountPanel(root, fake, fake.initialState(), new MemoryUiStore());

/** Handles for the checks (test/webview) and for poking at the page from devtools. */
Object.assign(window, {
  __dev: {
    fake,
    panel,
    table: () => panel.table.debugState(),
    hexRange: () => panel.hex.range,
    renderTimes: () => [...panel.table.renderTimes],
    rowRequests: () => panel.cache.requests,
  },
});
