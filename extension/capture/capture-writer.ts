// The store as a capture file: pcapng (every interface, direction, true length) or classic pcap
// (one link type). Encoded in chunks so a million packets never sit in memory twice.
import * as fs from 'node:fs';
import * as pcap from '../../packet/pcap.js';
import * as pcapng from '../../packet/pcapng.js';
import type { InterfaceInit, PacketStore, StoredPacket } from '../store/packet-store.js';

export type FileFormat = 'pcapng' | 'pcap';

const CHUNK_BYTES = 4 << 20;
const APPLICATION = 'eBPF Packet Capture for VS Code';

export class CaptureWriteError extends Error {}

/** What a pcapng's header describes: the interfaces and the decryption secrets. */
export interface HeaderSource {
  readonly interfaces: readonly InterfaceInit[];
  readonly secrets: readonly pcapng.DecryptionSecrets[];
}

/** The section header, interfaces and secrets; `comment` on the section (why its ports decode as
 *  they do: the Decode As rules). */
export function pcapngHeader(store: HeaderSource, comment?: string): Uint8Array {
  return Buffer.concat([
    pcapng.encodeBlock(pcapng.sectionHeaderSize, pcapng.writeSectionHeader, { userAppl: APPLICATION, comment }),
    ...interfaceBlocks(store, 0),
    // Before every packet, as Wireshark wants the secrets of the packets after them.
    ...store.secrets.map((d) => pcapng.encodeBlock(pcapng.decryptionSecretsSize, pcapng.writeDecryptionSecrets, d)),
  ]);
}

/** Interface Description Blocks of the store's interfaces from `from` on (a stream adds those that
 *  appear later before their first packet). */
export function interfaceBlocks(store: HeaderSource, from: number): Uint8Array[] {
  return store.interfaces.slice(from).map((i) =>
    pcapng.encodeBlock(pcapng.interfaceDescriptionSize, pcapng.writeInterfaceDescription, {
      linkType: i.linkType,
      snaplen: i.snaplen,
      name: i.name,
      description: i.description,
      filter: i.filter,
    }),
  );
}

function pcapLinkType(store: PacketStore): number {
  const types = [...new Set(store.interfaces.map((i) => i.linkType))];
  if (types.length > 1) {
    throw new CaptureWriteError(
      `classic pcap holds one link type and this capture has ${types.length} (${types.join(', ')}): save it as pcapng`,
    );
  }
  return types[0] ?? 1;
}

/** Packet numbers from..to, in order. */
export function* numberRange(from: number, to: number): Generator<number> {
  for (let n = from; n <= to; n++) yield n;
}

/** What a saved pcapng carries besides the packets (a debug session's markers and TLS keys). */
export interface PcapngExtras {
  /** A comment on the packet (pcapng opt_comment), or undefined. */
  commentFor?(packet: StoredPacket): string | undefined;
  /** Blocks written after the interface blocks, before the first packet (Decryption Secrets). */
  leadingBlocks?(): Uint8Array[];
  /** The section's comment: the Decode As rules the capture was read with. */
  sectionComment?: string;
  /** A stream (Wireshark's live pipe): the secrets learnt after the first `sent`, as blocks to
   *  write before the packets that follow, and how many are sent then. */
  secretsSince?(sent: number): { blocks: Uint8Array[]; sent: number };
}

/** Encodes packets [from, to] into buffers of about CHUNK_BYTES. */
export function encodePackets(store: PacketStore, format: FileFormat, from: number, to: number): Generator<Uint8Array> {
  return encodeNumbers(store, format, numberRange(from, to));
}

