// The capture filter checked as every agent reads it: the tcpdump language through libpcap's own
// compiler and the eBPF translation, in the native addon (native/src/filter.cc). One grammar for
// the panel, the local agent and the remote ones; the addon needs no privilege for this.
import * as path from 'node:path';
import { type FilterBinding, loadFilterBinding } from '../../native/filter-check.js';
import { displayFilterAsCapture } from '../../packet/filter-hints.js';
import type { CaptureFilterCheck } from '../../packet/protocol.js';

export class CaptureFilterChecker {
  private binding: FilterBinding | undefined;

  /** `root`: the folder holding dist/agent (the extension's, or a checkout's). */
  constructor(private readonly root: string) {}

  /** An empty filter captures everything; otherwise libpcap's verdict on an Ethernet link. */
  check(filter: string): CaptureFilterCheck {
    if (filter.trim() === '') return { ok: true, normalized: '' };
    const result = this.compile(filter);
    if (result.ok) return { ok: true, normalized: result.expression };
    return { ok: false, error: this.withDisplayFilterHint(filter, result.error) };
  }

  private compile(text: string) {
    this.binding ??= loadFilterBinding(path.join(this.root, 'dist', 'agent', 'pcap_capture.node'));
    return this.binding.compileFilter(text, 'ethernet');
  }

  /** A display filter typed as a capture filter ("tcp.port == 80") gets the capture filter it means,
   *  when that one compiles. */
  private withDisplayFilterHint(text: string, error: string): string {
    const capture = displayFilterAsCapture(text);
    if (capture === undefined || !this.compile(capture).ok) return error;
    return `${error}. This is a display filter; as a capture filter: ${capture}`;
  }
}
