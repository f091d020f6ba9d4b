// The typed loader of the N-API addon (native/src), whose one function is the capture filter's
// validation as the user types: libpcap's compiler and the eBPF translation of native/core, the
// same as the agent's. Capturing is the static agent's, not the addon's.
import { createRequire } from 'node:module';

/** What compileFilter answers: the expression compiled, or why it cannot run. */
export type FilterVerdict = { ok: true; expression: string } | { ok: false; error: string };

/** What the compiled addon (pcap_capture.node) exports. */
export interface FilterBinding {
  /**
   * Whether a capture filter will run on a link type: the expression compiled (a PROTO,PORT filter
   * becomes its tcpdump expression), or libpcap's own message when it refuses the expression (as
   * tcpdump prints it), or the eBPF translation's reason. Needs no privilege.
   */
  compileFilter(expr: string, linkType: 'ethernet' | 'raw'): FilterVerdict;
}

/** Loads the addon at `addonPath` (dist/agent/pcap_capture.node of the extension or a checkout). */
export function loadFilterBinding(addonPath: string): FilterBinding {
  try {
    return createRequire(__filename)(addonPath) as FilterBinding;
  } catch (e) {
    throw new Error(`cannot load the filter addon ${addonPath}: ${(e as Error).message}`);
  }
}