/** Encodes the packets of `numbers` (those still held), in that order, into buffers of about CHUNK_BYTES. */
export function* encodeNumbers(
  store: PacketStore,
  format: FileFormat,
  numbers: Iterable<number>,
  extras?: PcapngExtras,
): Generator<Uint8Array> {
  /** The packet's own comments (its process…), then the one the extras add (a debugger marker). */
  const comments = (p: StoredPacket): readonly string[] | undefined => {
    const added = format === 'pcapng' ? extras?.commentFor?.(p) : undefined;
    return added === undefined ? p.comments : [...(p.comments ?? []), added];
  };
  let parts: { p: StoredPacket; comments?: readonly string[] }[] = [];
  let size = 0;
  const flush = () => {
    const out = new Uint8Array(size);
    let off = 0;
    for (const { p, comments } of parts) {
      off =
        format === 'pcapng'
          ? pcapng.writeEnhancedPacket(
              out,
              off,
              p.interfaceId,
              p.timestampNs,
              p.data,
              0,
              p.data.length,
              p.originalLength,
              p.direction,
              undefined,
              comments,
            )
          : pcap.writeRecord(out, off, p.timestampNs, p.data, 0, p.data.length, p.originalLength, false);
    }
    parts = [];
    size = 0;
    return out;
  };
  for (const n of numbers) {
    const p = store.packet(n);
    if (!p) continue;
    const part = { p, comments: comments(p) };
    parts.push(part);
    size +=
      format === 'pcapng'
        ? pcapng.enhancedPacketSize(p.data.length, p.direction, undefined, part.comments)
        : pcap.recordSize(p.data.length);
    if (size >= CHUNK_BYTES) yield flush();
  }
  if (parts.length > 0) yield flush();
}

export function fileHeader(store: PacketStore, format: FileFormat, comment?: string): Uint8Array {
  if (format === 'pcapng') return pcapngHeader(store, comment);
  const snaplen = Math.max(65535, ...store.interfaces.map((i) => i.snaplen));
  return pcap.encodeFileHeader({ linkType: pcapLinkType(store), snaplen, nanosecond: false });
}

/** Capture files hold secrets (tokens, cookies, DNS names): only their owner may read them. */
const PRIVATE_FILE_MODE = 0o600;

export interface WriteOptions {
  /** Create the file, never open an existing one or follow a symlink (O_CREAT | O_EXCL). */
  exclusive?: boolean;
  /** Gets the fraction done. */
  progress?: (fraction: number) => void;
  /** The packets to write, by number, in order (Export Specified Packets); every packet held when absent. */
  numbers?: ArrayLike<number> & Iterable<number>;
  /** pcapng only: comments and decryption secrets (PcapngExtras). */
  extras?: PcapngExtras;
}

/** Opens `file` for writing, readable by its owner only, also when it already existed. */
async function openPrivately(file: string, exclusive: boolean): Promise<fs.promises.FileHandle> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(file, exclusive ? 'wx' : 'w', PRIVATE_FILE_MODE);
    await handle.chmod(PRIVATE_FILE_MODE); // an existing file overwritten keeps its old mode otherwise
    return handle;
  } catch (e) {
    await handle?.close();
    throw new CaptureWriteError(`cannot write ${file}: ${(e as Error).message}`);
  }
}

/** Writes the packets held (all, or those of `numbers`) to `file` (mode 0600); returns how many it wrote. */
export async function writeCaptureFile(
  store: PacketStore,
  file: string,
  format: FileFormat,
  options: WriteOptions = {},
): Promise<number> {
  return writeCaptureTo(store, await openPrivately(file, options.exclusive ?? false), file, format, options);
}

/** Writes the packets held (as writeCaptureFile) to an open file, `name`, which it closes. */
export async function writeCaptureTo(
  store: PacketStore,
  handle: fs.promises.FileHandle,
  name: string,
  format: FileFormat,
  { progress = () => {}, numbers, extras }: Omit<WriteOptions, 'exclusive'> = {},
): Promise<number> {
  const header = fileHeader(store, format, extras?.sectionComment);
  const total = numbers?.length ?? store.held;
  let count = 0;
  // Counted as the encoder takes each number: a packet evicted meanwhile (a live capture) is skipped, not counted.
  const held = function* (): Generator<number> {
    for (const n of numbers ?? numberRange(store.firstNumber, store.lastNumber)) {
      if (n < store.firstNumber || n > store.lastNumber) continue;
      count++;
      yield n;
    }
  };
  const out = fs.createWriteStream(name, { fd: handle });
  const failed = new Promise<never>((_, reject) =>
    out.once('error', (e) => reject(new CaptureWriteError(`cannot write ${name}: ${e.message}`))),
  );
  const write = (bytes: Uint8Array) =>
    Promise.race([failed, new Promise<void>((resolve) => (out.write(bytes) ? resolve() : out.once('drain', resolve)))]);
  await write(header);
  if (format === 'pcapng') for (const block of extras?.leadingBlocks?.() ?? []) await write(block);
  for (const chunk of encodeNumbers(store, format, held(), extras)) {
    await write(chunk);
    progress(Math.min(1, count / Math.max(1, total)));
  }
  await Promise.race([failed, new Promise<void>((resolve) => out.end(resolve))]);
  return count;
}
