// A store filled as a live capture fills it: a capture file's interfaces first, then its packets
// appended in the steps a test chooses.
import { PacketStore } from '../../../extension/store/packet-store.js';
import { readCaptureFile } from '../../../packet/capture-file.js';

export interface LiveStore {
  store: PacketStore;
  /** Packets in the file. */
  count: number;
  /** Appends the file's packets [from, to). */
  add(from: number, to: number): void;
}

export function liveStore(bytes: Uint8Array): LiveStore {
  const { reader, packets } = readCaptureFile(bytes);
  const store = new PacketStore({ maxPackets: 1e6, maxBytes: 1e9, whenFull: 'stop' });
  for (const i of reader.interfaces) store.addInterface({ name: i.name, linkType: i.linkType, snaplen: i.snaplen });
  const add = (from: number, to: number) => {
    for (const p of packets.slice(from, to))
      store.append({
        interfaceId: p.interfaceId,
        timestampNs: p.timestampNs!,
        data: p.data,
        originalLength: p.originalLength,
      });
  };
  return { store, count: packets.length, add };
}
