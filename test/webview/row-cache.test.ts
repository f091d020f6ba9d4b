import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Row } from '../../packet/protocol.js';
import { RowCache } from '../../webview/row-cache.js';

/** A host whose rows are numbered from `base` (raise it to simulate evictions); requests wait for release(). */
function fakeHost() {
  const calls: { start: number; count: number; release(): void }[] = [];
  const state = { base: 0, total: 0 };
  const fetch = (start: number, count: number) =>
    new Promise<Row[]>((resolve) => {
      calls.push({
        start,
        count,
        release: () => {
          const rows: Row[] = [];
          for (let i = start; i < Math.min(state.total, start + count); i++) {
            rows.push({
              index: i,
              number: state.base + i + 1,
              time: 0,
              source: '',
              destination: '',
              protocol: 'TCP',
              length: 60,
              info: '',
            });
          }
          resolve(rows);
        },
      });
    });
  return { calls, state, fetch };
}

const settle = () => new Promise((r) => setImmediate(r));

test('asks only for the pages in view, once, nearest first, a few at a time', async () => {
  const host = fakeHost();
  let changes = 0;
  const cache = new RowCache(
    host.fetch,
    () => changes++,
    (e) => assert.fail(String(e)),
    { pageSize: 100, maxInFlight: 2 },
  );
  host.state.total = 1_000_000;
  cache.setRowCount(1_000_000);
  cache.ensure(900_050, 900_350);
  assert.deepEqual(
    host.calls.map((c) => c.start),
    [900_100, 900_200],
    'the middle pages first, two in flight',
  );
  cache.ensure(900_050, 900_350);
  assert.equal(host.calls.length, 2, 'nothing asked twice');
  host.calls[0]!.release();
  await settle();
  assert.equal(changes, 1);
  assert.equal(cache.row(900_150)!.number, 900_151);
  assert.equal(cache.row(900_050), undefined);
  cache.ensure(900_050, 900_350);
  assert.deepEqual(
    host.calls.map((c) => c.start),
    [900_100, 900_200, 900_000],
  );
});

test('a short tail page is asked again only after the row count grew', async () => {
  const host = fakeHost();
  const cache = new RowCache(
    host.fetch,
    () => {},
    (e) => assert.fail(String(e)),
    { pageSize: 100 },
  );
  host.state.total = 150;
  cache.setRowCount(150);
  cache.ensure(100, 149);
  host.calls[0]!.release();
  await settle();
  assert.equal(cache.row(149)!.number, 150);
  cache.ensure(100, 149);
  assert.equal(host.calls.length, 1);
  host.state.total = 180;
  cache.setRowCount(180);
  cache.ensure(100, 179);
  assert.equal(host.calls.length, 2);
  assert.equal(cache.row(149)!.number, 150, 'the old rows stay shown meanwhile');
});

test('invalidate drops rows and ignores answers to older requests; shift keeps old rows re-indexed', async () => {
  const host = fakeHost();
  const cache = new RowCache(
    host.fetch,
    () => {},
    (e) => assert.fail(String(e)),
    { pageSize: 100 },
  );
  host.state.total = 1000;
  cache.setRowCount(1000);
  cache.ensure(0, 99);
  host.calls[0]!.release();
  await settle();
  cache.ensure(100, 199);
  cache.invalidate();
  host.calls[1]!.release();
  await settle();
  assert.equal(cache.row(150), undefined, 'an answer from before the invalidation is dropped');
  assert.equal(cache.row(50), undefined);

  cache.ensure(0, 99);
  host.calls[2]!.release();
  await settle();
  // 30 oldest rows evicted: row 0 is now the old row 30; until fresh rows arrive the old copies show.
  host.state.base = 30;
  cache.shift(30);
  assert.equal(cache.row(0)!.number, 31);
  assert.equal(cache.has(0), false);
  cache.ensure(0, 99);
  host.calls[3]!.release();
  await settle();
  assert.equal(cache.has(0), true);
  assert.equal(cache.row(0)!.number, 31);
});

/** Rows [from, to) as the host sends them with a count (numbered as fakeHost's, base 0). */
function pushed(from: number, to: number): Row[] {
  const rows: Row[] = [];
  for (let i = from; i < to; i++)
    rows.push({ index: i, number: i + 1, time: 0, source: '', destination: '', protocol: 'UDP', length: 60, info: '' });
  return rows;
}

test('rows sent with a count are taken in as if asked for: no request for them, now or at the same count', async () => {
  const host = fakeHost();
  const cache = new RowCache(
    host.fetch,
    () => {},
    (e) => assert.fail(String(e)),
    { pageSize: 100 },
  );
  host.state.total = 250;
  cache.setRowCount(250);
  cache.take(pushed(200, 250));
  assert.equal(cache.row(249)!.number, 250);
  assert.equal(cache.has(200), true);
  cache.ensure(200, 249);
  assert.equal(host.calls.length, 0, 'the newest rows need no request');

  // The next count: the rows already held and the new ones join in one page, asked for by nobody.
  host.state.total = 270;
  cache.setRowCount(270);
  cache.take(pushed(230, 270));
  cache.ensure(200, 269);
  assert.equal(host.calls.length, 0);
  assert.equal(cache.row(269)!.number, 270);
  assert.equal(cache.row(215)!.number, 216, 'the rows taken before stay');

  // More rows came than a count carries: rows 270–289 were never sent. Their page is asked for
  // (once), the next one, whole from its start, is not; the answer joins the rows held.
  host.state.total = 330;
  cache.setRowCount(330);
  cache.take(pushed(290, 330));
  assert.equal(cache.row(280), undefined);
  cache.ensure(200, 329);
  cache.ensure(200, 329);
  assert.deepEqual(
    host.calls.map((c) => c.start),
    [200],
    'the page with a hole before the rows sent',
  );
  host.calls[0]!.release();
  await settle();
  assert.equal(cache.row(280)!.number, 281);
  assert.equal(cache.row(299)!.number, 300);
  cache.ensure(200, 329);
  assert.equal(host.calls.length, 1, 'whole now: nothing more to ask');
});

test('an answer older than the rows sent since does not take them back', async () => {
  const host = fakeHost();
  const cache = new RowCache(
    host.fetch,
    () => {},
    (e) => assert.fail(String(e)),
    { pageSize: 100 },
  );
  host.state.total = 120;
  cache.setRowCount(120);
  cache.ensure(100, 119);
  host.calls[0]!.release(); // answered at 120 rows …
  cache.setRowCount(140);
  cache.take(pushed(110, 140)); // … while a count with rows up to 140 arrived first
  await settle();
  assert.equal(cache.row(139)!.number, 140);
  cache.ensure(100, 139);
  assert.equal(host.calls.length, 1, 'nothing to ask: the page is whole up to 140');
});
