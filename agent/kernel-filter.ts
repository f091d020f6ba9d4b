// The kernel filter of a capture: the user's filter (-f, or set-filter on stdin) and the fixed
// exclusion (--exclude) compiled together. Both share one rule bank of CAP_MAX_RULES rules.
import { CAP_MAX_RULES, type CaptureRule } from '../packet/capture-abi.js';
import { describeWithExclusion, FilterError, parseFilter } from '../packet/filter.js';
import { AgentError } from './errors.js';

export interface Exclusion {
  text: string;
  rules: readonly CaptureRule[];
}

export interface KernelFilter {
  rules: readonly CaptureRule[];
  exclusions: readonly CaptureRule[];
  /** The effective filter as one expression: the `started` event and pcapng if_filter show it. */
  description: string;
}

export const NO_EXCLUSION: Exclusion = { text: '', rules: [] };

/** --exclude: the -f language; its errors name the option, so they are not taken for -f's. */
export function parseExclusion(text: string): Exclusion {
  try {
    return { text: text.trim(), rules: parseFilter(text) };
  } catch (e) {
    if (e instanceof FilterError) throw new AgentError('E_FILTER', `invalid --exclude filter: ${e.message}`);
    throw e;
  }
}

/** Compiles `filter` beside the exclusion; a FilterError (bad filter) reaches the caller as is. */
export function compileKernelFilter(filter: string, exclusion: Exclusion): KernelFilter {
  const rules = parseFilter(filter);
  const total = rules.length + exclusion.rules.length;
  if (total > CAP_MAX_RULES) {
    throw new AgentError(
      'E_FILTER',
      `the filter needs ${rules.length} kernel rules and --exclude ${exclusion.rules.length}: ${total} in all, but at most ${CAP_MAX_RULES} are available`,
    );
  }
  return { rules, exclusions: exclusion.rules, description: describeWithExclusion(filter, exclusion.text) };
}
