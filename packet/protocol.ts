// The one contract between the extension host and the capture panel (webview). Both sides import
// this file; nothing here is copied. The webview pulls bulk data (rows, one packet's detail); the
// host pushes small events (state, "count is now N").
import type { DecodedPacket } from './decode/types.js';

export type TargetKind = 'local' | 'ssh' | 'kubernetes' | 'tcp';

export interface TargetInfo {
  id: string;
  kind: TargetKind;
  label: string;
  description?: string;
}

export interface InterfaceInfo {
  name: string;
  up: boolean;
  loopback: boolean;
  addresses: string[]; // "10.0.0.1/24"
}

export interface StartParams {
  target: string; // TargetInfo.id
  interfaces: string[];
  /** Capture filter, in the agent's syntax (PROTO,PORT or a tcpdump-style expression). */
  filter: string;
  snaplen?: number;
}

/** One table row. `index` is the row's position in the current (display-filtered) view. */
export interface Row {
  index: number;
  number: number; // 1-based packet number, as Wireshark's No.
  time: number; // seconds since the first packet
  source: string;
  destination: string;
  protocol: string;
  length: number;
  info: string;
  direction?: 'in' | 'out';
}

export interface PacketDetail {
  number: number;
  time: number;
  timestampNs: string; // bigint as decimal text
  length: number;
  capturedLength: number;
  interfaceName?: string;
  direction?: 'in' | 'out';
  decoded: DecodedPacket;
  bytes: string; // base64 of the captured bytes
}

export type CaptureStatus = 'idle' | 'starting' | 'capturing' | 'stopping' | 'stopped' | 'error';

export interface CounterUpdate {
  /** Rows in the current view (after the display filter). */
  rows: number;
  /** Changes whenever row indices shift (display filter applied, oldest packets evicted):
   *  rows cached under another generation are stale. Appending rows keeps the generation. */
  generation: number;
  /** True while the display filter is still being applied to the packets held. */
  filtering: boolean;
  /** Packets held in the store. */
  held: number;
  /** Packets received since the capture started (held + evicted). */
  received: number;
  bytes: number;
  packetsPerSecond: number;
  kernelDrops: number;
  /** Oldest packets dropped to respect the store's limits. */
  evicted: number;
}

export interface PanelState {
  mode: 'live' | 'file';
  title: string;
  status: CaptureStatus;
  /** Why the capture is in its status: an error, or which limit stopped it. */
  message?: string;
  targets: TargetInfo[];
  capture?: StartParams;
  displayFilter: string;
}

/** Webview → host requests, each answered with its result or an error. */
export interface Requests {
  listInterfaces: { params: { target: string }; result: InterfaceInfo[] };
  startCapture: { params: StartParams; result: void };
  /** Asks the user for an SSH host (user@host[:port]); null when they cancel. */
  addSshHost: { params: Record<string, never>; result: TargetInfo | null };
  stopCapture: { params: Record<string, never>; result: void };
  /** Changes the capture filter of the running capture, in the kernel, without restarting it. */
  setCaptureFilter: { params: { filter: string }; result: void };
  getRows: { params: { start: number; count: number }; result: Row[] };
  getDetail: { params: { index: number }; result: PacketDetail };
  /** Applies to everything held; the result says whether it was read as an expression or as text. */
  setDisplayFilter: { params: { text: string }; result: { mode: 'expression' | 'text' | 'none'; rows: number } };
  /** The display filter for the row's conversation (also applied). */
  followConversation: { params: { index: number }; result: { filter: string; rows: number } };
  validateCaptureFilter: {
    params: { filter: string };
    result: { ok: true; normalized: string } | { ok: false; error: string };
  };
  saveCapture: { params: { format?: 'pcapng' | 'pcap' }; result: void };
  openInWireshark: { params: Record<string, never>; result: void };
}

/** Host → webview events. */
export interface HostEvents {
  state: PanelState;
  counters: CounterUpdate;
  /** The host changed the display filter (e.g. a command); the panel shows it. */
  displayFilter: { text: string };
}

export type RequestName = keyof Requests;

export type WebviewMessage =
  | { type: 'ready' }
  | { [M in RequestName]: { type: 'request'; id: number; method: M; params: Requests[M]['params'] } }[RequestName];

export type HostMessage =
  | { type: 'response'; id: number; result: unknown }
  | { type: 'response'; id: number; error: { message: string; code?: string } }
  | { [E in keyof HostEvents]: { type: 'event'; name: E; data: HostEvents[E] } }[keyof HostEvents];

/** What the host implements: a missing handler is a compile error. */
export type RequestHandlers = {
  [M in RequestName]: (params: Requests[M]['params']) => Promise<Requests[M]['result']> | Requests[M]['result'];
};
