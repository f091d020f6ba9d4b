// Every capture of tcpdump's corpus (malformed ones included) through the deep tree: for one packet
// of each, Wireshark's tree, or "none", never an exception, and every highlight inside the
// packet's bytes. sharkd is restarted as it goes (its per-load leak), which this run crosses many times.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { DeepTrees, findSharkd } from '../../extension/dissect/deep-tree.js';
import { PacketStore } from '../../extension/store/packet-store.js';
import { StoreIngest } from '../../extension/store/store-ingest.js';
import type { Field, Layer } from '../../packet/decode/types.js';
import { readCapture, tcpdumpTestCaptures } from '../fixtures/tcpdump-tests.js';

const noSharkd = findSharkd('wireshark')
  ? false
  : 'sharkd is not installed (Debian: wireshark-common, a dependency of tshark)';
const tempParent = fs.mkdtempSync(path.join(os.tmpdir(), 'deep-corpus-test-'));
const deep = new DeepTrees({ wiresharkPath: () => 'wireshark', tempParent });
after(async () => {
  await deep.dispose();
  fs.rmSync(tempParent, { recursive: true, force: true });
});

/** The file's packets in a store; undefined when our reader takes nothing from it. */
function storeOf(file: string): PacketStore | undefined {
  const store = new PacketStore({ maxPackets: 1_000_000, maxBytes: 1 << 30, whenFull: 'stop' });
  const ingest = new StoreIngest(store);
  try {
    ingest.push(readCapture(file));
    ingest.end();
  } catch {
    // A damaged file keeps what was read before the damage.
  }
  return store.held > 0 ? store : undefined;
}

function* nodes(fields: Field[]): Generator<Field> {
  for (const f of fields) {
    yield f;
    yield* nodes(f.children ?? []);
  }
}

function assertInside(layers: Layer[], capturedLength: number, where: string): void {
  for (const n of [...layers, ...layers.flatMap((l) => [...nodes(l.fields)])]) {
    assert.equal(typeof n.label, 'string', where);
    assert.ok(n.offset >= 0 && n.length >= 0 && n.offset + n.length <= capturedLength, `${where}: ${n.label}`);
  }
}

test('one packet of every corpus capture: a tree or none, never an error', {
  skip: noSharkd,
  timeout: 300_000,
}, async (t) => {
  const outcomes = { layers: 0, none: 0, unread: 0 };
  for (const file of tcpdumpTestCaptures()) {
    const store = storeOf(file);
    if (!store) {
      outcomes.unread++;
      continue;
    }
    const number = store.firstNumber + Math.floor((store.held - 1) / 2);
    const where = `${path.basename(file)} packet ${number}`;
    const tree = await deep.treeOf(store, number);
    assert.ok(tree.kind === 'layers' || tree.kind === 'none', `${where}: ${tree.kind}`);
    if (tree.kind === 'layers') {
      outcomes.layers++;
      assertInside(tree.layers, store.packet(number)!.data.length, where);
    } else {
      outcomes.none++;
      t.diagnostic(`${where}: no tree (${tree.reason})`);
    }
  }
  t.diagnostic(
    `trees ${outcomes.layers}, none ${outcomes.none}, files our reader takes nothing from ${outcomes.unread}`,
  );
  assert.ok(outcomes.layers > 300, `only ${outcomes.layers} trees`);
});
