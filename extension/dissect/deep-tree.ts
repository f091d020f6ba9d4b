// The deep detail tree: Wireshark's dissection of one packet, through the user's installed sharkd
// (a separate program reached over pipes; no Wireshark code runs inside the extension). The
// packet's conversation is cut into a small private pcapng, loaded into the warm sharkd, and the
// packet's frame of that cut answered as our layers. Whatever goes wrong (no sharkd, a crash, a
// stall, a tree that makes no sense) ends as "no deep tree", never as an error: our own tree stays.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Layer } from '../../packet/decode/types.js';
import { type DecodeAsRule, formatDecodeAs } from '../../packet/decode-as.js';
import { type PcapngExtras, writeCaptureFile } from '../capture/capture-writer.js';
import type { PacketStore } from '../store/packet-store.js';
import { CUT_LIMITS, type CutLimits, conversationCut } from './conversation-cut.js';
import { SharkdClient, type SharkdOptions, SharkdUnavailableError } from './sharkd.js';
import { writeSharkdConfig } from './sharkd-config.js';
import { wiresharkLayers } from './wireshark-tree.js';

/** Said at the bottom of our tree when no sharkd is found. */
export const NO_WIRESHARK_NOTE =
  "Wireshark's dissectors add every protocol's fields here: install Wireshark (tshark, sharkd), or set packetCapture.wiresharkPath";

export type DeepTree =
  /** Wireshark's layers for the packet. */
  | { kind: 'layers'; layers: Layer[] }
  /** No sharkd where it was looked for. */
  | { kind: 'missing' }
  /** sharkd was there but gave no tree (the reason goes to the log), or the packet is gone. */
  | { kind: 'none'; reason: string }
  /** The packet is no longer the one wanted: nothing was asked. */
  | { kind: 'skipped' };

function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * A program of the Wireshark that `wiresharkPath` (packetCapture.wiresharkPath) names: beside it
 * when that is a path (Debian's /usr/bin, macOS's Wireshark.app/Contents/MacOS), else the bare
 * name, for PATH to find.
 */
export function wiresharkProgram(wiresharkPath: string, program: 'sharkd' | 'tshark'): string {
  const name = process.platform === 'win32' ? `${program}.exe` : program;
  const isPath = wiresharkPath.includes('/') || wiresharkPath.includes(path.sep);
  return isPath ? path.join(path.dirname(wiresharkPath), name) : name;
}

/** The `program` of the Wireshark `wiresharkPath` names (wiresharkProgram), if it is there:
 *  its path, PATH searched for a bare name. Undefined: none. */
