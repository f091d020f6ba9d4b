// Reading a capture file into a store, and the one sentence the editor shows about how it went:
// not a capture file, damaged at byte N (the packets before the damage are kept), holds no packets,
// or cut at the store's limits. No VS Code here, so the unit tests read real files through it.

import { packetCount } from '../counts.js';
import type { PacketStore } from '../store/packet-store.js';
import { StoreIngest } from '../store/store-ingest.js';

export interface FileRead {
  /** Bytes read from the file. */
  bytes: number;
  /** 'pcap' or 'pcapng'; undefined when the file does not start like either. */
  format: string | undefined;
  /** The first malformed part of the file (the packets before it are kept), and how many notes there are. */
  firstProblem: { offset: number; message: string } | undefined;
  problemCount: number;
  /** Packets kept. */
  packets: number;
  /** The store's limits stopped the reading. */
  full: boolean;
}

/** What the editor says about a file: an error (nothing, or not everything, could be read) or a remark. */
export interface FileOutcome {
  status: 'stopped' | 'error';
  message?: string;
}

/** Streams `chunks` into `store`; `onChunk` runs after each chunk (progress, refreshing the view). */
export async function readCaptureInto(
  store: PacketStore,
  chunks: AsyncIterable<Uint8Array>,
  onChunk: (bytesRead: number) => void = () => {},
): Promise<FileRead> {
  const ingest = new StoreIngest(store);
  let bytes = 0;
  for await (const chunk of chunks) {
    bytes += chunk.length;
    ingest.push(chunk);
    if (store.fullStop) break;
    onChunk(bytes);
  }
  ingest.end();
  return {
    bytes,
    format: ingest.reader.format,
    firstProblem: ingest.reader.firstProblem,
    problemCount: ingest.reader.errors.length,
    packets: store.held,
    full: store.fullStop,
  };
}

/** The sentence for a file read into the editor (`name` is the file's name). */
export function describeFileRead(name: string, read: FileRead): FileOutcome {
  if (read.bytes === 0 || (read.format !== undefined && read.packets === 0 && read.problemCount === 0))
    return { status: 'stopped', message: `${name} holds no packets.` };
  if (read.format === undefined) return { status: 'error', message: `${name} is not a pcap or pcapng file.` };
  const first = read.firstProblem;
  if (first !== undefined) {
    const where = `is damaged at byte ${first.offset.toLocaleString('en-US')}: ${first.message}`;
    const more = read.problemCount > 1 ? ` (${read.problemCount - 1} more problems after it)` : '';
    const kept =
      read.packets === 0
        ? 'No packet could be read before it.'
        : `The ${packetCount(read.packets)} that could be read ${read.packets === 1 ? 'is' : 'are'} shown.`;
    return { status: 'error', message: `${name} ${where}${more}. ${kept}` };
  }
  if (read.full)
    return {
      status: 'stopped',
      message: `Only the first ${packetCount(read.packets)} are shown: the file exceeds packetCapture.maxPackets / maxMegabytes.`,
    };
  return { status: 'stopped' };
}
