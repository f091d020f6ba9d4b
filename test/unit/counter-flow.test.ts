// The panel hears of new packets as they arrive, one counters message per frame the webview
// draws (extension/panel/counter-flow.ts, webview/transport.ts): the first change goes at once,
// changes meanwhile are folded into one message sent when the webview says it drew the last, and
// an idle capture runs no timer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CounterFlow, FOLLOW_UP_MS, type Timers } from '../../extension/panel/counter-flow.js';
import type { CountersEvent, CounterUpdate, HostMessage, Row, WebviewMessage } from '../../packet/protocol.js';
import { VsCodeTransport } from '../../webview/transport.js';

function countersOf(received: number, more: Partial<CounterUpdate> = {}): CounterUpdate {
  return {
    rows: received,
    generation: 0,
    filtering: false,
    held: received,
    received,
    bytes: received * 100,
    packetsPerSecond: 0,
    kernelDrops: 0,
    evicted: 0,
    ...more,
  };
}

/** Timers run by hand: what is scheduled, and when it fires. */
class ManualTimers implements Timers {
  readonly due: { fn: () => void; ms: number }[] = [];
  setTimeout(fn: () => void, ms: number): unknown {
    const t = { fn, ms };
    this.due.push(t);
    return t;
  }
  clearTimeout(handle: unknown): void {
    this.due.splice(this.due.indexOf(handle as { fn: () => void; ms: number }), 1);
  }
  fire(): void {
    const t = this.due.shift();
    assert.ok(t, 'a timer to fire');
    t.fn();
  }
}

/** Row `index` of a view whose rows are packets 1, 2, 3… */
function rowAt(index: number): Row {
  return { index, number: index + 1, time: 0, source: '', destination: '', protocol: 'UDP', length: 60, info: '' };
}

/** A flow over a counter the test moves, recording what it sent and told. */
function flowWith(options: { webview?: boolean; more?: () => Partial<CounterUpdate> } = {}) {
  const state = { received: 0 };
  const sent: CountersEvent[] = [];
  const changed: CounterUpdate[] = [];
  const timers = new ManualTimers();
  const flow = new CounterFlow(
    {
      compute: () => countersOf(state.received, options.more?.()),
      newestRows: (count) => {
        const rows: Row[] = [];
        for (let i = Math.max(0, state.received - count); i < state.received; i++) rows.push(rowAt(i));
        return rows;
      },
      send: (c) => {
        if (options.webview === false) return false;
        sent.push(c);
        return true;
      },
      changed: (c) => changed.push(c),
    },
    timers,
  );
  return { state, sent, changed, timers, flow };
}

test('the first packets are sent at once, and a burst while the webview draws becomes one message', () => {
  const { state, sent, flow } = flowWith();
  state.received = 1;
  flow.update();
  assert.deepEqual(
    sent.map((c) => c.received),
    [1],
    'sent on arrival, no timer waited for',
  );
  for (let i = 2; i <= 1000; i++) {
    state.received = i;
    flow.update();
  }
  assert.equal(sent.length, 1, 'nothing more until the webview drew the first');
  flow.shown();
  assert.deepEqual(
    sent.map((c) => c.received),
    [1, 1000],
    'then one message with the latest count',
  );
  flow.shown();
  assert.equal(sent.length, 2, 'nothing changed since: nothing sent');
});

test('a late answer from an earlier webview sends nothing by itself', () => {
  const { state, sent, flow } = flowWith();
  state.received = 1;
  flow.update();
  flow.reset(); // a new webview
  flow.shown(); // the old one's answer arrives late, and the new one was sent nothing yet
  state.received = 2;
  flow.update();
  state.received = 3;
  flow.update();
  assert.deepEqual(
    sent.map((c) => c.received),
    [1, 2],
  );
});

