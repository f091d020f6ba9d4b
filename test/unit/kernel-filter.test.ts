// --exclude: option parsing, compiling beside -f (errors, the shared rule budget, the description),
// and a session that keeps the exclusion when the filter changes. No root: the addon is faked.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CaptureSession } from '../../agent/capture-session.js';
import { AgentError, toAgentError } from '../../agent/errors.js';
import { EventLog } from '../../agent/events.js';
import { compileKernelFilter, NO_EXCLUSION, parseExclusion } from '../../agent/kernel-filter.js';
import { parseCaptureArgs, USAGE } from '../../agent/options.js';
import type { RawBinding, RawCapture } from '../../native/capture.js';
import { CAP_MAX_RULES, LAYOUT, MATCH } from '../../packet/capture-abi.js';

const SSH =
  'tcp and ((src host 198.51.100.1 and src port 51234 and dst host 198.51.100.2 and dst port 22) or (src host 198.51.100.2 and src port 22 and dst host 198.51.100.1 and dst port 51234))';

test('--exclude is read as one string beside -f (default: none)', () => {
  const o = parseCaptureArgs(['-i', 'eth0', '-f', 'tcp', '--exclude', SSH]);
  assert.equal(o.filter, 'tcp');
  assert.equal(o.exclude, SSH);
  assert.equal(parseCaptureArgs(['-i', 'eth0', 'udp', '--exclude', 'port 22']).filter, 'udp');
  assert.equal(parseCaptureArgs(['-i', 'eth0']).exclude, '');
  assert.match(USAGE, /--exclude FILTER/);
});

test('a bad --exclude is an E_FILTER error that names the option', () => {
  assert.throws(
    () => parseExclusion('tcp port 70000'),
    (e: unknown) => {
      assert.ok(e instanceof AgentError);
      assert.equal(e.code, 'E_FILTER');
      assert.match(e.message, /^invalid --exclude filter: .*70000/);
      return true;
    },
  );
  assert.throws(() => parseExclusion('not tcp'), /invalid --exclude filter: .*negation/);
  // A bad -f keeps its own wording.
  assert.throws(
    () => compileKernelFilter('tcp port 70000', parseExclusion(SSH)),
    (e: unknown) => {
      assert.match(toAgentError(e).message, /^invalid filter: /);
      return true;
    },
  );
});

test('the filter and the exclusion share CAP_MAX_RULES', () => {
  const ports = (n: number) => `port ${Array.from({ length: n }, (_, i) => i + 1).join(' or ')}`;
  const exclusion = parseExclusion(SSH);
  assert.equal(exclusion.rules.length, 2);
  assert.equal(compileKernelFilter(ports(CAP_MAX_RULES - 2), exclusion).rules.length, CAP_MAX_RULES - 2);
  assert.throws(
    () => compileKernelFilter(ports(CAP_MAX_RULES - 1), exclusion),
    (e: unknown) => {
      assert.ok(e instanceof AgentError);
      assert.equal(e.code, 'E_FILTER');
      assert.equal(
        e.message,
        'the filter needs 31 kernel rules and --exclude 2: 33 in all, but at most 32 are available',
      );
      return true;
    },
  );
  assert.equal(compileKernelFilter(ports(CAP_MAX_RULES), NO_EXCLUSION).rules.length, CAP_MAX_RULES);
});

test('the description is the effective filter', () => {
  const exclusion = parseExclusion(` ${SSH} `);
  assert.equal(exclusion.text, SSH);
  assert.equal(compileKernelFilter('', exclusion).description, `not (${SSH})`);
  assert.equal(compileKernelFilter('tcp or udp', exclusion).description, `(tcp or udp) and not (${SSH})`);
  assert.equal(compileKernelFilter('tcp,80', NO_EXCLUSION).description, 'tcp,80');
  assert.deepEqual(parseExclusion(''), NO_EXCLUSION);
});

/** The rule bank of each configure() call: the match word of every rule. */
function fakeBinding(banks: number[][]): RawBinding {
  const capture: Partial<RawCapture> = {
    configure: (o) => {
      const n = o.rules.length / LAYOUT.rule.size;
      banks.push(Array.from({ length: n }, (_, i) => o.rules.readUInt32LE(i * LAYOUT.rule.size + LAYOUT.rule.match)));
    },
  };
  return {
    // A function, not an arrow: the session calls it with `new`, and returning an object from a
    // constructor hands that object back.
    Capture: function Capture() {
      return capture;
    } as unknown as RawBinding['Capture'],
    listInterfaces: () => [],
    clocks: () => ({ realtimeNs: 10n, boottimeNs: 5n }),
    libbpfVersion: () => 'fake',
    compileFilter: (expression) => ({ ok: true, expression }),
    recordVersion: 1,
  };
}

test('a session configures the exclusion first and keeps it when the filter changes', () => {
  const banks: number[][] = [];
  const exclusion = parseExclusion(SSH);
  const filter = compileKernelFilter('', exclusion);
  const session = new CaptureSession(
    fakeBinding(banks),
    {
      format: 'pcapng',
      nanosecondPcap: false,
      rules: filter.rules,
      exclusions: filter.exclusions,
      filterText: filter.description,
      snaplen: 100,
      directions: ['in', 'out'],
      ringBytes: 4096,
      forceClsact: false,
      statsIntervalMs: 0,
      isbIntervalMs: 0,
    },
    new EventLog(true, { write: () => true } as unknown as NodeJS.WritableStream),
  );
  const tuple = MATCH.L4PROTO | MATCH.SPORT | MATCH.DPORT | MATCH.SADDR | MATCH.DADDR;
  assert.deepEqual(banks, [[MATCH.EXCLUDE | tuple, MATCH.EXCLUDE | tuple]]);
  session.setFilter(compileKernelFilter('udp or icmp', exclusion).rules);
  assert.deepEqual(banks[1], [
    MATCH.EXCLUDE | tuple,
    MATCH.EXCLUDE | tuple,
    MATCH.L4PROTO,
    MATCH.ETHERTYPE | MATCH.L4PROTO,
  ]);
  session.setFilter([]);
  assert.deepEqual(banks[2], [MATCH.EXCLUDE | tuple, MATCH.EXCLUDE | tuple]);
});
