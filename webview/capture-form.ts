// The capture form (live mode): target, interfaces, the filter builder and the capture-filter text
// it writes (validated by the host as the user types).
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { InterfaceInfo, PanelState, StartParams, TargetInfo } from '../packet/protocol.js';
import { debounce, h, messageOf } from './dom.js';
import {
  type BuilderDirection,
  type BuilderProtocol,
  type BuilderState,
  builderProblem,
  buildFilter,
  PROTOCOLS,
  parseBuiltFilter,
  protocolHasPorts,
} from './filter-builder.js';
import type { HostTransport } from './transport.js';

type Select = HTMLElementTagNameMap['vscode-single-select'];
type TextField = HTMLElementTagNameMap['vscode-textfield'];
type Checkbox = HTMLElementTagNameMap['vscode-checkbox'];

const VALIDATE_DELAY_MS = 300;
/** The picker's last entry: not a target, it asks the host for a new SSH host. */
const ADD_SSH_HOST = 'add-ssh-host';

function select(label: string, options: [value: string, text: string][]): Select {
  const el = document.createElement('vscode-single-select');
  el.setAttribute('aria-label', label);
  for (const [value, text] of options) {
    const option = document.createElement('vscode-option');
    option.value = value;
    option.textContent = text;
    el.append(option);
  }
  return el;
}

function textField(label: string, placeholder: string): TextField {
  const el = document.createElement('vscode-textfield');
  el.setAttribute('aria-label', label);
  el.placeholder = placeholder;
  return el;
}

function field(label: string, control: HTMLElement, cls = ''): HTMLElement {
  return h('label', { class: `cf-field ${cls}`.trim() }, h('span', { class: 'cf-label', text: label }), control);
}

export class CaptureForm {
  readonly element: HTMLElement;
  private readonly section: HTMLElementTagNameMap['vscode-collapsible'];
  private readonly target: Select;
  private readonly ifList: HTMLElement;
  private readonly ifStatus: HTMLElement;
  private readonly refresh: HTMLElementTagNameMap['vscode-button'];
  /** Shown while the selected target is an SSH host added by hand: forgets it. */
  private readonly removeHost: HTMLElementTagNameMap['vscode-button'];
  private targets: TargetInfo[] = [];
  /** The last command choice applied (PanelState.chosen.seq). */
  private chosenSeq = 0;
  /** While capturing: sends the edited filter to the running capture (the kernel swaps it). */
  private readonly apply: HTMLElementTagNameMap['vscode-button'];
  /** The filter of the running capture, while one runs. */
  private running?: string;
  private readonly protocol: Select;
  private readonly port: TextField;
  private readonly host: TextField;
  private readonly direction: Select;
  private readonly filter: TextField;
  private readonly filterMessage: HTMLElement;
  private readonly builderNote: HTMLElement;
  private interfaces: InterfaceInfo[] = [];
  private checked = new Set<string>();
  private targetId = '';
  private validation: { text: string; ok: boolean } | undefined;
  private validateSeq = 0;
  private loadSeq = 0;
  private locked = false;
  private initialized = false;
  /** Called when anything that decides whether Start is possible changed. */
  onChange: () => void = () => {};

