// tcpdump as the judge of a capture filter's text: it compiles with the same libpcap, so what it
// accepts we must accept, and what it refuses we refuse with its words.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { TCPDUMP_TESTS_DIR } from '../../fixtures/tcpdump-tests.js';

/** A capture of each link type, for tcpdump to compile against (`-r FILE -d EXPR`). */
export const LINK_CAPTURE = {
  ethernet: path.join(TCPDUMP_TESTS_DIR, 'whois.pcap'),
  raw: path.join(TCPDUMP_TESTS_DIR, 'LINKTYPE_RAW_ipv4.pcap'),
} as const;

/** tcpdump's verdict: null when it accepts `expr`, else its message. */
export function tcpdumpSays(expr: string, link: keyof typeof LINK_CAPTURE = 'ethernet'): string | null {
  const run = spawnSync('tcpdump', ['-r', LINK_CAPTURE[link], '-d', expr], { encoding: 'utf8' });
  if (run.status === 0) return null;
  const said = /^tcpdump: (.*)$/m.exec(run.stderr);
  assert.ok(said, `tcpdump refused "${expr}" without a message: ${run.stderr}`);
  return said[1] ?? '';
}
