// Follow Stream's tab: one TCP or UDP stream's payload, both directions in their colours, in an
// editor of its own beside the capture (Wireshark's Follow Stream window). The host follows the
// stream in the capture's store (packet/decode/follow.ts) and sends the content already shown as
// text; the page (webview/follow.ts) only draws it and says what the user chose.
import * as vscode from 'vscode';
import {
  type FollowedStream,
  type FollowFormat,
  type FollowProtocol,
  followPieces,
  followSaved,
  peerText,
  streamFilter,
} from '../../packet/decode/follow.js';
import { checkFollowMessage, type FollowMessage, type FollowView } from '../../packet/follow-protocol.js';
import type { PacketStore } from '../store/packet-store.js';
import { SideTab, type SideTabHost } from './side-tab.js';

export const FOLLOW_VIEW_TYPE = 'packetCapture.followStream';

/** Text past this many characters is not drawn (Save as… still writes all of it). */
export const FOLLOW_SHOWN_CHARS = 2_000_000;

/** The capture a follow tab reads: its packets, and its display filter (Filter Out This Stream). */
export interface FollowedCapture {
  readonly title: string;
  readonly store: PacketStore;
  /** Applies a display filter to the capture's table, as if typed in its filter bar. */
  showFilter(text: string): Promise<void>;
  readonly onDidDispose: Promise<void>;
}

export interface FollowPanelHost extends SideTabHost {
  saveUri(options: vscode.SaveDialogOptions): Thenable<vscode.Uri | undefined>;
}

/** What the tab shows of a followed stream in one format. */
export function followView(s: FollowedStream, format: FollowFormat, captureTitle: string): FollowView {
  const pieces = followPieces(s, format);
  let chars = 0;
  let shown = 0;
  while (shown < pieces.length && chars + pieces[shown]!.text.length <= FOLLOW_SHOWN_CHARS)
    chars += pieces[shown++]!.text.length;
  const bytes = [0, 0];
  const packets = [new Set<number>(), new Set<number>()];
  let turns = 0;
  for (const [i, c] of s.chunks.entries()) {
    bytes[c.peer]! += c.data.length;
    packets[c.peer]!.add(c.frame);
    if (i > 0 && s.chunks[i - 1]!.peer !== c.peer) turns++;
  }
  return {
    captureTitle,
    protocol: s.protocol,
    stream: s.stream,
    filter: streamFilter(s.protocol, s.stream),
    format,
    peers: s.peers.map((p, i) => ({ text: peerText(p), bytes: bytes[i]!, packets: packets[i]!.size })),
    turns,
    pieces: pieces.slice(0, shown),
    hiddenPieces: pieces.length - shown,
  };
}

export class FollowPanel extends SideTab<FollowMessage, FollowView> {
  private format: FollowFormat = 'ascii';
  private followed: FollowedStream;

  constructor(
    private readonly followHost: FollowPanelHost,
    readonly capture: FollowedCapture,
    protocol: FollowProtocol,
    stream: number,
    /** The capture's display filter before Follow applied the stream's. */
    private readonly previousFilter: string,
  ) {
    super(followHost, {
      viewType: FOLLOW_VIEW_TYPE,
      title: 'Follow Stream',
      page: 'follow',
      check: checkFollowMessage,
      closesWith: capture.onDidDispose,
    });
    this.followed = capture.store.follow(protocol, stream);
    this.retitle();
  }

  get protocol(): FollowProtocol {
    return this.followed.protocol;
  }

  get stream(): number {
    return this.followed.stream;
  }

  shown(): FollowView {
    return followView(this.followed, this.format, this.capture.title);
  }

  /** Follows another stream of the same capture in this tab. */
  follow(protocol: FollowProtocol, stream: number): void {
    this.followed = this.capture.store.follow(protocol, stream);
    this.retitle();
    this.show();
  }

  setFormat(format: FollowFormat): void {
    this.format = format;
    this.show();
  }

  /** Wireshark's "Filter Out This Stream": the filter the capture had before, without this stream. */
  async filterOut(): Promise<string> {
    const without = `!(${streamFilter(this.protocol, this.stream)})`;
    const previous = this.previousFilter.trim();
    const filter = previous === '' ? without : `(${previous}) && ${without}`;
    await this.capture.showFilter(filter);
    return filter;
  }

  /** "Save as…": the content in the format shown (Raw: the bytes themselves). */
  async save(): Promise<vscode.Uri | undefined> {
    const extension = { yaml: 'yaml', carrays: 'c', raw: 'bin', ascii: 'txt', hexdump: 'txt' }[this.format];
    const uri = await this.followHost.saveUri({
      title: 'Save Stream Content As',
      defaultUri: vscode.Uri.file(`${this.protocol}-stream-${this.stream}.${extension}`),
    });
    if (!uri) return undefined;
    await vscode.workspace.fs.writeFile(uri, followSaved(this.followed, this.format));
    return uri;
  }

  protected async handle(m: FollowMessage): Promise<void> {
    if (m.type === 'format') this.setFormat(m.format);
    else if (m.type === 'stream') this.follow(this.protocol, m.stream);
    else if (m.type === 'filterOut') await this.filterOut();
    else if (m.type === 'save') await this.save();
  }

  private retitle(): void {
    this.webviewPanel.title = `Follow ${this.protocol.toUpperCase()} Stream (${streamFilter(this.protocol, this.stream)})`;
  }
}
