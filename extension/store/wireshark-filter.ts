// A display filter our decoders cannot evaluate (a field or protocol they do not know), judged by
// Wireshark's tshark over the packets the store holds. A live capture's packets are written to
// tshark as a pcapng stream (`tshark -i -`: one pass, the same frames `tshark -r FILE -Y`
// matches), and so are those it adds later, until it stops; a stopped capture's are written into a
// private FIFO that tshark reads (`tshark -r`). The matches come back as they are found and
// become the view's rows.

import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DecodeAsRule } from '../../packet/decode-as.js';
import { TsharkMatches } from '../../packet/tshark-filter.js';
import { encodePackets, interfaceBlocks, pcapngHeader, writeCaptureTo } from '../capture/capture-writer.js';
import type { PacketStore } from './packet-store.js';
import type { WiresharkFilterStart } from './packet-view.js';

/** Where tshark is, a private folder (for the FIFO a stopped capture's packets go through, and
 *  the temporary file tshark's dumpcap writes from a stream), and the Decode As rules it is given. */
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

/**
 * tshark's judging of `expression`, a filter Wireshark accepts, over the store's packets: a stopped
 * capture's packets through a FIFO, a live capture's as a stream that takes the packets it adds.
 */
export function wiresharkJudging(store: PacketStore, place: TsharkPlace, expression: string): WiresharkFilterStart {
  return (onMatches, onEnd, complete) =>
    complete
      ? new WiresharkFileFilterRun(store, place, expression, onMatches, onEnd)
      : new WiresharkFilterRun(store, place, expression, onMatches, onEnd);
}

/** wiresharkJudging, once tshark accepted `expression` (else its refusal, as checkWithTshark throws it). */
export async function startWiresharkFilter(
  store: PacketStore,
  place: TsharkPlace,
  expression: string,
): Promise<WiresharkFilterStart> {
  await checkWithTshark(place, expression);
  return wiresharkJudging(store, place, expression);
}

/** A pcapng section with one Ethernet interface and no packet: enough for tshark to start. */
const EMPTY_PCAPNG = pcapngHeader({ interfaces: [{ linkType: 1, snaplen: 65535, name: 'check' }], secrets: [] });

/** What the view asks of tshark's judging (a stream for a live capture, a file for a stopped one). */
export interface WiresharkJudging {
  /** True until tshark has judged every packet it was given and its input has ended. */
  readonly running: boolean;
  /** True while packets wait to be given to tshark. */
  readonly behind: boolean;
  /** The share of the packets held given to tshark (0–1), when there is an end to give. */
  readonly progress?: number;
  /** Gives tshark what the store holds beyond what it was given. */
  feed(): void;
  /** No more packets will come. */
  endInput(): void;
  stop(): void;
}

/**
 * Reads tshark's matches in batches until it ends, or until `finished` says the judging was
 * stopped; `numberOf` turns a frame into a store number. Resolves with tshark's error, if any.
 */
async function collectMatches(
  matches: TsharkMatches,
  numberOf: (frame: number) => number,
  onMatches: (numbers: Uint32Array) => void,
  finished: () => boolean,
): Promise<Error | undefined> {
  let batch: number[] = [];
  const flush = () => {
    if (batch.length === 0) return;
    onMatches(Uint32Array.from(batch));
    batch = [];
  };
  try {
    for (let frame = await matches.next(); frame !== undefined; frame = await matches.next()) {
      if (finished()) return undefined;
      batch.push(numberOf(frame));
      if (batch.length >= BATCH || !matches.hasQueued) flush();
    }
    flush();
    return undefined;
  } catch (e) {
    flush();
    return e as Error;
  }
}

/**
 * A stopped capture's packets judged by tshark reading them from a private FIFO (`tshark -r`: it
 * reads a file several times faster than a stream through dumpcap, and a FIFO lets it start while
 * the packets are still being written, so the first matches come as soon as it is up).
 */
export class WiresharkFileFilterRun implements WiresharkJudging {
  private matches?: TsharkMatches;
  private finished = false;
  readonly behind = false;
  /** The share of the packets written into the FIFO: tshark is at most a pipe's buffer behind. */
  progress = 0;
  /** Resolves once tshark and the writer are done and the FIFO is gone, stopped or not. */
  readonly settled: Promise<void>;

  constructor(
    store: PacketStore,
    place: TsharkPlace,
    expression: string,
    onMatches: (numbers: Uint32Array) => void,
    onEnd: (error?: Error) => void,
  ) {
    this.settled = this.run(store, place, expression, onMatches).then((error) => {
      if (this.finished) return;
      this.finished = true;
      onEnd(error);
    });
  }

  get running(): boolean {
    return !this.finished;
  }

  feed(): void {} // the store of a stopped capture does not change
  endInput(): void {}

  stop(): void {
    this.finished = true;
    this.matches?.stop();
  }

  private async run(
    store: PacketStore,
    place: TsharkPlace,
    expression: string,
    onMatches: (numbers: Uint32Array) => void,
  ): Promise<Error | undefined> {
    const fifo = path.join(place.tmpdir, `filter-${randomUUID()}.pcapng`);
    const first = store.firstNumber;
    try {
      await makeFifo(fifo);
      if (this.finished) return undefined;
      const matches = new TsharkMatches(place.tshark, { file: fifo }, expression, place.decodeAs);
      this.matches = matches;
      const written = writeForTshark(store, fifo, matches, (share) => {
        this.progress = share;
      }).then(
        () => undefined,
        (e: Error) => e,
      );
      const error = await collectMatches(
        matches,
        (frame) => first + frame - 1,
        onMatches,
        () => this.finished,
      );
      const writeError = await written;
      await matches.exited;
      // tshark's own message says more than the broken pipe it leaves the writer with.
      return error ?? writeError;
    } catch (e) {
      return e as Error;
    } finally {
      fs.rmSync(fifo, { force: true });
    }
  }
}

/** A FIFO only its owner may open (Node has no mkfifo of its own). */
function makeFifo(file: string): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile('mkfifo', ['-m', '600', '--', file], (error, _stdout, stderr) =>
      error ? reject(new Error(`cannot make a FIFO for tshark: ${stderr.trim() || error.message}`)) : resolve(),
    ),
  );
}

/**
 * Writes the store's packets into the FIFO tshark reads. Opening it waits for tshark to open the
 * other end; when tshark ends first (it refused the filter, or was stopped), opening the FIFO for
 * reading here releases that wait, and the writes then fail at once instead of blocking.
 */
async function writeForTshark(
  store: PacketStore,
  fifo: string,
  tshark: TsharkMatches,
  progress: (share: number) => void,
): Promise<void> {
  void tshark.exited.then(() =>
    fs.promises.open(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK).then(
      (reader) => reader.close(),
      () => {}, // removed already: the writer was done
    ),
  );
  const handle = await fs.promises.open(fifo, fs.constants.O_WRONLY);
  await writeCaptureTo(store, handle, fifo, 'pcapng', { progress });
}

/** A live capture's packets streamed to tshark as they come (`tshark -i -`). */
export class WiresharkFilterRun implements WiresharkJudging {
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
    const error = await collectMatches(
      this.matches,
      (frame) => this.numberOf(frame),
      this.onMatches,
      () => this.finished,
    );
    if (!this.finished) this.end(error);
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
