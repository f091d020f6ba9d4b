// The contract between the host and Follow Stream's tab (webview/follow.ts): the host sends what
// to show, already as text; the page sends what the user chose. Both sides import this file.
import { FOLLOW_FORMATS, type FollowFormat, type FollowPiece, type FollowProtocol } from './decode/follow.js';
import type { TabReady } from './tab-protocol.js';

export interface FollowPeerView {
  /** "198.18.0.1:80", "[fd00::1]:80" */
  text: string;
  bytes: number;
  packets: number;
}

export interface FollowView {
  captureTitle: string;
  protocol: FollowProtocol;
  stream: number;
  /** `tcp.stream eq N` */
  filter: string;
  format: FollowFormat;
  /** Client (the first packet's source) and server; empty when no packet of the stream is held. */
  peers: FollowPeerView[];
  /** Times the direction changed between chunks. */
  turns: number;
  pieces: FollowPiece[];
  /** Pieces past the drawing limit, left out (Save as… writes them). */
  hiddenPieces: number;
}

export type FollowMessage =
  | TabReady
  | { type: 'format'; format: FollowFormat }
  | { type: 'stream'; stream: number }
  | { type: 'filterOut' }
  | { type: 'save' };

/** A message from the page is data from a web page: only what fits is acted on. */
export function checkFollowMessage(raw: unknown): FollowMessage | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  switch (m.type) {
    case 'ready':
    case 'filterOut':
    case 'save':
      return { type: m.type };
    case 'format':
      return FOLLOW_FORMATS.includes(m.format as FollowFormat)
        ? { type: 'format', format: m.format as FollowFormat }
        : undefined;
    case 'stream':
      return Number.isSafeInteger(m.stream) && (m.stream as number) >= 0
        ? { type: 'stream', stream: m.stream as number }
        : undefined;
    default:
      return undefined;
  }
}
