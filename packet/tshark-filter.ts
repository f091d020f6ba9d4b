// Display filters our decoders cannot evaluate (a field or protocol they do not know: `mqtt`,
// `pgsql.query contains "users"`), judged by Wireshark's tshark over a capture file, FIFO or stream: the
// numbers of the frames that match, in order, as tshark finds them (`-l`: a line per match, at
// once). tshark is a separate program reached over a pipe; its output is untrusted input: a line
// that is not a frame number greater than the one before ends the reading with an error.
// Node only.
import { type ChildProcess, spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { type DecodeAsRule, tsharkDecodeAsArgs } from './decode-as.js';

/** tshark's stderr kept for its message, at most. */
const MAX_STDERR = 64 * 1024;
/** tshark's packet list reduced to the frame number (preferences given on its command line win). */
const NUMBER_COLUMN = 'gui.column.format:"No.","%m"';
/** A line of tshark's stdout longer than this is not a frame number. */
const MAX_LINE = 32;
/** What tshark says of itself when run as root: not part of any message. */
const ROOT_WARNING = /^Running as user "root" and group "root"\. This could be dangerous\.$/;

export class TsharkMissingError extends Error {}

/** tshark ended with an error: its own message, and its exit status (2: the filter is bad). */
export class TsharkError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

/** What tshark reads: a capture file (or a FIFO someone writes one into), or a pcap/pcapng stream
 *  written to `stdin`. */
export type TsharkInput = { file: string } | { stream: true; tmpdir: string };

/** The frames of `input` that `expression` matches, as tshark judges them. */
export class TsharkMatches {
  private readonly child: ChildProcess;
  private readonly queue: number[] = [];
  private head = 0;
  private last = 0;
  private partial = '';
  private stderr = '';
  private ended = false;
  private failure?: Error;
  private wake: () => void = () => {};
  /** Resolves once tshark has exited (or could not start). */
  readonly exited: Promise<void>;

  /**
   * Starts `tshark -r FILE -Y EXPRESSION`, or for a stream `tshark -i - -Y EXPRESSION` (tshark
   * refuses `-r -` on a pipe; as `-i -` it reads the stream through dumpcap, whose temporary file
   * goes into `tmpdir`), with the Decode As rules (`-d`). `tshark` is its path or its name on PATH.
   */
  constructor(tshark: string, input: TsharkInput, expression: string, decodeAs: readonly DecodeAsRule[] = []) {
    // -n: no name lookups (nothing leaves the machine); -l: each match flushed as it is found.
    const source = 'file' in input ? ['-r', input.file] : ['-i', '-'];
    // The packet list with one column, the frame number: several times faster than `-T fields`,
    // which builds every packet's whole tree.
    const args = ['-n', '-l', ...tsharkDecodeAsArgs(decodeAs), ...source, '-Y', expression, '-o', NUMBER_COLUMN];
    this.child = spawn(tshark, args, {
      stdio: ['file' in input ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: 'file' in input ? process.env : { ...process.env, TMPDIR: input.tmpdir },
    });
    this.exited = new Promise((resolve) => {
      this.child.once('close', () => resolve());
      this.child.once('error', () => resolve());
    });
    this.child.stdout!.setEncoding('latin1').on('data', (text: string) => this.onStdout(text));
    this.child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      if (this.stderr.length < MAX_STDERR) this.stderr += text.slice(0, MAX_STDERR - this.stderr.length);
    });
    this.child.once('error', (e: NodeJS.ErrnoException) =>
      this.end(
        e.code === 'ENOENT'
          ? new TsharkMissingError(`Wireshark's tshark was not found (${tshark})`)
          : new Error(`tshark could not run: ${e.message}`),
      ),
    );
    this.child.once('close', (code, signal) => this.end(code === 0 ? undefined : this.exitError(code, signal)));
  }

  /**
   * The next matching frame number; undefined once tshark is done. Throws tshark's own message
   * when it refused the expression or failed.
   */
  async next(): Promise<number | undefined> {
    for (;;) {
      if (this.head < this.queue.length) {
        const n = this.queue[this.head++]!;
        if (this.head > 4096) {
          this.queue.splice(0, this.head);
          this.head = 0;
        }
        return n;
      }
      if (this.ended) {
        if (this.failure) throw this.failure;
        return undefined;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  /** True when next() has a match at hand (it resolves without waiting for tshark). */
  get hasQueued(): boolean {
    return this.head < this.queue.length;
  }

  /** The stream's way in (a TsharkInput with `stream`). */
  get stdin(): Writable | null {
    return this.child.stdin;
  }

  /** Stops tshark (the reader went away, or the input ended early). */
  stop(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
  }

  private onStdout(text: string): void {
    if (this.ended) return; // refused: the rest is not read
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    if (this.partial.length > MAX_LINE) {
      this.refuse(`a line of ${this.partial.length}+ characters`);
      return;
    }
    for (const line of lines) {
      const n = /^ *\d{1,15}$/.test(line) ? Number(line) : Number.NaN; // right-aligned
      if (!(n > this.last)) {
        this.refuse(JSON.stringify(line.slice(0, MAX_LINE)));
        return;
      }
      this.last = n;
      this.queue.push(n);
    }
    this.wake();
  }

  private refuse(what: string): void {
    this.stop();
    this.end(new Error(`tshark printed ${what} where a frame number greater than ${this.last} belongs`));
  }

  private end(failure: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = failure;
    this.wake();
  }

  /** tshark's message ("tshark: mqttx is neither a field nor a protocol name."): its "tshark: "
   *  lines, else whatever it said but its warning about root. */
  private exitError(code: number | null, signal: NodeJS.Signals | null): TsharkError {
    const lines = this.stderr
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !ROOT_WARNING.test(l));
    const own = lines.filter((l) => l.startsWith('tshark: '));
    const message = (own.length > 0 ? own : lines).join(' ');
    return new TsharkError(message || `tshark exited ${code ?? signal}`, code);
  }
}
