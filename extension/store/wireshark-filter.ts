// A display filter our decoders cannot evaluate (a field or protocol they do not know), judged by
// Wireshark's tshark over the packets the store holds: they are written to tshark as a pcapng
// stream (`tshark -i -`: one pass, the same frames `tshark -r FILE -Y` matches), and so are the
// packets a live capture adds later; the matches stream back as they are found and become the
// view's rows. The stream ends when the capture has stopped (or at once for a stopped one), and
// tshark then finishes.
import { once } from 'node:events';
import type { DecodeAsRule } from '../../packet/decode-as.js';
import { TsharkMatches } from '../../packet/tshark-filter.js';
import { encodePackets, interfaceBlocks, pcapngHeader } from '../capture/capture-writer.js';
import type { PacketStore } from './packet-store.js';

/** Where tshark is, a private folder for the temporary file its dumpcap writes, and the Decode As
 *  rules it is given. */
export interface TsharkPlace {
  tshark: string;
  tmpdir: string;
  decodeAs?: readonly DecodeAsRule[];
}

/** Matches handed to the view at most this many at a time. */
const BATCH = 4096;

/**
 * Throws tshark's own message when it refuses `expression` (or TsharkMissingError): asked before
 * a filter replaces the one shown, so a refused filter keeps the rows as they were.
 */
export async function checkWithTshark(place: TsharkPlace, expression: string): Promise<void> {
  const matches = new TsharkMatches(place.tshark, { stream: true, tmpdir: place.tmpdir }, expression, place.decodeAs);
  matches.stdin?.on('error', () => {}); // tshark may refuse the filter before reading anything
  matches.stdin?.end(EMPTY_PCAPNG);
  while ((await matches.next()) !== undefined);
}

/** A pcapng section with one Ethernet interface and no packet: enough for tshark to start. */
const EMPTY_PCAPNG = pcapngHeader({ interfaces: [{ linkType: 1, snaplen: 65535, name: 'check' }], secrets: [] });

export class WiresharkFilterRun {
  private readonly matches: TsharkMatches;
  /** tshark numbers the frames it is given 1, 2, …; packets evicted before they were written leave
   *  gaps in the store's numbers: each run of frames, its first frame and that frame's number. */
  private readonly runs: { frame: number; number: number }[] = [];
  private framesFed = 0;
  /** The last packet written to tshark, and the store's interfaces it knows. */
  private fedUpTo: number;
  private interfacesFed: number;
  private inputEnded = false;
  private draining = false;
  private finished = false;
  /** The highest store number tshark matched so far. */
  lastMatch = 0;

  constructor(
    private readonly store: PacketStore,
    place: TsharkPlace,
    expression: string,
    private readonly onMatches: (numbers: Uint32Array) => void,
    private readonly onEnd: (error?: Error) => void,
  ) {
    this.matches = new TsharkMatches(place.tshark, { stream: true, tmpdir: place.tmpdir }, expression, place.decodeAs);
    this.matches.stdin!.on('error', () => {}); // tshark gone: its exit says why
    this.fedUpTo = store.firstNumber - 1;
    this.interfacesFed = store.interfaces.length;
    this.matches.stdin!.write(pcapngHeader(store));
    void this.collect();
    this.feed();
  }

  /** True until tshark has judged every packet written to it and the input has ended. */
  get running(): boolean {
    return !this.finished;
  }

  /** True while packets wait to be written, or written ones wait in the pipe. */
  get behind(): boolean {
    return this.fedUpTo < this.store.lastNumber || (this.matches.stdin?.writableLength ?? 0) > 0;
  }

  /** Writes what the store holds beyond what tshark was given (as the pipe takes it). */
  feed(): void {
    if (this.inputEnded || this.draining || this.finished) return;
    const stdin = this.matches.stdin!;
    const last = this.store.lastNumber;
    if (this.fedUpTo >= last) return;
    // Interfaces a live capture added (a pod joining): described before their first packet.
    if (this.store.interfaces.length > this.interfacesFed) {
      for (const block of interfaceBlocks(this.store, this.interfacesFed)) stdin.write(block);
      this.interfacesFed = this.store.interfaces.length;
    }
    const from = Math.max(this.fedUpTo + 1, this.store.firstNumber);
    if (from !== this.fedUpTo + 1 || this.runs.length === 0)
      this.runs.push({ frame: this.framesFed + 1, number: from });
    let full = false;
    for (const chunk of encodePackets(this.store, 'pcapng', from, last)) full = !stdin.write(chunk) || full;
    this.framesFed += last - from + 1;
    this.fedUpTo = last;
    if (full) {
      this.draining = true;
      void once(stdin, 'drain').then(() => {
        this.draining = false;
        this.feed();
      });
    }
  }

  /** No more packets will come (the capture stopped): tshark finishes with what it was given. */
  endInput(): void {
    if (this.inputEnded) return;
    this.feed();
    this.inputEnded = true;
    this.matches.stdin!.end();
  }

  stop(): void {
    this.inputEnded = true;
    this.finished = true;
    this.matches.stop();
  }

  private async collect(): Promise<void> {
    let batch: number[] = [];
    const flush = () => {
      if (batch.length === 0) return;
      this.onMatches(Uint32Array.from(batch));
      batch = [];
    };
    try {
      for (let frame = await this.matches.next(); frame !== undefined; frame = await this.matches.next()) {
        if (this.finished) return;
        this.lastMatch = this.numberOf(frame);
        batch.push(this.lastMatch);
        if (batch.length >= BATCH || !this.matches.hasQueued) flush();
      }
      flush();
      if (!this.finished) this.end();
    } catch (e) {
      flush();
      if (!this.finished) this.end(e as Error);
    }
  }

  /** The store number of tshark's frame `frame`. */
  private numberOf(frame: number): number {
    let i = this.runs.length - 1;
    while (i > 0 && this.runs[i]!.frame > frame) i--;
    const run = this.runs[i]!;
    return run.number + (frame - run.frame);
  }

  private end(error?: Error): void {
    this.finished = true;
    this.onEnd(error);
  }
}
