// Files written only to hand a capture to Wireshark (a capture that has no file of its own). The
// system temp folder is shared with every user: there a predictable name could be planted as a
// symlink, and a 0644 file would show the packets to anyone. So: one private folder per window
// (mkdtemp, 0700), each file created exclusively (O_EXCL, never a symlink) with mode 0600, and
// everything removed when its capture closes or the extension deactivates.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PacketStore } from '../store/packet-store.js';
import { type PcapngExtras, writeCaptureFile } from './capture-writer.js';

const FOLDER_PREFIX = 'packet-capture-';

export class TempCaptures {
  private folder?: string;
  private counter = 0;
  /** The files written for each owner (a capture panel), removed when it closes. */
  private readonly owned = new Map<object, Set<string>>();

  constructor(private readonly parent: string = os.tmpdir()) {}

  /** The private folder, created on first use; mkdtemp makes it 0700 with an unpredictable name.
   *  Also where tshark's dumpcap keeps its temporary file while it judges a display filter. */
  privateFolder(): string {
    this.folder ??= fs.mkdtempSync(path.join(this.parent, FOLDER_PREFIX));
    return this.folder;
  }

  /** Writes the store as pcapng (with `extras`: a debug session's markers and keys) into a new
   *  private file belonging to `owner`; returns its path. */
  async write(owner: object, store: PacketStore, extras?: PcapngExtras): Promise<string> {
    const file = path.join(this.privateFolder(), `capture-${++this.counter}.pcapng`);
    const files = this.owned.get(owner) ?? new Set<string>();
    this.owned.set(owner, files);
    files.add(file); // before writing: a failed write leaves nothing behind either
    await writeCaptureFile(store, file, 'pcapng', { exclusive: true, extras });
    return file;
  }

  /** Removes the files written for `owner` (its capture closed). */
  release(owner: object): void {
    for (const file of this.owned.get(owner) ?? []) fs.rmSync(file, { force: true });
    this.owned.delete(owner);
  }

  /** Removes the private folder and everything in it (the extension deactivates). */
  dispose(): void {
    this.owned.clear();
    if (this.folder) fs.rmSync(this.folder, { recursive: true, force: true });
    this.folder = undefined;
  }
}
