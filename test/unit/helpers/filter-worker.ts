// The display-filter worker as the unit tests run it: bundled from the current sources into a
// scratch folder (as scripts/build.sh bundles it), views over stores that it filters, and all of it
// disposed of after the file's tests.
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before } from 'node:test';
import { build } from 'esbuild';
import type { PacketStore } from '../../../extension/store/packet-store.js';
import { PacketView, WorkerFilterRunner } from '../../../extension/store/packet-view.js';

export interface FilterWorkerScratch {
  /** A folder for the test's own files, removed after its tests. */
  scratch: string;
  /** A view of `store` whose display filters the real worker runs. */
  view(store: PacketStore): PacketView;
}

/** Registers the before/after hooks of a test file that filters through the real worker. */
export function useFilterWorker(name: string): FilterWorkerScratch {
  const scratch = fs.mkdtempSync(path.join(tmpdir(), `${name}-`));
  const worker = path.join(scratch, 'filter-worker.js');
  const views: PacketView[] = [];
  // The runner unrefs its worker (it must never keep the extension host alive): while a test waits
  // for the worker's answer, this timer keeps the test process's event loop alive instead.
  let keepAlive: NodeJS.Timeout | undefined;
  before(async () => {
    keepAlive = setInterval(() => {}, 1000);
    await build({
      entryPoints: [path.join(__dirname, '../../../extension/store/filter-worker.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile: worker,
      logLevel: 'warning',
    });
  });
  after(() => {
    clearInterval(keepAlive);
    for (const v of views) v.dispose();
    fs.rmSync(scratch, { recursive: true, force: true });
  });
  return {
    scratch,
    view: (store) => {
      const view = new PacketView(store, new WorkerFilterRunner(worker));
      views.push(view);
      return view;
    },
  };
}