  constructor(
    private readonly transport: HostTransport,
    open: boolean,
    onOpenChange: (open: boolean) => void,
  ) {
    this.target = select('Capture target', []);
    this.target.addEventListener('change', () => {
      if (this.target.value === ADD_SSH_HOST) {
        this.target.value = this.targetId;
        void this.addSshHost();
        return;
      }
      this.targetId = this.target.value;
      this.showRemoveHost();
      void this.loadInterfaces();
    });
    this.removeHost = document.createElement('vscode-button');
    this.removeHost.secondary = true;
    this.removeHost.textContent = 'Remove';
    this.removeHost.classList.add('cf-remove-host');
    this.removeHost.addEventListener('click', () => void this.removeSshHost());

    this.refresh = document.createElement('vscode-button');
    this.refresh.secondary = true;
    this.refresh.textContent = 'Refresh';
    this.refresh.title = 'List the interfaces again';
    this.refresh.addEventListener('click', () => void this.loadInterfaces());
    this.ifStatus = h('span', { class: 'cf-if-status' });
    this.ifList = h('div', { class: 'cf-if-list', attrs: { role: 'group', 'aria-label': 'Interfaces' } });

    this.protocol = select(
      'Protocol',
      PROTOCOLS.map((p) => [p, p === 'any' ? 'any' : p]),
    );
    this.port = textField('Port', 'any');
    this.port.classList.add('cf-port');
    this.host = textField('Host or CIDR', 'any, e.g. 10.0.0.1 or 10.0.0.0/8');
    this.direction = select('Direction', [
      ['both', 'both'],
      ['in', 'in'],
      ['out', 'out'],
    ]);
    for (const el of [this.protocol, this.direction]) el.addEventListener('change', () => this.builderChanged());
    for (const el of [this.port, this.host]) el.addEventListener('input', () => this.builderChanged());
    this.builderNote = h('span', { class: 'cf-builder-note' });

    this.filter = textField('Capture filter', 'everything, or e.g. tcp and port 443 and host 10.0.0.1');
    this.filter.classList.add('cf-filter');
    this.filterMessage = h('div', { class: 'cf-message', attrs: { 'aria-live': 'polite' } });
    this.filter.addEventListener('input', () => this.filterTyped());
    this.apply = document.createElement('vscode-button');
    this.apply.textContent = 'Apply to running capture';
    this.apply.title = 'Change the filter of the running capture, in the kernel, without restarting it';
    this.apply.hidden = true;
    this.apply.addEventListener('click', () => void this.applyFilter());

    const builder = h(
      'div',
      { class: 'cf-builder', attrs: { role: 'group', 'aria-label': 'Filter builder' } },
      field('Protocol', this.protocol),
      field('Port', this.port),
      field('Host / CIDR', this.host, 'cf-grow'),
      field('Direction', this.direction),
      this.builderNote,
    );

    this.section = document.createElement('vscode-collapsible');
    this.section.heading = 'Capture';
    this.section.open = open;
    this.section.addEventListener('vsc-collapsible-toggle', (e) =>
      onOpenChange(Boolean((e as CustomEvent<{ open: boolean }>).detail?.open)),
    );
    this.section.append(
      h(
        'div',
        { class: 'cf-body' },
        h(
          'div',
          { class: 'cf-row' },
          // Not a <label>: it holds two controls.
          h(
            'div',
            { class: 'cf-field cf-target' },
            h('span', { class: 'cf-label', text: 'Target' }),
            h('div', { class: 'cf-target-box' }, this.target, this.removeHost),
          ),
          h(
            'div',
            { class: 'cf-field cf-ifaces' },
            h('span', { class: 'cf-label' }, 'Interfaces ', this.ifStatus),
            h('div', { class: 'cf-if-box' }, this.ifList, this.refresh),
          ),
        ),
        builder,
        h(
          'div',
          { class: 'cf-field cf-filter-field' },
          h('span', { class: 'cf-label', text: 'Capture filter' }),
          this.filter,
          h('div', { class: 'cf-filter-actions' }, this.filterMessage, this.apply),
        ),
      ),
    );
    this.element = h('section', { class: 'capture-form', attrs: { 'aria-label': 'Capture settings' } }, this.section);
  }

  /** A new PanelState: targets, the capture's parameters, whether inputs are locked. */
  setState(state: PanelState): void {
    const targets = state.targets;
    this.targets = targets;
    const known = new Set(targets.map((t) => t.id));
    const options = Array.from(this.target.querySelectorAll('vscode-option'))
      .map((o) => o.value)
      .join('\n');
    if (options !== [...targets.map((t) => t.id), ADD_SSH_HOST].join('\n')) {
      this.target.replaceChildren(
        ...[...targets, { id: ADD_SSH_HOST, label: 'Add SSH host…', description: 'user@host[:port]' }].map((t) => {
          const option = document.createElement('vscode-option');
          option.value = t.id;
          option.textContent = t.label;
          if (t.description) option.description = t.description;
          return option;
        }),
      );
    }
    // A command's choice is newer than the last capture's parameters: starting a capture clears it.
    const preset = state.chosen ?? state.capture;
    const wanted =
      preset && known.has(preset.target)
        ? preset.target
        : known.has(this.targetId)
          ? this.targetId
          : (targets[0]?.id ?? '');
    if (!this.initialized && state.capture) {
      this.checked = new Set(state.capture.interfaces);
      this.filter.value = state.capture.filter;
      this.filterTyped();
    }
    this.locked = state.status === 'starting' || state.status === 'capturing' || state.status === 'stopping';
    const chosen = state.chosen;
    const choose = chosen !== undefined && chosen.seq !== this.chosenSeq && !this.locked && known.has(chosen.target);
    if (choose) {
      // A command chose target and interfaces ("List Interfaces"): show them, ready to Start.
      this.chosenSeq = chosen.seq;
      this.checked = new Set(chosen.interfaces);
      this.section.open = true;
    }
    // While capturing, only the filter can change: the kernel swaps it without a restart.
    this.running = state.status === 'capturing' ? (state.capture?.filter ?? '') : undefined;
    const filterLocked = this.locked && this.running === undefined;
    for (const el of [this.target, this.refresh, this.removeHost]) el.disabled = this.locked;
    for (const el of [this.protocol, this.port, this.host, this.direction, this.filter]) el.disabled = filterLocked;
    this.updateApply();
    for (const box of Array.from(this.ifList.querySelectorAll('vscode-checkbox'))) box.disabled = this.locked;
    this.port.disabled = filterLocked || !protocolHasPorts(this.protocol.value as BuilderProtocol);
    if (wanted !== this.targetId || !this.initialized || choose) {
      this.targetId = wanted;
      this.target.value = wanted;
      if (wanted) void this.loadInterfaces();
    }
    this.showRemoveHost();
    this.initialized = true;
    this.updateSummary();
  }

