// A streaming reader for pcap and pcapng: feed it chunks as they arrive (a file, an SSH exec's
// stdout, a TCP stream) and it returns the packets completed by each chunk.
//
// Malformed input never throws: problems become notes in `errors` (with the stream offset), a
// bad but well-framed block is skipped, and a framing error stops the reader (`stopped`), as
// Wireshark stops there too. Memory is bounded by the largest block accepted (MAX_BLOCK_SIZE
// for pcapng, the link type's maximum for pcap), never by the stream.
//
// Packet bytes are not copied: `data` is a view into the chunk that was pushed, or into a
// per-block array when a block straddled chunks. Do not reuse a pushed chunk's memory while its
// packets are in use.

import type { Direction } from './capture-abi.js';
import { isPcapMagic, MAX_CAPTURED_LENGTH, PCAP, PcapDecoder } from './pcap.js';
import { BLOCK, type DecryptionSecrets, MAX_BLOCK_SIZE, PcapngDecoder } from './pcapng.js';

export interface CapturedPacket {
  /** Index into CaptureFileReader.interfaces, numbered across sections (pcap: always 0). */
  interfaceId: number;
  linkType: number;
  /**
   * Nanoseconds since 1970-01-01 UTC, with if_tsoffset applied; finer resolutions are
   * truncated. BigInt because ns since the epoch exceeds 2^53. Undefined only for a pcapng
   * Simple Packet Block, which carries no timestamp.
   */
  timestampNs: bigint | undefined;
  capturedLength: number;
  /** Length on the wire; may exceed capturedLength. */
  originalLength: number;
  data: Uint8Array;
  /** From epb_flags / pack_flags; undefined when the file does not say. */
  direction: Direction | undefined;
  /** epb_dropcount, or the obsolete Packet Block's drops count: packets lost before this one. */
  dropCount: bigint | undefined;
  /** pcapng opt_comment options of the packet (its process among them: packet/process-comment.ts),
   *  at most MAX_PACKET_COMMENTS; undefined when it has none. Every reader sets it, so that every
   *  packet object has one shape. */
  comments: string[] | undefined;
  /** Stream offset of the block or record. */
  offset: number;
}

/** The last Interface Statistics Block seen for an interface; times in ns like packets. */
export interface InterfaceStatistics {
  timestampNs: bigint;
  startTimeNs?: bigint;
  endTimeNs?: bigint;
  ifRecv?: bigint;
  ifDrop?: bigint;
  filterAccept?: bigint;
  osDrop?: bigint;
  usrDeliv?: bigint;
}

export interface CaptureInterface {
  /** Index in CaptureFileReader.interfaces. */
  id: number;
  /** Index in CaptureFileReader.sections. */
  section: number;
  /** The interface's number within its section, as blocks in the file refer to it. */
  sectionInterfaceId: number;
  linkType: number;
  /** 0: no limit. */
  snaplen: number;
  name?: string;
  description?: string;
  /** if_filter in string form. */
  filter?: string;
  os?: string;
  hardware?: string;
  /** Raw if_tsresol (bit 7 set: negative power of 2, else of 10); pcap: 6 or 9. */
  tsresol: number;
  /** if_tsoffset in seconds. */
  tsoffset?: number;
  /** FCS length in bits (pcapng if_fcslen; pcap link-type field's FCS bits). */
  fcsBits?: number;
  statistics: InterfaceStatistics | undefined;
}

export interface CaptureSection {
  offset: number;
  littleEndian: boolean;
  majorVersion: number;
  minorVersion: number;
  hardware?: string;
  os?: string;
  userAppl?: string;
  comment?: string;
}

export type CaptureFormat = 'pcap' | 'pcapng';

/**
 * What a format decoder's step returns, given `avail` bytes at `off`: n > 0, it consumed n bytes
 * (a whole header, block or record); n < 0, it needs at least −n bytes (more than `avail`) to
 * decide anything; 0, it stopped for good after noting why.
 */
export type StepResult = number;

/** Where decoders put what they find; owned by CaptureFileReader. */
export interface DecoderSink {
  packets: CapturedPacket[];
  interfaces: CaptureInterface[];
  sections: CaptureSection[];
  /** pcapng Decryption Secrets Blocks (TLS key logs), in stream order. */
  secrets: DecryptionSecrets[];
  note(offset: number, message: string): void;
}

/** The largest unit either decoder may ask for (a 128 MiB D-Bus or USB pcap record). */
const MAX_UNIT = Math.max(MAX_BLOCK_SIZE, MAX_CAPTURED_LENGTH + PCAP.modifiedRecord.size);

/** Notes beyond this many are counted, not kept: a hostile stream must not grow memory. */
const MAX_NOTES = 200;

export class CaptureFileReader {
  readonly interfaces: CaptureInterface[] = [];
  /** pcapng: one per Section Header Block; pcap: one for the file header. */
  readonly sections: CaptureSection[] = [];
  /** pcapng: the Decryption Secrets Blocks, kept so that a file saved again decrypts as this one did. */
  readonly secrets: DecryptionSecrets[] = [];
  /** Notes about malformed input, each starting with its stream offset; at most ~200 kept. */
  readonly errors: string[] = [];
  /** The first problem met, where it is in the stream: the damage a user is told about. */
  firstProblem: { offset: number; message: string } | undefined;

