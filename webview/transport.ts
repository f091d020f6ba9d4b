// The panel's only way to the extension host. The UI is written against `HostTransport`; it runs
// inside VS Code over `VsCodeTransport` (postMessage) and in a plain browser over the scripted fake
// host in dev/fake-host.ts. Messages are the unions of packet/protocol.ts, defined once.
import type { HostEvents, HostMessage, RequestName, Requests, WebviewMessage } from '../packet/protocol.js';
import type { ColumnWidths } from './packet-table.js';

export type EventName = keyof HostEvents;
export type EventListener<E extends EventName> = (data: HostEvents[E]) => void;

export interface HostTransport {
  /** Resolves with the host's result; rejects with a HostError when the host answers with an error. */
  request<M extends RequestName>(method: M, params: Requests[M]['params']): Promise<Requests[M]['result']>;
  /** Subscribes to one host event; returns the unsubscribe function. */
  onEvent<E extends EventName>(name: E, listener: EventListener<E>): () => void;
  /** Tells the host the panel listens (sent once, after the panel subscribed): it then sends state. */
  ready(): void;
  /** The table follows the tail showing `rows` rows (0: it stopped): the host sends them with each
   *  count until told otherwise. */
  followTail(rows: number): void;
}

export class HostError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'HostError';
  }
}

/** Listener bookkeeping shared by the real transport and the fake host. */
export class EventHub {
  private readonly listeners = new Map<EventName, Set<(data: never) => void>>();

  on<E extends EventName>(name: E, listener: EventListener<E>): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  emit<E extends EventName>(name: E, data: HostEvents[E]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as EventListener<E>)(data);
      } catch (e) {
        console.error(`panel: "${name}" listener failed`, e);
      }
    }
  }
}

/** What `acquireVsCodeApi()` returns (it may be called once per page load). */
export interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare global {
  function acquireVsCodeApi(): VsCodeApi;
}

function isHostMessage(data: unknown): data is HostMessage {
  if (typeof data !== 'object' || data === null) return false;
  const m = data as { type?: unknown; id?: unknown; name?: unknown };
  if (m.type === 'response') return typeof m.id === 'number';
  return m.type === 'event' && typeof m.name === 'string';
}

export class VsCodeTransport implements HostTransport {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private readonly events = new EventHub();
  private readySent = false;
  /** What followTail last said; held until ready, since the host starts each webview afresh then. */
  private tailRows = 0;

  constructor(
    private readonly api: Pick<VsCodeApi, 'postMessage'>,
    source: Pick<Window, 'addEventListener'> = window,
    /** Calls back once the counters just received are drawn: by default the next animation frame;
     *  the panel's table replaces it with "once the newest rows are on screen" (shownBy). */
    private shown: (done: () => void) => void = (done) => requestAnimationFrame(done),
  ) {
    source.addEventListener('message', (event: MessageEvent) => this.receive(event.data));
  }

  request<M extends RequestName>(method: M, params: Requests[M]['params']): Promise<Requests[M]['result']> {
    const id = this.nextId++;
    return new Promise<Requests[M]['result']>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      try {
        this.api.postMessage({ type: 'request', id, method, params } as WebviewMessage);
      } catch (e) {
        this.pending.delete(id);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  onEvent<E extends EventName>(name: E, listener: EventListener<E>): () => void {
    return this.events.on(name, listener);
  }

  /** What "drawn" means for the counters' acknowledgement (the table's afterDrawn). */
  shownBy(shown: (done: () => void) => void): void {
    this.shown = shown;
  }

  ready(): void {
    if (this.readySent) return;
    this.readySent = true;
    this.api.postMessage({ type: 'ready' });
    if (this.tailRows > 0) this.api.postMessage({ type: 'followTail', rows: this.tailRows });
  }

  followTail(rows: number): void {
    if (rows === this.tailRows) return;
    this.tailRows = rows;
    if (this.readySent) this.api.postMessage({ type: 'followTail', rows });
  }

  private receive(data: unknown): void {
    if (!isHostMessage(data)) return;
    if (data.type === 'event') {
      this.events.emit(data.name, data.data as never);
      // Asked after the listeners, so after the table took the new count: the host sends the next
      // counters only once these are drawn (extension/panel/counter-flow.ts), so it never outruns
      // the table's own row requests.
      if (data.name === 'counters') this.shown(() => this.api.postMessage({ type: 'countersShown' }));
      return;
    }
    const pending = this.pending.get(data.id);
    if (!pending) return;
    this.pending.delete(data.id);
    if ('error' in data)
      pending.reject(new HostError(data.error?.message ?? 'The extension host failed.', data.error?.code));
    else pending.resolve(data.result);
  }
}

/** UI state that survives the webview being hidden and restored (expand state, column widths…). */
export interface UiState {
  /** Column widths by column id (earlier versions kept a list under `columns`, now ignored). */
  columnWidths?: ColumnWidths;
  tableSplit?: number;
  detailSplit?: number;
  expanded?: Record<string, boolean>;
  selectedField?: string;
  formOpen?: boolean;
}

export interface UiStore {
  load(): UiState;
  save(state: UiState): void;
}

export class VsCodeUiStore implements UiStore {
  constructor(private readonly api: Pick<VsCodeApi, 'getState' | 'setState'>) {}
  load(): UiState {
    const s = this.api.getState();
    return typeof s === 'object' && s !== null ? (s as UiState) : {};
  }
  save(state: UiState): void {
    this.api.setState(state);
  }
}

export class MemoryUiStore implements UiStore {
  private state: UiState = {};
  load(): UiState {
    return structuredClone(this.state);
  }
  save(state: UiState): void {
    this.state = structuredClone(state);
  }
}
