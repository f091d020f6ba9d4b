// The deep detail tree: Wireshark's dissection of one packet, through the user's installed sharkd
// (a separate program reached over pipes; no Wireshark code runs inside the extension). The
// packet's conversation is cut into a small private pcapng, loaded into the warm sharkd, and the
// packet's frame of that cut answered as our layers. Whatever goes wrong (no sharkd, a crash, a
// stall, a tree that makes no sense) ends as "no deep tree", never as an error: our own tree stays.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Layer } from '../../packet/decode/types.js';
import { type PcapngExtras, writeCaptureFile } from '../capture/capture-writer.js';
import type { PacketStore } from '../store/packet-store.js';
import { CUT_LIMITS, type CutLimits, conversationCut } from './conversation-cut.js';
import { SharkdClient, type SharkdOptions } from './sharkd.js';
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

/** The sharkd that goes with `wiresharkPath` (wiresharkProgram), if it is there. Undefined: none. */
export function findSharkd(wiresharkPath: string, searchPath = process.env.PATH ?? ''): string | undefined {
  const program = wiresharkProgram(wiresharkPath, 'sharkd');
  if (path.basename(program) !== program) return executable(program) ? program : undefined;
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, program);
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

export interface DeepTreeOptions {
  /** The packetCapture.wiresharkPath setting, read at each request (it may change). */
  wiresharkPath(): string;
  /** Where the private folder of cuts is made (the system temp folder by default). */
  tempParent?: string;
  limits?: CutLimits;
  /** sharkd's bounds (its command comes from findSharkd). */
  sharkd?: Omit<SharkdOptions, 'command'>;
}

export class DeepTrees {
  private client?: SharkdClient;
  private folder?: string;
  private counter = 0;

  constructor(private readonly options: DeepTreeOptions) {}

  /** The client for the sharkd found now; a new one when the setting points elsewhere. */
  private sharkd(): SharkdClient | undefined {
    const command = findSharkd(this.options.wiresharkPath());
    if (command !== this.client?.options.command) {
      void this.client?.dispose();
      this.client = command ? new SharkdClient({ ...this.options.sharkd, command }) : undefined;
    }
    return this.client;
  }

  /** The running sharkd's process id (tests stop and kill it). */
  get pid(): number | undefined {
    return this.client?.pid;
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
      const client = this.sharkd();
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
    const client = this.client;
    this.client = undefined;
    await client?.dispose();
  }
}