  private _format: CaptureFormat | undefined;
  private _stopped = false;
  private bytesIn = 0;
  private decoder: PcapngDecoder | PcapDecoder | undefined;
  private readonly sink: DecoderSink;
  private suppressedNotes = 0;
  /** Bytes of an incomplete unit (header or block) carried between chunks. */
  private carry: Uint8Array | undefined;
  private carryLen = 0;
  /** Bytes the decoder needs in `carry` before it can make progress. */
  private carryNeed = 0;
  /** Stream offset of carry[0], or of the next unparsed byte when there is no carry. */
  private parsed = 0;

  constructor() {
    this.sink = {
      packets: [],
      interfaces: this.interfaces,
      sections: this.sections,
      secrets: this.secrets,
      note: (offset, message) => this.note(offset, message),
    };
  }

  /** Known once the first 4 bytes are in. */
  get format(): CaptureFormat | undefined {
    return this._format;
  }

  /** True once a framing error (or end()) ended decoding; later input is ignored. */
  get stopped(): boolean {
    return this._stopped;
  }

  /** Decodes what `chunk` completes; returns the packets, in stream order. */
  push(chunk: Uint8Array): CapturedPacket[] {
    const out: CapturedPacket[] = [];
    this.bytesIn += chunk.length;
    if (this.stopped) return out;
    this.sink.packets = out;
    let pos = 0;
    while (!this.stopped) {
      if (this.carry !== undefined) {
        const take = Math.min(this.carryNeed - this.carryLen, chunk.length - pos);
        this.carry.set(chunk.subarray(pos, pos + take), this.carryLen);
        this.carryLen += take;
        pos += take;
        if (this.carryLen < this.carryNeed) break;
        const carry = this.carry;
        const r = this.step(carry, 0, this.carryLen, this.parsed);
        if (r < 0) {
          this.carryNeed = -r;
          const grown = new Uint8Array(this.carryNeed);
          grown.set(carry.subarray(0, this.carryLen));
          this.carry = grown;
          continue;
        }
        if (r === 0) break;
        // Packets may point into `carry`, so the next straddling unit gets a fresh array.
        this.carry = undefined;
        this.parsed += r;
        if (r < this.carryLen) this.startCarry(carry.subarray(r, this.carryLen), this.carryLen - r);
        continue;
      }
      if (pos >= chunk.length) break;
      const r = this.step(chunk, pos, chunk.length - pos, this.parsed);
      if (r > 0) {
        pos += r;
        this.parsed += r;
      } else if (r < 0) {
        this.startCarry(chunk.subarray(pos), -r);
        pos = chunk.length;
      } else {
        break;
      }
    }
    this.sink.packets = [];
    return out;
  }

  /** Marks the end of the stream; notes a unit cut short. Always returns no packets. */
  end(): CapturedPacket[] {
    if (!this.stopped) {
      if (this.carry !== undefined) {
        const unit =
          this.format === 'pcapng'
            ? 'a pcapng block'
            : this.format === 'pcap'
              ? 'a pcap header or record'
              : 'the format magic';
        this.note(this.parsed, `stream ends inside ${unit}: have ${this.carryLen} of ${this.carryNeed} bytes`);
      } else if (this.bytesIn === 0) {
        this.note(0, 'empty stream');
      }
      this._stopped = true;
    }
    this.carry = undefined;
    return [];
  }

  private startCarry(bytes: Uint8Array, need: number): void {
    this.carry = new Uint8Array(Math.max(need, bytes.length));
    this.carry.set(bytes);
    this.carryLen = bytes.length;
    this.carryNeed = need;
  }

  private step(buf: Uint8Array, off: number, avail: number, streamOffset: number): StepResult {
    if (this.decoder === undefined) {
      if (avail < 4) return -4;
      const head = buf.subarray(off, off + 4);
      const view = new DataView(head.buffer, head.byteOffset, 4);
      if (view.getUint32(0, true) === BLOCK.shb.type) {
        this._format = 'pcapng';
        this.decoder = new PcapngDecoder(this.sink);
      } else if (isPcapMagic(head)) {
        this._format = 'pcap';
        this.decoder = new PcapDecoder(this.sink);
      } else {
        const bytes = Array.from(head, (b) => b.toString(16).padStart(2, '0')).join(' ');
        this.stop(streamOffset, `not a pcap or pcapng stream (starts ${bytes})`);
        return 0;
      }
    }
    let r: StepResult;
    try {
      r = this.decoder.step(buf, off, avail, streamOffset);
    } catch (e) {
      // A decoder bug must not take the caller down with it.
      this.stop(streamOffset, `internal decoder error: ${e instanceof Error ? e.message : String(e)}`);
      return 0;
    }
    if (r === 0) {
      this._stopped = true;
    } else if (r < 0 && (-r <= avail || -r > MAX_UNIT)) {
      // Guards the loop in push(): asking for bytes already there would never end.
      this.stop(streamOffset, `internal decoder error: asked for ${-r} bytes with ${avail} available`);
      return 0;
    } else if (r > avail) {
      this.stop(streamOffset, `internal decoder error: consumed ${r} of ${avail} bytes`);
      return 0;
    }
    return r;
  }

  private stop(offset: number, message: string): void {
    this.note(offset, message);
    this._stopped = true;
  }

  private note(offset: number, message: string): void {
    this.firstProblem ??= { offset, message };
    if (this.errors.length < MAX_NOTES) {
      this.errors.push(`offset ${offset}: ${message}`);
    } else if (this.suppressedNotes++ === 0) {
      this.errors.push(`(further notes suppressed)`);
    }
  }
}

/** Reads a whole capture held in memory. */
export function readCaptureFile(bytes: Uint8Array): { reader: CaptureFileReader; packets: CapturedPacket[] } {
  const reader = new CaptureFileReader();
  const packets = reader.push(bytes);
  reader.end();
  return { reader, packets };
}
