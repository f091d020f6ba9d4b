// The Time column's formats (packet/time-format.ts) judged by tshark: the rows of corpus captures,
// built as the panel builds them (table-rows.ts, through the real filter worker), show in each
// format the Time that `tshark -t r|dd|a|ad|ud|e` prints, also under a display filter (since the
// previous *displayed* packet). Both run in this process's time zone.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tableRows } from '../../extension/panel/table-rows.js';
import { PacketStore } from '../../extension/store/packet-store.js';
import { StoreIngest } from '../../extension/store/store-ingest.js';
import { formatPacketTime, TIME_FORMATS, type TimeFormat } from '../../packet/time-format.js';
import { TCPDUMP_TESTS_DIR } from '../fixtures/tcpdump-tests.js';
import { haveTshark } from './fixtures/tshark.js';
import { useFilterWorker } from './helpers/filter-worker.js';

const TSHARK_FORMAT: Record<TimeFormat, string> = {
  relative: 'r',
  delta: 'dd',
  time: 'a',
  dateTime: 'ad',
  utcDateTime: 'ud',
  epoch: 'e',
};

/** Microsecond captures of real exchanges, from different years. */
const FILES = ['resp_1_benchmark.pcap', 'dns-zlip-1.pcap', 'ipv4_tcp_http_xml.pcap', 'mptcp-tcprst.pcap'];

describe('Time display formats against tshark -t', { skip: !haveTshark && 'tshark not installed' }, () => {
  const worker = useFilterWorker('time-format');

  for (const filter of ['', 'tcp.len > 0']) {
    it(`each format shows tshark's Time${filter ? ` under the display filter "${filter}"` : ''}`, async () => {
      for (const name of FILES) {
        const path = join(TCPDUMP_TESTS_DIR, name);
        const store = new PacketStore({ maxPackets: 100_000, maxBytes: 1 << 26, whenFull: 'stop' });
        const ingest = new StoreIngest(store);
        ingest.push(readFileSync(path));
        ingest.end();
        const view = worker.view(store);
        view.endOfPackets();
        if (filter) view.setFilter(filter);
        await view.shownNumbers(); // every packet judged
        const rows = tableRows(store, view, 0, view.rows);
        for (const format of TIME_FORMATS) {
          const args = ['-r', path, '-t', TSHARK_FORMAT[format], '-T', 'fields', '-e', '_ws.col.Time'];
          const r = spawnSync('tshark', filter ? [...args, '-Y', filter] : args, { encoding: 'utf8' });
          assert.equal(r.status, 0, r.stderr);
          const theirs = r.stdout.split('\n').filter(Boolean);
          assert.deepEqual(
            rows.map((row) => formatPacketTime(row, format)),
            theirs,
            `${name}, ${format}${filter ? `, "${filter}"` : ''}`,
          );
        }
        view.dispose();
      }
    });
  }
});