  /** Asks the host for a new SSH target and selects it. */
  private async addSshHost(): Promise<void> {
    try {
      const added = await this.transport.request('addSshHost', {});
      if (!added) return;
      this.targetId = added.id;
      this.target.value = added.id;
      await this.loadInterfaces();
    } catch (e) {
      this.ifStatus.textContent = messageOf(e);
      this.ifStatus.classList.add('error');
    }
  }

  /** The Remove button is there only for a target that can be removed (an SSH host added by hand). */
  private showRemoveHost(): void {
    const target = this.targets.find((t) => t.id === this.targetId);
    this.removeHost.hidden = !target?.removable;
    this.removeHost.title = target ? `Remove ${target.label} from the targets (added with “Add SSH host…”)` : '';
  }

  /** Asks the host to forget the selected SSH host; the new state selects another target. */
  private async removeSshHost(): Promise<void> {
    try {
      await this.transport.request('removeSshHost', { target: this.targetId });
    } catch (e) {
      this.ifStatus.textContent = messageOf(e);
      this.ifStatus.classList.add('error');
    }
  }

  collapse(): void {
    this.section.open = false;
  }

  /** What Start sends, or the reason it cannot start yet. */
  params(): StartParams | string {
    if (!this.targetId) return 'No capture target.';
    const interfaces = this.interfaces.filter((i) => this.checked.has(i.name)).map((i) => i.name);
    if (interfaces.length === 0) return 'Choose at least one interface.';
    const filter = this.filter.value.trim();
    if (this.validation && this.validation.text === filter && !this.validation.ok)
      return 'Fix the capture filter first.';
    return { target: this.targetId, interfaces, filter };
  }

  private async loadInterfaces(): Promise<void> {
    const seq = ++this.loadSeq;
    const target = this.targetId;
    this.ifStatus.replaceChildren(document.createElement('vscode-progress-ring'));
    this.ifStatus.classList.remove('error');
    try {
      const interfaces = await this.transport.request('listInterfaces', { target });
      if (seq !== this.loadSeq) return;
      this.interfaces = interfaces;
      const names = new Set(interfaces.map((i) => i.name));
      this.checked = new Set([...this.checked].filter((n) => names.has(n)));
      if (this.checked.size === 0) {
        const first = interfaces.find((i) => i.up && !i.loopback) ?? interfaces.find((i) => i.up) ?? interfaces[0];
        if (first) this.checked.add(first.name);
      }
      this.ifStatus.textContent = '';
      this.renderInterfaces();
    } catch (e) {
      if (seq !== this.loadSeq) return;
      this.interfaces = [];
      this.ifList.replaceChildren();
      this.ifStatus.textContent = messageOf(e);
      this.ifStatus.classList.add('error');
    }
    this.updateSummary();
    this.onChange();
  }

  private renderInterfaces(): void {
    const rows = this.interfaces.map((info) => {
      const box: Checkbox = document.createElement('vscode-checkbox');
      box.label = info.name;
      box.checked = this.checked.has(info.name);
      box.disabled = this.locked;
      box.addEventListener('change', () => {
        if (box.checked) this.checked.add(info.name);
        else this.checked.delete(info.name);
        this.updateSummary();
        this.onChange();
      });
      const state = h('span', { class: `cf-if-state ${info.up ? 'up' : 'down'}`, text: info.up ? 'up' : 'down' });
      const kind = info.loopback ? h('span', { class: 'cf-if-kind', text: 'loopback' }) : null;
      const addresses = h('span', { class: 'cf-if-addr', text: info.addresses.join(', ') });
      addresses.title = info.addresses.join('\n');
      return h('div', { class: 'cf-if-row' }, box, state, kind, addresses);
    });
    if (rows.length === 0) rows.push(h('div', { class: 'cf-if-none', text: 'No interfaces on this target.' }));
    this.ifList.replaceChildren(...rows);
  }

