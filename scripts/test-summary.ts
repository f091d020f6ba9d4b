// The end of `npm test`: reads the TAP file the run wrote, names every skipped test with its reason,
// and prints one closing line, `N passed, N failed` (`, N skipped` when some skipped).
//
// On CI (CI=true) a skip is a failure unless its reason starts with "not on this machine kind:",
// the one kind of skip that setup cannot cure (a kernel feature or an architecture this machine
// does not have). Everything else a test needs, setup installs: a skip there hides a missing step.
//
// Usage: node --import tsx scripts/test-summary.ts TAP_FILE
import { readFileSync } from 'node:fs';

export const MACHINE_KIND_SKIP = 'not on this machine kind:';

export interface TapSummary {
  passed: number;
  failed: number;
  skipped: { name: string; reason: string }[];
}

const COUNT_LINE = /^# (pass|fail|cancelled|skipped|todo) (\d+)$/;
// `ok 3 - name # SKIP reason` at any depth of nesting; `#` inside a name is escaped as `\#`.
const SKIP_LINE = /^\s*ok \d+ - (.*?) # SKIP\b ?(.*)$/;

export function summarizeTap(tap: string): TapSummary {
  const counts = new Map<string, number>();
  const skipped: TapSummary['skipped'] = [];
  for (const line of tap.split('\n')) {
    const count = COUNT_LINE.exec(line);
    if (count) counts.set(count[1]!, Number(count[2]));
    const skip = SKIP_LINE.exec(line);
    if (skip) skipped.push({ name: unescapeTap(skip[1]!), reason: unescapeTap(skip[2]!) || '(no reason given)' });
  }
  if (!counts.has('pass') || !counts.has('fail'))
    throw new Error('the TAP file has no closing counts: the run did not finish');
  const n = (key: string) => counts.get(key) ?? 0;
  // node:test counts a cancelled test (a timeout, a file that crashed) apart from a failed one.
  return { passed: n('pass'), failed: n('fail') + n('cancelled'), skipped };
}

function unescapeTap(text: string): string {
  return text.replace(/\\([#\\])/g, '$1').trim();
}

export function closingLine(summary: TapSummary, skipsFailed: number): string {
  const failed = summary.failed + skipsFailed;
  const skipped = summary.skipped.length - skipsFailed;
  return `${summary.passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
}

function main(): void {
  const file = process.argv[2];
  if (!file) throw new Error('usage: test-summary.ts TAP_FILE');
  const summary = summarizeTap(readFileSync(file, 'utf8'));
  const onCi = process.env.CI === 'true';
  let skipsFailed = 0;
  for (const { name, reason } of summary.skipped) {
    const allowed = !onCi || reason.startsWith(MACHINE_KIND_SKIP);
    if (!allowed) skipsFailed++;
    console.log(`${allowed ? 'skipped' : 'FAILED (skipped on CI)'}: ${name}: ${reason}`);
  }
  console.log(closingLine(summary, skipsFailed));
  process.exitCode = summary.failed + skipsFailed > 0 ? 1 : 0;
}

if (require.main === module) main();
