// Sorting the table by a column: the order is a stable sort of the texts the table's own rows show
// (the workers decode them as the rows do), kept as packets arrive, are filtered and are evicted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tableRows } from '../../extension/panel/table-rows.js';
import { PacketStore } from '../../extension/store/packet-store.js';
import type { PacketView } from '../../extension/store/packet-view.js';
import { naturalKey, orderOfKeys } from '../../extension/store/row-order.js';
import { StoreIngest } from '../../extension/store/store-ingest.js';
import { customColumnId, customColumnIndex, type Row, TABLE_COLUMNS, type TableColumn } from '../../packet/protocol.js';
import { corpusCapture } from './fixtures/corpus-capture.js';
import { loopbackUdpFrame } from './fixtures/packets.js';
import { useFilterWorker } from './helpers/filter-worker.js';

const worker = useFilterWorker('row-order');

/** A stable sort by comparator: the judge the native sort is held to. */
function referenceOrder<K extends number | string>(keys: K[], descending: boolean): number[] {
  const sign = descending ? -1 : 1;
  return keys.map((_, i) => i).sort((a, b) => sign * (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0) || a - b);
}

test('orderOfKeys is a stable sort of numbers and of texts, both ways', () => {
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const numbers = Array.from({ length: 5000 }, () => Math.floor(random() * 50) * 1.5 - 20);
  const texts = numbers.map((n) => `k${Math.abs(n) % 7}-${n}`);
  for (const descending of [false, true]) {
    assert.deepEqual([...orderOfKeys(Float64Array.from(numbers), descending)], referenceOrder(numbers, descending));
    assert.deepEqual([...orderOfKeys(texts, descending)], referenceOrder(texts, descending));
  }
  assert.deepEqual([...orderOfKeys([], false)], []);
});

test('natural keys order digit runs as numbers', () => {
  const texts = ['10.0.0.10', '10.0.0.9', '9.1.1.1', 'fe80::1', 'a', 'host 12345678901234567'];
  const byKey = new Map(texts.map((t) => [naturalKey(t), t]));
  assert.deepEqual(
    [...byKey.keys()].sort().map((k) => byKey.get(k)),
    ['9.1.1.1', '10.0.0.9', '10.0.0.10', 'a', 'fe80::1', 'host 12345678901234567'],
  );
});

/** The key the table's row shows for `column` (the texts as the row has them). */
function rowKey(row: Row, column: TableColumn): number | string {
  switch (column) {
    case 'number':
      return row.number;
    case 'time':
      return row.time;
    case 'length':
      return row.length;
    case 'pod':
    case 'process':
    case 'source':
    case 'destination':
      return naturalKey(row[column] ?? '');
    case 'protocol':
    case 'info':
      return row[column];
    default:
      return naturalKey(row.custom?.[customColumnIndex(column)!] ?? '');
  }
}

/** The view's rows as the table reads them, all of them. */
function allRows(store: PacketStore, view: PacketView): Row[] {
  const rows: Row[] = [];
  for (let start = 0; start < view.rows; start += 1000) rows.push(...tableRows(store, view, start, 1000));
  return rows;
}

test('each column, custom ones too, sorts the corpus as a stable sort of the texts its rows show', async () => {
  const store = new PacketStore({ maxPackets: 1e6, maxBytes: 1e9, whenFull: 'drop-oldest' });
  new StoreIngest(store).push(corpusCapture());
  const view = worker.view(store);
  view.customColumns = [{ field: 'tcp.window_size' }, { field: 'dns.qry.name' }];
  const inPacketOrder = allRows(store, view);
  assert.ok(inPacketOrder.length > 2000, `${inPacketOrder.length} packets`);
  assert.ok(inPacketOrder.filter((r) => r.custom?.[0] !== '').length > 500, 'packets with a TCP window');
  // Each column ascending, then descending: the second turns the first round.
  for (const column of [...TABLE_COLUMNS, customColumnId(0), customColumnId(1)])
    for (const descending of [false, true]) {
      view.setSort({ column, descending });
      await view.whenSorted();
      const keys = inPacketOrder.map((r) => rowKey(r, column));
      const expected = referenceOrder(keys, descending).map((i) => inPacketOrder[i]!.number);
      const shown = allRows(store, view);
      assert.deepEqual(
        shown.map((r) => r.number),
        expected,
        `${column} ${descending ? 'descending' : 'ascending'}`,
      );
      // Each packet's row is found where it is shown; the Time column's delta stays the one of
      // the packet shown before it in packet order.
      for (const probe of [0, 17, shown.length - 1]) assert.equal(await view.rowOf(shown[probe]!.number), probe);
      const byNumber = new Map(inPacketOrder.map((r) => [r.number, r]));
      for (const r of shown.slice(0, 50)) assert.equal(r.delta, byNumber.get(r.number)!.delta);
    }
  view.setSort(undefined);
  await view.whenSorted();
  assert.deepEqual(
    allRows(store, view).map((r) => r.number),
    inPacketOrder.map((r) => r.number),
  );
});

test('a sorted view takes filtered rows, new packets and evictions in order', async () => {
  const store = new PacketStore({ maxPackets: 120, maxBytes: 1e9, whenFull: 'drop-oldest' });
  store.addInterface({ name: 'lo', linkType: 1, snaplen: 65535 });
  const lengthOf = (i: number) => 60 + ((i * 37) % 11);
  const add = (from: number, to: number) => {
    for (let i = from; i < to; i++)
      store.append({
        interfaceId: 0,
        timestampNs: BigInt(i) * 1000n,
        data: loopbackUdpFrame(i),
        originalLength: lengthOf(i),
      });
  };
  add(0, 60);
  const view = worker.view(store);
  view.setSort({ column: 'length', descending: true });
  view.setFilter('frame.number > 10');
  await view.whenSorted();
  /** The numbers the view shows, and what a stable sort of them by length gives. */
  const check = (what: string) => {
    const shown = Array.from({ length: view.rows }, (_, i) => view.numberAt(i)!);
    const expected = [...shown]
      .sort((a, b) => a - b)
      .sort((a, b) => store.packet(b)!.originalLength - store.packet(a)!.originalLength);
    assert.deepEqual(shown, expected, what);
    return shown;
  };
  assert.equal(check('filtered').length, 50);
  add(60, 100);
  view.refresh();
  await view.whenSorted();
  assert.equal(check('new packets').length, 90);
  add(100, 200); // 80 evicted: the store keeps 120
  view.refresh();
  await view.whenSorted();
  const shown = check('after eviction');
  assert.ok(store.firstNumber > 11, 'packets were evicted');
  assert.deepEqual(
    [...shown].sort((a, b) => a - b),
    Array.from({ length: 200 - store.firstNumber + 1 }, (_, i) => store.firstNumber + i),
  );
  assert.equal(view.sortOrder?.column, 'length');
});
