// Wireshark's display-filter names for the filter bar: `tshark -G fields` and `-G protocols` once per
// Wireshark installation (about 0.5–2 s), kept in a private cache file (0600 in a 0700 folder of the
// extension's global storage) named by the tshark binary's identity (its real path, size and
// modification time: an install or upgrade replaces the binary), so later windows read the file
// instead. With the catalogue, a name neither we nor Wireshark know is refused at once, and a filter
// naming one of Wireshark's is checked by the warm sharkd (`check`), or by tshark when no sharkd.
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import {
  CATALOGUE_LIMITS,
  catalogueText,
  checkDisplayFilter,
  completeFields,
  type DisplayFilterCheck,
  FieldCatalogue,
  type FieldCompletion,
} from '../../packet/filter-fields.js';
import { findWiresharkProgram } from '../dissect/deep-tree.js';

const run = promisify(execFile);

/** Longest wait for tshark to list its fields (0.5 s on an idle machine, more on a busy one). */
const LIST_TIMEOUT_MS = 60_000;
const CACHE_PREFIX = 'wireshark-fields-';

export interface WiresharkFieldsOptions {
  /** packetCapture.wiresharkPath, read at each use (it may change). */
  wiresharkPath(): string;
  /** The extension's private cache folder (made 0700 when needed). */
  cacheDir: string;
  /** sharkd's verdict on a filter: undefined when it accepts it, its message when it refuses it;
   *  throws when sharkd cannot answer (missing, crashed). */
  sharkdCheck?(text: string): Promise<string | undefined>;
  /** tshark's verdict, the same way: asked when sharkd cannot answer. */
  tsharkCheck?(text: string): Promise<string | undefined>;
  log?(line: string): void;
  /** PATH, for a bare wiresharkPath (tests give their own). */
  searchPath?: string;
}

/** Where and how long the catalogue was got: `cached` when the cache file served it. */
export interface CatalogueLoad {
  catalogue: FieldCatalogue;
  cached: boolean;
  ms: number;
  file: string;
}

/** The cache file's name for the tshark at `tshark`: its identity, hashed. */
function cacheName(tshark: string): string {
  const real = fs.realpathSync(tshark);
  const st = fs.statSync(real);
  const id = createHash('sha256').update(`${real}\0${st.size}\0${st.mtimeMs}`).digest('hex').slice(0, 24);
  return `${CACHE_PREFIX}${id}.txt`;
}

/** The private folder, made or tightened to 0700. */
function privateFolder(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dir, 0o700);
}

/** Writes `text` as `file` (0600) at once: a reader sees the old file or the whole new one. */
function writePrivately(file: string, text: string): void {
  const temp = `${file}.${randomUUID()}.tmp`;
  fs.writeFileSync(temp, text, { flag: 'wx', mode: 0o600 });
  fs.renameSync(temp, file);
}

/** Cache files of other tshark installations than `keep` (an upgrade leaves its old one). */
function removeStale(dir: string, keep: string): void {
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith(CACHE_PREFIX) && name !== keep) fs.rmSync(path.join(dir, name), { force: true });
  }
}

/** What tshark says for `-G what`, bounded in size and time. */
async function listed(tshark: string, what: 'fields' | 'protocols'): Promise<string> {
  const { stdout } = await run(tshark, ['-G', what], {
    maxBuffer: CATALOGUE_LIMITS.maxBytes,
    timeout: LIST_TIMEOUT_MS,
    encoding: 'utf8',
  });
  return stdout;
}

/** The catalogue of the tshark at `tshark`: from the cache file, or listed and cached. */
export async function loadCatalogue(tshark: string, cacheDir: string): Promise<CatalogueLoad> {
  const t0 = performance.now();
  const name = cacheName(tshark);
  const file = path.join(cacheDir, name);
  try {
    const catalogue = FieldCatalogue.fromText(fs.readFileSync(file, 'utf8'));
    return { catalogue, cached: true, ms: performance.now() - t0, file };
  } catch {
    // No cache yet (or one that is not a catalogue): list the fields.
  }
  const [fields, protocols] = await Promise.all([listed(tshark, 'fields'), listed(tshark, 'protocols')]);
  const text = catalogueText(fields, protocols);
  const catalogue = FieldCatalogue.fromText(text);
  privateFolder(cacheDir);
  writePrivately(file, text);
  removeStale(cacheDir, name);
  return { catalogue, cached: false, ms: performance.now() - t0, file };
}

/** The filter bar's completion and checking, with Wireshark's names when its tshark is there. */
export class WiresharkFields {
  private loading?: { tshark: string; catalogue: Promise<FieldCatalogue | undefined> };

  constructor(private readonly options: WiresharkFieldsOptions) {}

  /** Wireshark's catalogue, loaded once per tshark; undefined without tshark (or when it failed). */
  catalogue(): Promise<FieldCatalogue | undefined> {
    const tshark = findWiresharkProgram(this.options.wiresharkPath(), 'tshark', this.options.searchPath);
    if (!tshark) return Promise.resolve(undefined);
    if (this.loading?.tshark !== tshark) this.loading = { tshark, catalogue: this.load(tshark) };
    return this.loading.catalogue;
  }

  private async load(tshark: string): Promise<FieldCatalogue | undefined> {
    try {
      const load = await loadCatalogue(tshark, this.options.cacheDir);
      this.options.log?.(
        `Wireshark's display-filter fields: ${load.catalogue.size} names ${load.cached ? 'from the cache' : `listed by ${tshark}`} in ${Math.round(load.ms)} ms.`,
      );
      return load.catalogue;
    } catch (e) {
      this.options.log?.(`Wireshark's display-filter fields could not be listed (${tshark}): ${(e as Error).message}`);
      return undefined;
    }
  }

  async complete(prefix: string): Promise<FieldCompletion[]> {
    return completeFields(prefix, await this.catalogue());
  }

  async check(text: string): Promise<DisplayFilterCheck> {
    return checkDisplayFilter(text, await this.catalogue(), (t) => this.wiresharkVerdict(t));
  }

  /** sharkd's verdict, else tshark's; undefined (accepted) when neither can answer: applying the
   *  filter then says what went wrong. */
  private async wiresharkVerdict(text: string): Promise<string | undefined> {
    try {
      if (this.options.sharkdCheck) return await this.options.sharkdCheck(text);
    } catch (e) {
      this.options.log?.(`sharkd could not check a display filter: ${(e as Error).message}`);
    }
    return this.options.tsharkCheck?.(text);
  }
}
