// Display filters our decoders cannot evaluate, judged by the real tshark over the store's packets
// (extension/store/wireshark-filter.ts through PacketView): the rows are the frames `tshark -r
// FILE -Y FILTER` matches, for a stopped capture and for a live one whose packets arrive while
// tshark judges, also when packets were evicted before tshark was given them; a filter tshark
// refuses is refused before it replaces the rows.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { PacketStore, type StoreLimits } from '../../extension/store/packet-store.js';
import { type FilterRunner, PacketView } from '../../extension/store/packet-view.js';
import { StoreIngest } from '../../extension/store/store-ingest.js';
import { checkWithTshark, WiresharkFileFilterRun, WiresharkFilterRun } from '../../extension/store/wireshark-filter.js';
import { CaptureFileReader } from '../../packet/capture-file.js';
import { TsharkError } from '../../packet/tshark-filter.js';
import { tsharkFrames } from './fixtures/tshark.js';

const RESP = join(process.cwd(), 'test/fixtures/tcpdump-tests/resp_1_benchmark.pcap');

/** Our engine is not asked here: every filter of these tests goes to tshark. */
const NO_ENGINE: FilterRunner = {
  run: () => {
    throw new Error('our engine was asked');
  },
  columnTexts: () => {
    throw new Error('our engine was asked');
  },
  addressTallies: () => {
    throw new Error('our engine was asked');
  },
  protocolPaths: () => {
    throw new Error('our engine was asked');
  },
  dispose: () => {},
};

/** The corpus file's packets, one by one (so a test can add them in steps). */
function packetsOfFile(): { reader: CaptureFileReader; packets: ReturnType<CaptureFileReader['push']> } {
  const reader = new CaptureFileReader();
  const packets = reader.push(readFileSync(RESP));
  return { reader, packets: [...packets, ...reader.end()] };
}

describe('display filters judged by tshark', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'wireshark-filter-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));
  const place = { tshark: 'tshark', tmpdir: scratch };

  /** Applies `filter` through tshark: `done` once tshark finished, `shown` the rows then. */
  function judge(
    view: PacketView,
    store: PacketStore,
    filter: string,
  ): { done: Promise<void>; shown: () => Promise<number[]> } {
    let ended!: () => void;
    const done = new Promise<void>((resolve) => {
      ended = resolve;
    });
    view.setWiresharkFilter(filter, (onMatches, onEnd, complete) => {
      const end = (e?: Error) => {
        onEnd(e);
        assert.equal(e, undefined);
        ended();
      };
      // As the extension chooses: a stopped capture's packets through a FIFO, a live one's as a stream.
      return complete
        ? new WiresharkFileFilterRun(store, place, filter, onMatches, end)
        : new WiresharkFilterRun(store, place, filter, onMatches, end);
    });
    return { done, shown: async () => [...(await view.shownNumbers())] };
  }

  it('a stopped capture (its packets through a FIFO tshark reads): the frames tshark -Y matches, nothing left behind', async () => {
    const store = new PacketStore({ maxPackets: 1e6, maxBytes: 1e9, whenFull: 'stop' });
    new StoreIngest(store).push(readFileSync(RESP));
    const view = new PacketView(store, NO_ENGINE);
    view.endOfPackets();
    for (const filter of ['resp', 'resp.array.length >= 100 || tcp.flags.fin == 1']) {
      const run = (await judge(view, store, filter)) as unknown as {
        done: Promise<void>;
        shown: () => Promise<number[]>;
      };
      await run.done;
      assert.deepEqual(await run.shown(), tsharkFrames(RESP, filter), filter);
      assert.equal(view.filtering, false);
    }
    assert.deepEqual(readdirSync(scratch), [], 'the FIFO tshark read is removed');
    view.dispose();
  });

  it('a stopped capture judged by tshark: stopped at once, or refused by tshark, ends without a hang or a file left', async () => {
    const store = new PacketStore({ maxPackets: 1e6, maxBytes: 1e9, whenFull: 'stop' });
    new StoreIngest(store).push(readFileSync(RESP));
    // Stopped before tshark opened the FIFO: the writer waiting for it is released.
    const stopped = new WiresharkFileFilterRun(store, place, 'resp', () => {}, assert.fail);
    stopped.stop();
    await stopped.settled;
    // A filter tshark refuses (the panel asks checkWithTshark first; this is the run's own guard):
    // tshark exits without opening the FIFO, and its own message is the error.
    let error: Error | undefined;
    const refused = new WiresharkFileFilterRun(
      store,
      place,
      'resp.nosuchfield == 1',
      () => assert.fail('no match'),
      (e) => {
        error = e;
      },
    );
    await refused.settled;
    assert.ok(error instanceof TsharkError, String(error));
    assert.match(error.message, /resp\.nosuchfield/);
    assert.deepEqual(readdirSync(scratch), [], 'no FIFO left');
  });

  it('a live capture: packets added while tshark judges, and some evicted before it was given them', async () => {
    const limits: StoreLimits = { maxPackets: 40, maxBytes: 1e9, whenFull: 'drop-oldest' };
    const store = new PacketStore(limits);
    const { reader, packets } = packetsOfFile();
    for (const i of reader.interfaces) store.addInterface(i);
    const add = (from: number, to: number) => {
      for (const p of packets.slice(from, to))
        store.append({ interfaceId: 0, timestampNs: p.timestampNs!, data: p.data, originalLength: p.originalLength });
    };
    add(0, 30);
    const view = new PacketView(store, NO_ENGINE);
    const run = (await judge(view, store, 'resp')) as unknown as {
      done: Promise<void>;
      shown: () => Promise<number[]>;
    };
    view.refresh();
    // 100 more while nothing tells the view: the store drops the oldest (a segment at a time), so
    // tshark, given 1…30, then gets the packets still held: frame 31 is the first of those.
    add(30, 130);
    view.refresh();
    view.endOfPackets();
    await run.done;
    const expected = tsharkFrames(RESP, 'resp').filter((n) => n <= 30 || (n > 90 && n <= 130));
    const kept = expected.filter((n) => n >= store.firstNumber);
    assert.deepEqual(await run.shown(), kept);
    assert.ok(store.firstNumber > 31, `a gap: the first packet held is ${store.firstNumber}`);
    assert.ok(kept.length >= 2, `the case matches packets after the gap: ${kept}`);
    view.dispose();
  });

  it("a filter tshark refuses is refused with tshark's own message, before anything changes", async () => {
    await checkWithTshark(place, 'resp');
    await assert.rejects(checkWithTshark(place, 'resp.nosuchfield == 1'), (e: Error) => {
      assert.ok(e instanceof TsharkError);
      assert.equal(e.status, 2);
      assert.match(e.message, /^tshark: .*resp\.nosuchfield/);
      return true;
    });
  });
});
