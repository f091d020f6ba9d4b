// A client of Wireshark's `sharkd -`: JSON-RPC 2.0, one JSON message a line, on the process's stdin
// and stdout. One warm process serves every request, one request at a time. Its output is untrusted
// input (a dissector bug, a hostile capture): every line is size-capped and parsed defensively, and
// every request has a time bound. A sharkd that crashes, stalls or talks too much is killed; the
// next request starts a new one. sharkd grows by about 11 MB per `load` and slows down as it does,
// so the process is replaced after a few dozen loads. No VS Code here: the unit tests drive the
// real sharkd.
import { type ChildProcess, spawn } from 'node:child_process';

/** Longest line read from sharkd: more than any one packet's tree with its bytes. */
export const MAX_LINE_BYTES = 16 << 20;
/** Loads before the process is replaced (its per-load leak: about 11 MB, and slower answers). */
export const LOADS_PER_PROCESS = 30;
/** Longest wait for one answer: a small capture's `load` and one `frame` take milliseconds. */
export const REQUEST_TIMEOUT_MS = 5000;

export interface SharkdOptions {
  /** The sharkd executable. */
  command: string;
  requestTimeoutMs?: number;
  loadsPerProcess?: number;
  maxLineBytes?: number;
  /** Variables added to sharkd's environment (WIRESHARK_CONFIG_DIR: its configuration folder). */
  env?: Readonly<Record<string, string>>;
}

/** sharkd could not answer (absent, crashed, stalled, answered nonsense): the caller goes without. */
export class SharkdUnavailableError extends Error {
  constructor(
    message: string,
    /** The executable does not exist (or cannot be run) at all. */
    readonly missing = false,
  ) {
    super(message);
    this.name = 'SharkdUnavailableError';
  }
}

/** sharkd answered with a JSON-RPC error (a file it cannot read, a frame out of range). */
export class SharkdRequestError extends Error {
  constructor(
    message: string,
    readonly code: number | undefined,
  ) {
    super(message);
    this.name = 'SharkdRequestError';
  }
}

interface Pending {
  id: number;
  resolve(result: unknown): void;
  reject(error: Error): void;
}

/** Tail of sharkd's stderr kept for the messages that say why it stopped. */
const STDERR_TAIL = 2048;

/** One spawned `sharkd -`: requests answered in order, each matched by its id. */
class SharkdProcess {
  private readonly child: ChildProcess;
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private pending?: Pending;
  private nextId = 1;
  private stderr = '';
  /** Why the process is no longer usable; undefined while it is. */
  dead?: SharkdUnavailableError;
  readonly exited: Promise<void>;

  constructor(
    command: string,
    private readonly maxLineBytes: number,
    env?: Readonly<Record<string, string>>,
  ) {
    // Its own process group is not needed: sharkd runs as one process in its stdin mode.
    this.child = spawn(command, ['-'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(env ? { env: { ...process.env, ...env } } : {}),
    });
    this.exited = new Promise((resolve) => this.child.once('close', () => resolve()));
    this.child.once('error', (e: NodeJS.ErrnoException) => {
      const missing = e.code === 'ENOENT' || e.code === 'EACCES';
      this.fail(new SharkdUnavailableError(`sharkd could not start (${command}): ${e.message}`, missing));
    });
    this.child.once('exit', (code, signal) =>
      this.fail(new SharkdUnavailableError(`sharkd stopped (${signal ?? `exit ${code}`})${this.stderrTail()}`)),
    );
    this.child.stdin?.on('error', () => {}); // a closed pipe shows as the exit above
    this.child.stdout?.on('data', (chunk: Buffer) => this.read(chunk));
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
  }

  private stderrTail(): string {
    const last = this.stderr.trim().split('\n').at(-1);
    return last ? `: ${last}` : '';
  }