  private builderState(): BuilderState {
    return {
      protocol: (this.protocol.value || 'any') as BuilderProtocol,
      port: this.port.value,
      host: this.host.value,
      direction: (this.direction.value || 'both') as BuilderDirection,
    };
  }

  private builderChanged(): void {
    const state = this.builderState();
    this.port.disabled = this.locked || !protocolHasPorts(state.protocol);
    const problem = builderProblem(state);
    this.builderNote.textContent = problem ?? '';
    this.builderNote.classList.toggle('error', problem !== undefined);
    if (problem) return;
    this.filter.value = buildFilter(state);
    this.filterTyped(true);
  }

  private filterTyped(fromBuilder = false): void {
    const text = this.filter.value;
    if (!fromBuilder) {
      const parsed = parseBuiltFilter(text);
      if (parsed) {
        this.showBuilder(parsed);
        this.builderNote.textContent = '';
        this.builderNote.classList.remove('error');
      } else {
        this.builderNote.textContent = 'The filter below is a custom expression: the builder would replace it.';
        this.builderNote.classList.remove('error');
      }
    }
    this.filterMessage.textContent = '';
    this.filterMessage.className = 'cf-message pending';
    this.validation = undefined;
    this.updateApply();
    this.validateLater(text.trim());
    this.updateSummary();
    this.onChange();
  }

  private showBuilder(state: BuilderState): void {
    this.protocol.value = state.protocol;
    this.port.value = state.port;
    this.host.value = state.host;
    this.direction.value = state.direction;
    this.port.disabled = this.locked || !protocolHasPorts(state.protocol);
  }

  private readonly validateLater = debounce((text: string) => void this.validate(text), VALIDATE_DELAY_MS);

  private async validate(text: string): Promise<void> {
    const seq = ++this.validateSeq;
    if (text === '') {
      this.validation = { text, ok: true };
      this.filter.invalid = false;
      this.filterMessage.className = 'cf-message';
      this.filterMessage.textContent = 'No filter: every packet is captured.';
      this.updateApply();
      this.onChange();
      return;
    }
    try {
      const result = await this.transport.request('validateCaptureFilter', { filter: text });
      if (seq !== this.validateSeq) return;
      this.validation = { text, ok: result.ok };
      this.filter.invalid = !result.ok;
      this.filterMessage.className = `cf-message ${result.ok ? 'ok' : 'error'}`;
      this.filterMessage.textContent = result.ok ? `✓ ${result.normalized}` : result.error;
    } catch (e) {
      if (seq !== this.validateSeq) return;
      this.validation = undefined;
      this.filterMessage.className = 'cf-message error';
      this.filterMessage.textContent = `Could not check the filter: ${messageOf(e)}`;
    }
    this.updateApply();
    this.onChange();
  }

  private updateApply(): void {
    const text = this.filter.value.trim();
    this.apply.hidden = this.running === undefined;
    this.apply.disabled =
      this.running === undefined ||
      text === this.running.trim() ||
      this.validation?.text !== text ||
      !this.validation.ok;
  }

  private async applyFilter(): Promise<void> {
    const filter = this.filter.value.trim();
    this.apply.disabled = true;
    try {
      await this.transport.request('setCaptureFilter', { filter });
      this.filterMessage.className = 'cf-message ok';
      this.filterMessage.textContent = `✓ applied to the running capture: ${filter || 'every packet'}`;
    } catch (e) {
      this.filterMessage.className = 'cf-message error';
      this.filterMessage.textContent = `Not applied: ${messageOf(e)}`;
      this.updateApply();
    }
  }

  private updateSummary(): void {
    const target =
      Array.from(this.target.querySelectorAll('vscode-option')).find((o) => o.value === this.targetId)?.textContent ??
      '';
    const interfaces = this.interfaces.filter((i) => this.checked.has(i.name)).map((i) => i.name);
    const filter = this.filter.value.trim();
    this.section.description = [target, interfaces.join(', ') || 'no interface', filter || 'no filter']
      .filter(Boolean)
      .join(' · ');
  }
}
