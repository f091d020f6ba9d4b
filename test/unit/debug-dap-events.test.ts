import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type DebuggeeEvent, DebuggeeState } from '../../extension/debug/dap-events.js';

/** A recorded session: messages from the adapter ('<') and to it ('>'), in the order seen. */
type Step = ['<' | '>', Record<string, unknown>];

function play(steps: Step[]): DebuggeeEvent[] {
  const events: DebuggeeEvent[] = [];
  const state = new DebuggeeState((e) => events.push(e));
  for (const [dir, m] of steps) {
    if (dir === '<') state.fromAdapter(m);
    else state.toAdapter(m);
  }
  return events;
}

const ev = (event: string, body: Record<string, unknown> = {}): Step => ['<', { type: 'event', event, body }];
const req = (command: string, args: Record<string, unknown> = {}): Step => [
  '>',
  { type: 'request', command, arguments: args },
];

test('the process event gives the pid; a breakpoint, then continue (request only) give paused then continued', () => {
  const events = play([
    ev('process', { name: 'server.js', systemProcessId: 4242 }),
    ev('stopped', { reason: 'breakpoint', threadId: 1, allThreadsStopped: true }),
    req('continue', { threadId: 1 }),
    ev('exited', { exitCode: 0 }),
  ]);
  assert.deepEqual(events, [
    { kind: 'process', pid: 4242, name: 'server.js' },
    { kind: 'paused', reason: 'breakpoint', threadId: 1, description: undefined },
    { kind: 'continued' },
    { kind: 'ended' },
  ]);
});

test('a continue request followed by the continued event is one continue; steps pause again each time', () => {
  const events = play([
    ev('stopped', { reason: 'breakpoint', threadId: 1 }),
    req('next', { threadId: 1 }),
    ev('continued', { threadId: 1, allThreadsContinued: true }),
    ev('stopped', { reason: 'step', threadId: 1 }),
    req('stepIn', { threadId: 1 }),
    ev('stopped', { reason: 'step', threadId: 1 }),
    ev('continued', { threadId: 1 }),
  ]);
  assert.deepEqual(
    events.map((e) => (e.kind === 'paused' ? `paused:${e.reason}` : e.kind)),
    ['paused:breakpoint', 'continued', 'paused:step', 'continued', 'paused:step', 'continued'],
  );
});

test('js-debug: thread 0 stops; the continue request, then its continued event, are one continue', () => {
  const events = play([
    ev('stopped', { reason: 'breakpoint', threadId: 0, allThreadsStopped: false, hitBreakpointIds: [1] }),
    req('continue', { threadId: 0 }),
    ev('continued', { threadId: 0, allThreadsContinued: false }),
  ]);
  assert.deepEqual(events, [
    { kind: 'paused', reason: 'breakpoint', threadId: 0, description: undefined },
    { kind: 'continued' },
  ]);
});

test('threads: running again only once every stopped thread went on', () => {
  const events = play([
    ev('stopped', { reason: 'breakpoint', threadId: 1, allThreadsStopped: false }),
    ev('stopped', { reason: 'exception', threadId: 2, allThreadsStopped: false }),
    ev('continued', { threadId: 1, allThreadsContinued: false }),
    req('continue', { threadId: 2, singleThread: true }),
  ]);
  assert.deepEqual(
    events.map((e) => e.kind),
    ['paused', 'paused', 'continued'],
  );
});

test('no pid without a process event; a pid that is not a positive integer is ignored; nothing after the end', () => {
  const events = play([
    ev('process', { name: 'x', systemProcessId: -1 }),
    ev('process', { name: 'x', systemProcessId: '12' }),
    ev('terminated'),
    ev('stopped', { reason: 'pause', threadId: 1 }),
    ev('process', { systemProcessId: 7 }),
  ]);
  assert.deepEqual(events, [{ kind: 'ended' }]);
});

test('a continue while running, responses, and messages that are not objects change nothing', () => {
  const events = play([
    req('continue', { threadId: 1 }),
    ['<', { type: 'response', command: 'continue', success: true }],
    ['<', null as unknown as Record<string, unknown>],
    req('stackTrace', { threadId: 1 }),
    ev('stopped', { reason: 'pause' }), // no thread: every thread
    req('evaluate', { expression: '1' }),
    req('continue', { threadId: 1, singleThread: true }), // all stopped: all go on
  ]);
  assert.deepEqual(
    events.map((e) => e.kind),
    ['paused', 'continued'],
  );
});