test('an idle capture runs no timer; a rate still to fall to 0 is looked at again, once at a time', () => {
  const idle = flowWith();
  idle.state.received = 5;
  idle.flow.update();
  idle.flow.shown();
  assert.equal(idle.timers.due.length, 0, 'no packets per second, no filter running: no timer');

  let rate = 10;
  const moving = flowWith({ more: () => ({ packetsPerSecond: rate }) });
  moving.state.received = 5;
  moving.flow.update();
  moving.flow.update();
  assert.deepEqual(
    moving.timers.due.map((t) => t.ms),
    [FOLLOW_UP_MS],
  );
  moving.flow.shown();
  rate = 0;
  moving.timers.fire();
  assert.equal(moving.sent.at(-1)?.packetsPerSecond, 0, 'the rate fell to 0 without a packet');
  assert.equal(moving.timers.due.length, 0, 'and then nothing runs');
  moving.flow.dispose();
});

test('without a webview nothing is awaited, and each change still reaches the status bar', () => {
  const { state, changed, flow } = flowWith({ webview: false });
  for (let i = 1; i <= 3; i++) {
    state.received = i;
    flow.update();
  }
  assert.deepEqual(
    changed.map((c) => c.received),
    [1, 2, 3],
  );
});

test('the webview answers each counters event from the animation frame after its listeners', () => {
  const posted: WebviewMessage[] = [];
  let deliver: (data: HostMessage) => void = () => {};
  const frames: (() => void)[] = [];
  const transport = new VsCodeTransport(
    { postMessage: (m) => posted.push(m) },
    {
      addEventListener: ((_: string, listener: (e: MessageEvent) => void) => {
        deliver = (data) => listener({ data } as MessageEvent);
      }) as Window['addEventListener'],
    },
    (draw) => frames.push(draw),
  );
  const seen: number[] = [];
  transport.onEvent('counters', (c) => seen.push(c.received));
  deliver({ type: 'event', name: 'counters', data: countersOf(7) });
  deliver({ type: 'event', name: 'displayFilter', data: { text: 'tcp' } });
  assert.deepEqual(seen, [7]);
  assert.deepEqual(posted, [], 'no answer before the frame is drawn');
  assert.equal(frames.length, 1, 'only counters are answered');
  frames[0]!();
  assert.deepEqual(posted, [{ type: 'countersShown' }]);
});

test('while the table follows the tail, each counters message carries the rows it shows, the newest', () => {
  const { state, sent, flow } = flowWith();
  const tailOf = (c: CountersEvent | undefined) => c?.tail?.map((r) => r.number);
  state.received = 1;
  flow.update();
  assert.equal(sent.at(-1)?.tail, undefined, 'not following (yet): the table asks for its rows');
  flow.followTail(3);
  flow.shown();
  state.received = 2;
  flow.update();
  assert.deepEqual(tailOf(sent.at(-1)), [1, 2], 'fewer rows than the screen: all of them');
  flow.shown();
  state.received = 50;
  flow.update();
  assert.deepEqual(tailOf(sent.at(-1)), [48, 49, 50], 'the screenful of newest rows, with their indices');
  assert.deepEqual(
    sent.at(-1)?.tail?.map((r) => r.index),
    [47, 48, 49],
  );
  assert.equal(sent.at(-1)?.rows, 50, 'with the count they end');
  flow.shown();
  flow.followTail(0);
  state.received = 60;
  flow.update();
  assert.equal(sent.at(-1)?.received, 60);
  assert.equal(sent.at(-1)?.tail, undefined, 'scrolled away: the count alone');
  flow.shown();
  flow.followTail(3);
  flow.reset(); // a new webview: it says itself whether it follows
  state.received = 61;
  flow.update();
  assert.equal(sent.at(-1)?.tail, undefined);
});

test('the webview says whether its table follows the tail only once the host listens, and each change once', () => {
  const posted: WebviewMessage[] = [];
  const transport = new VsCodeTransport(
    { postMessage: (m) => posted.push(m) },
    { addEventListener: (() => {}) as Window['addEventListener'] },
    () => {},
  );
  transport.followTail(12); // the table's first frame may come before the panel said ready
  assert.deepEqual(posted, [], 'held: the host starts each webview afresh at ready');
  transport.ready();
  transport.followTail(12);
  transport.followTail(0);
  assert.deepEqual(posted, [{ type: 'ready' }, { type: 'followTail', rows: 12 }, { type: 'followTail', rows: 0 }]);
});