export function findWiresharkProgram(
  wiresharkPath: string,
  program: 'sharkd' | 'tshark',
  searchPath = process.env.PATH ?? '',
): string | undefined {
  const name = wiresharkProgram(wiresharkPath, program);
  if (path.basename(name) !== name) return executable(name) ? name : undefined;
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

/** The sharkd that goes with `wiresharkPath` (wiresharkProgram), if it is there. Undefined: none. */
export function findSharkd(wiresharkPath: string, searchPath = process.env.PATH ?? ''): string | undefined {
  return findWiresharkProgram(wiresharkPath, 'sharkd', searchPath);
}

export interface DeepTreeOptions {
  /** The packetCapture.wiresharkPath setting, read at each request (it may change). */
  wiresharkPath(): string;
  /** Decode As (packetCapture.decodeAs), read at each request: sharkd is started again, with a
   *  configuration folder of its own, when the rules change. */
  decodeAs?(): readonly DecodeAsRule[];
  /** A protocol's dissector name for Decode As (`http2` → `HTTP2`, from tshark -G protocols). */
  dissectorName?(protocol: string): Promise<string | undefined>;
  /** Where the private folder of cuts is made (the system temp folder by default). */
  tempParent?: string;
  limits?: CutLimits;
  /** sharkd's bounds (its command comes from findSharkd). */
  sharkd?: Omit<SharkdOptions, 'command' | 'env'>;
}

/** The sharkd of one setting and set of rules, and the configuration folder made for it. */
interface SharkdFor {
  key: string;
  client: Promise<SharkdClient | undefined>;
  config?: string;
}

export class DeepTrees {
  private current?: SharkdFor;
  private client?: SharkdClient;
  private folder?: string;
  private counter = 0;

  constructor(private readonly options: DeepTreeOptions) {}

  /** The client for the sharkd found now and the rules now; a new one when either changed. */
  private sharkd(): Promise<SharkdClient | undefined> {
    const command = findSharkd(this.options.wiresharkPath());
    const rules = command ? (this.options.decodeAs?.() ?? []) : [];
    const key = [command ?? '', ...rules.map(formatDecodeAs)].join('\n');
    if (this.current?.key !== key) {
      const previous = this.current;
      const next: SharkdFor = { key, client: Promise.resolve(undefined) };
      next.client = command ? this.start(command, rules, next) : Promise.resolve(undefined);
      this.current = next;
      void previous?.client.then(async (client) => {
        await client?.dispose();
        if (previous.config) fs.rmSync(previous.config, { recursive: true, force: true });
      });
    }
    return this.current.client;
  }

  private async start(command: string, rules: readonly DecodeAsRule[], into: SharkdFor): Promise<SharkdClient> {
    let env: Record<string, string> | undefined;
    if (rules.length > 0) {
      const names = new Map<string, string | undefined>();
      for (const r of rules) names.set(r.protocol, await this.options.dissectorName?.(r.protocol));
      into.config = path.join(this.privateFolder(), `config-${++this.counter}`);
      writeSharkdConfig(into.config, rules, (p) => names.get(p));
      env = { WIRESHARK_CONFIG_DIR: into.config };
    }
    this.client = new SharkdClient({ ...this.options.sharkd, command, ...(env ? { env } : {}) });
    return this.client;
  }

  /** The running sharkd's process id (tests stop and kill it). */
  get pid(): number | undefined {
    return this.client?.pid;
  }

  /** Wireshark's verdict on a display filter through the warm sharkd (SharkdClient.checkFilter);
   *  throws SharkdUnavailableError without sharkd. */
  async checkFilter(text: string): Promise<string | undefined> {
    const client = await this.sharkd();
    if (!client) throw new SharkdUnavailableError('sharkd was not found', true);
    return client.checkFilter(text);
  }

  /** A private folder for the cuts (0700, unpredictable name), made on first use. */
  private privateFolder(): string {
    this.folder ??= fs.mkdtempSync(path.join(this.options.tempParent ?? os.tmpdir(), 'packet-capture-deep-'));
    return this.folder;
  }

  /**
   * Wireshark's tree of packet `number` of `store`. `wanted` is asked when the request's turn
   * comes: a packet the user moved away from meanwhile is skipped. Never rejects.
   */
  async treeOf(store: PacketStore, number: number, extras?: PcapngExtras, wanted = () => true): Promise<DeepTree> {
    try {
      const client = await this.sharkd();
      if (!client) return { kind: 'missing' };
      return await client.run(() => this.dissect(client, store, number, extras, wanted));
    } catch (e) {
      return { kind: 'none', reason: (e as Error).message };
    }
  }

  private async dissect(
    client: SharkdClient,
    store: PacketStore,
    number: number,
    extras: PcapngExtras | undefined,
    wanted: () => boolean,
  ): Promise<DeepTree> {
    if (!wanted()) return { kind: 'skipped' };
    const cut = await conversationCut(store, number, this.options.limits ?? CUT_LIMITS, wanted);
    if (!wanted()) return { kind: 'skipped' };
    const selected = store.packet(number);
    if (!cut || !selected) return { kind: 'none', reason: `packet ${number} is no longer held` };
    const file = path.join(this.privateFolder(), `cut-${++this.counter}.pcapng`);
    try {
      // TLS keys travel as the capture's Decryption Secrets blocks (store.secrets, the extras' keys).
      await writeCaptureFile(store, file, 'pcapng', { exclusive: true, numbers: cut.numbers, extras });
      const { tree } = await client.loadFrame(file, cut.frame);
      const layers = wiresharkLayers(tree, {
        capturedLength: selected.data.length,
        number,
        numberOf: (frame) => cut.numbers[frame - 1],
      });
      return layers ? { kind: 'layers', layers } : { kind: 'none', reason: 'sharkd answered no tree' };
    } finally {
      fs.rmSync(file, { force: true });
    }
  }

  /** Ends sharkd and removes the private folder (the extension deactivates). */
  async dispose(): Promise<void> {
    // The folder first: an extension host that is ending may not wait for sharkd's goodbye.
    if (this.folder) fs.rmSync(this.folder, { recursive: true, force: true });
    this.folder = undefined;
    const current = this.current;
    this.current = undefined;
    this.client = undefined;
    await (await current?.client.catch(() => undefined))?.dispose();
  }
}
