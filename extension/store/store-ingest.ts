// A capture stream (pcap or pcapng bytes, in chunks) into a packet store: the reader's interfaces
// become the store's, its packets are appended in order. One path for live agents and files.
import { CaptureFileReader } from '../../packet/capture-file.js';
import type { PacketStore } from './packet-store.js';

export class StoreIngest {
  readonly reader = new CaptureFileReader();
  private readonly interfaceIds = new Map<number, number>(); // reader interface id → store id
  /** The reader's decryption secrets already in the store. */
  private secretsTaken = 0;

  constructor(private readonly store: PacketStore) {}

  /** Appends the chunk's complete packets; returns how many, stopping when the store refuses. */
  push(chunk: Uint8Array): number {
    const packets = this.reader.push(chunk);
    for (const i of this.reader.interfaces) {
      if (!this.interfaceIds.has(i.id)) {
        this.interfaceIds.set(
          i.id,
          this.store.addInterface({
            name: i.name,
            description: i.description,
            linkType: i.linkType,
            snaplen: i.snaplen,
            filter: i.filter,
          }),
        );
      }
    }
    this.noteDrops();
    this.store.secrets.push(...this.reader.secrets.slice(this.secretsTaken));
    this.secretsTaken = this.reader.secrets.length;
    let appended = 0;
    for (const p of packets) {
      const ok = this.store.append({
        interfaceId: this.interfaceIds.get(p.interfaceId) ?? 0,
        timestampNs: p.timestampNs,
        data: p.data,
        originalLength: p.originalLength,
        direction: p.direction,
        comments: p.comments,
      });
      if (!ok) break;
      appended++;
    }
    return appended;
  }

  end(): void {
    this.reader.end();
    this.noteDrops();
  }

  /** Each interface's drops, as the stream's latest statistics (pcapng ISB) count them. */
  private noteDrops(): void {
    for (const i of this.reader.interfaces) {
      const dropped = i.statistics?.ifDrop;
      const stored = this.store.interfaces[this.interfaceIds.get(i.id) ?? -1];
      if (dropped !== undefined && stored) stored.dropped = Number(dropped);
    }
  }
}