  /** Sends one request; resolves with its `result`, rejects with its `error` or the process's end. */
  request(method: string, params: Record<string, unknown> | undefined, timeoutMs: number): Promise<unknown> {
    if (this.dead) return Promise.reject(this.dead);
    // One at a time: an answer is matched to the one request waiting (SharkdClient serializes).
    if (this.pending) return Promise.reject(new Error('sharkd is already answering a request'));
    const id = this.nextId++;
    const message = JSON.stringify({ jsonrpc: '2.0', id, method, ...(params ? { params } : {}) });
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(new SharkdUnavailableError(`sharkd did not answer "${method}" within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const done = () => {
        clearTimeout(timer);
        this.pending = undefined;
      };
      this.pending = {
        id,
        resolve: (r) => {
          done();
          resolve(r);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      };
      this.child.stdin?.write(`${message}\n`);
    });
  }

  /** Collects stdout into lines; a line longer than the cap ends the process. */
  private read(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      if (!this.take(chunk.subarray(start, nl))) return;
      this.line(Buffer.concat(this.buffered, this.bufferedBytes));
      this.buffered = [];
      this.bufferedBytes = 0;
      start = nl + 1;
    }
    if (start < chunk.length) this.take(chunk.subarray(start));
  }

  /** Adds part of a line; false (and the process killed) when the line outgrows the cap. */
  private take(part: Buffer): boolean {
    if (this.dead) return false;
    this.bufferedBytes += part.length;
    if (this.bufferedBytes > this.maxLineBytes) {
      this.fail(new SharkdUnavailableError(`sharkd sent a line longer than ${this.maxLineBytes} bytes`));
      return false;
    }
    this.buffered.push(part);
    return true;
  }

  /** One line: the answer to the pending request, or ignored (not JSON, another id, a notification). */
  private line(bytes: Buffer): void {
    let message: unknown;
    try {
      message = JSON.parse(bytes.toString('utf8'));
    } catch {
      return;
    }
    const pending = this.pending;
    if (!pending || typeof message !== 'object' || message === null) return;
    const m = message as { id?: unknown; result?: unknown; error?: unknown };
    if (m.id !== pending.id) return;
    if (m.error !== undefined) {
      const e = (typeof m.error === 'object' && m.error !== null ? m.error : {}) as {
        message?: unknown;
        code?: unknown;
      };
      const text = typeof e.message === 'string' ? e.message.slice(0, 500) : 'sharkd refused the request';
      pending.reject(new SharkdRequestError(text, typeof e.code === 'number' ? e.code : undefined));
    } else pending.resolve(m.result);
  }

  /** The process is unusable: kill it and fail the request waiting on it. */
  fail(why: SharkdUnavailableError): void {
    if (!this.dead) this.dead = why;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    this.pending?.reject(this.dead);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Asks sharkd to end (`bye`), and kills it if it does not within the bound; a request still
   *  waiting fails at once. */
  async close(timeoutMs: number): Promise<void> {
    if (this.pending) this.fail(new SharkdUnavailableError('sharkd was closed while answering'));
    if (!this.dead) {
      await this.request('bye', undefined, timeoutMs).catch(() => {});
      this.child.stdin?.end();
    }
    this.dead ??= new SharkdUnavailableError('sharkd closed');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.fail(this.dead!);
        resolve();
      }, timeoutMs);
    });
    await Promise.race([this.exited, late]);
    clearTimeout(timer);
  }
}

/** What `frame` answers: Wireshark's tree of the frame (untrusted, see wireshark-tree.ts). */
export interface SharkdFrame {
  tree: unknown;
}

/** One warm sharkd for the extension host, its requests serialized. */
export class SharkdClient {
  private process?: SharkdProcess;
  private loads = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;
  readonly requestTimeoutMs: number;
  private readonly loadsPerProcess: number;
  private readonly maxLineBytes: number;
  /** Processes started so far (tests check the restarts). */
  started = 0;

  constructor(readonly options: SharkdOptions) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    this.loadsPerProcess = options.loadsPerProcess ?? LOADS_PER_PROCESS;
    this.maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  }

  /** The running process's id, if one runs. */
  get pid(): number | undefined {
    return this.process && !this.process.dead ? this.process.pid : undefined;
  }

  /** Runs `job` after every job queued before it: sharkd holds one capture and answers in order. */
  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.queue.then(job, job);
    this.queue = result.catch(() => {});
    return result;
  }

  /** The live process, started (or replaced after its share of loads) as needed. */
  private async session(forLoad: boolean): Promise<SharkdProcess> {
    if (this.disposed) throw new SharkdUnavailableError('sharkd was shut down');
    if (this.process && !this.process.dead && forLoad && this.loads >= this.loadsPerProcess) {
      await this.process.close(this.requestTimeoutMs);
    }
    if (!this.process || this.process.dead) {
      this.process = new SharkdProcess(this.options.command, this.maxLineBytes, this.options.env);
      this.loads = 0;
      this.started++;
    }
    return this.process;
  }

  /** One request, outside the queue (call it from a job given to run). */
  async request(method: string, params?: Record<string, unknown>): Promise<unknown> {
    const process = await this.session(method === 'load');
    if (method === 'load') this.loads++;
    return process.request(method, params, this.requestTimeoutMs);
  }

  /** Loads `file` and answers frame `frame`'s tree (1-based), as one job of the queue. */
  frameTree(file: string, frame: number): Promise<SharkdFrame> {
    return this.run(() => this.loadFrame(file, frame));
  }

  /** frameTree's requests, outside the queue (call it from a job given to run). */
  async loadFrame(file: string, frame: number): Promise<SharkdFrame> {
    const loaded = (await this.request('load', { file })) as { status?: unknown } | null;
    if (loaded?.status !== 'OK') throw new SharkdRequestError(`sharkd could not load ${file}`, undefined);
    // `bytes` too: without it sharkd 4.0 leaves out which data source (the packet, or reassembled or
    // decrypted data) each node's offsets are in, and those offsets would highlight the wrong bytes.
    const result = (await this.request('frame', { frame, proto: true, bytes: true })) as { tree?: unknown } | null;
    if (typeof result !== 'object' || result === null) throw new SharkdUnavailableError('sharkd answered no tree');
    return { tree: result.tree };
  }

  /** Wireshark's verdict on display filter `filter` (sharkd's `check`), as one job of the queue:
   *  undefined when it compiles, else Wireshark's message ("Unexpected end of filter expression.").
   *  Throws SharkdUnavailableError when sharkd cannot answer. */
  checkFilter(filter: string): Promise<string | undefined> {
    return this.run(async () => {
      try {
        await this.request('check', { filter });
        return undefined;
      } catch (e) {
        if (!(e instanceof SharkdRequestError)) throw e;
        return e.message.replace(/^Filter invalid - /, '');
      }
    });
  }

  /** Ends the process (the extension deactivates); later requests fail as unavailable. */
  async dispose(): Promise<void> {
    this.disposed = true;
    await this.process?.close(1000);
    this.process = undefined;
  }
}
