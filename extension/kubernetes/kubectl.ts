// kubectl, always given an argv array (never a shell string), so the user's own contexts, auth
// plugins and proxies apply exactly as on their command line. Used by the extension and by
// bin/kubectl-pcap alike: nothing here imports vscode.
import { type ChildProcess, spawn } from 'node:child_process';

export interface KubectlOptions {
  /** The kubectl executable (the machine-scoped setting packetCapture.kubectlPath). */
  path?: string;
  /** A context of the kubeconfig; its current context when absent. */
  context?: string;
  /** The environment kubectl runs in (KUBECONFIG among it); this process's when absent. */
  env?: NodeJS.ProcessEnv;
}

/** kubectl failed: its own message (the API server's, an admission webhook's…) is kept whole. */
export class KubectlError extends Error {
  constructor(
    message: string,
    readonly args: readonly string[],
    /** kubectl's stderr, trimmed. */
    readonly detail: string,
    readonly code: number | null,
  ) {
    super(message);
    this.name = 'KubectlError';
  }

  /** The API server refused: not found. */
  get notFound(): boolean {
    return /\bNotFound\b|not found/.test(this.detail);
  }

  /** The API server refused: RBAC. */
  get forbidden(): boolean {
    return /\bForbidden\b|forbidden:/.test(this.detail);
  }
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** kubectl's words for an API server it cannot reach (refused, no route, DNS, TLS timeout). */
const UNREACHABLE = /Unable to connect to the server|The connection to the server .* was refused|dial tcp|i\/o timeout/;

/** kubectl's message without its "Error from server (Reason):" prefix, which our sentence replaces. */
export function kubectlMessage(stderr: string): string {
  const lines = stderr
    .trim()
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^[WIE]\d{4} /.test(l)); // client-go's klog lines; its last line says it
  return lines.join('\n').replace(/^error: /, '');
}

export class Kubectl {
  constructor(readonly options: KubectlOptions = {}) {}

  get executable(): string {
    return this.options.path || 'kubectl';
  }

  /** The argv kubectl gets for `args`: the chosen context first. */
  argv(args: readonly string[]): string[] {
    return [...(this.options.context ? ['--context', this.options.context] : []), ...args];
  }

  /** A long-running kubectl (exec, port-forward): its streams are the caller's. */
  spawn(args: readonly string[]): ChildProcess {
    return spawn(this.executable, this.argv(args), { env: this.options.env ?? process.env, stdio: 'pipe' });
  }

  /** Runs kubectl to the end: its stdout, or a KubectlError with its message. */
  run(args: readonly string[], options: { input?: Uint8Array | string; timeoutMs?: number } = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = this.spawn(args);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.stdout!.on('data', (d: Buffer) => out.push(d));
      child.stderr!.on('data', (d: Buffer) => err.push(d));
      child.stdin!.on('error', () => {}); // a kubectl that ended early: its exit says why
      child.stdin!.end(options.input);
      child.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const what =
          e.code === 'ENOENT'
            ? `kubectl was not found as "${this.executable}": install it or set packetCapture.kubectlPath`
            : `kubectl could not start: ${e.message}`;
        reject(new KubectlError(what, args, '', null));
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        const stderr = Buffer.concat(err).toString('utf8');
        if (code === 0) return resolve(Buffer.concat(out).toString('utf8'));
        const detail = kubectlMessage(stderr);
        const why = signal === 'SIGKILL' ? `no answer within ${timeoutMs / 1000} s` : detail || `exit status ${code}`;
        const what = UNREACHABLE.test(detail)
          ? `cannot reach the cluster of ${this.options.context ? `context "${this.options.context}"` : 'the current context'}`
          : `kubectl ${args.slice(0, 2).join(' ')}`;
        reject(new KubectlError(`${what}: ${why}`, args, detail, code));
      });
    });
  }

  /** Runs kubectl with `-o json` and parses what it printed. */
  async json<T>(args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<T> {
    const text = await this.run([...args, '-o', 'json'], options);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new KubectlError(`kubectl ${args.slice(0, 2).join(' ')} printed no JSON`, args, text.slice(0, 200), 0);
    }
  }
}
