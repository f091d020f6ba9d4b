// One authenticated SSH connection, set up as OpenSSH would from the user's ~/.ssh/config:
// ProxyJump hops, host keys checked against known_hosts, and authentication by ssh-agent, then
// identity files, then keyboard-interactive, then password. Secrets only pass through the prompts
// and ssh2; nothing here logs them.
import * as fs from 'node:fs';
import type { Duplex, Readable } from 'node:stream';
import {
  Client,
  type ClientChannel,
  type ConnectConfig,
  type ParsedKey,
  type ServerHostKeyAlgorithm,
  type SFTPWrapper,
  utils,
} from 'ssh2';
import {
  appendKnownHost,
  checkHostKey,
  fingerprintSha256,
  type HostKeyVerdict,
  keyTypeOf,
  knownKeyTypes,
} from './known-hosts.js';
import { remoteCommand } from './remote-shell.js';
import {
  type Destination,
  type ProxyCommandSetting,
  parseProxyJump,
  type ResolveOptions,
  resolveHost,
  type SshHostConfig,
} from './ssh-config.js';

export class SshError extends Error {}

export interface HostKeyQuestion {
  host: string;
  port: number;
  keyType: string;
  fingerprint: string;
}

/** What the user is asked while connecting; undefined answers mean "cancel". */
export interface SshPrompts {
  /** An unknown host key: true trusts it and records it in known_hosts. */
  confirmHostKey(question: HostKeyQuestion): Promise<boolean>;
  passphrase(keyFile: string): Promise<string | undefined>;
  password(user: string, host: string): Promise<string | undefined>;
  keyboardInteractive(
    user: string,
    host: string,
    instructions: string,
    prompts: { prompt: string; echo: boolean }[],
  ): Promise<string[] | undefined>;
}

export interface ConnectOptions extends ResolveOptions {
  prompts: SshPrompts;
  /** Progress and diagnostics for an output channel. Never receives secrets. */
  log?: (message: string) => void;
}

/** How a remote command ended. */
export interface CommandEnd {
  /** null when the command reported no exit status (killed by a signal, or the channel closed). */
  code: number | null;
  /** For messages: "status 1", "signal TERM", "no exit status". */
  ending: string;
}

export interface RemoteCommand {
  channel: ClientChannel;
  /** Resolves when the channel has closed. */
  ended: Promise<CommandEnd>;
}

interface ExecResult extends CommandEnd {
  stdout: string;
  stderr: string;
}

const DEFAULT_READY_TIMEOUT_MS = 20_000;
const DEFAULT_KEEPALIVE_SECONDS = 15;

export class SshSession {
  private closed = false;
  readonly onClose: Promise<void>;

  private constructor(
    private readonly client: Client,
    /** The hops before the target (ProxyJump), closed with it. */
    private readonly hops: Client[],
    readonly config: SshHostConfig,
  ) {
    this.onClose = new Promise((resolve) =>
      client.once('close', () => {
        this.closed = true;
        for (const hop of this.hops) hop.end();
        resolve();
      }),
    );
  }

  /** user@host:port as the user knows it. */
  get label(): string {
    const c = this.config;
    return `${c.user}@${c.hostname}${c.port === 22 ? '' : `:${c.port}`}`;
  }

  /** Connects to an alias from the SSH config, or to user@host[:port]. */
  static async connect(destination: Destination, options: ConnectOptions): Promise<SshSession> {
    const config = resolveDestination(destination, options);
    const hops: Client[] = [];
    try {
      let sock: Readable | undefined;
      for (const jump of config.proxyJump ? parseProxyJump(config.proxyJump) : []) {
        const hopConfig = resolveDestination(jump, options);
        options.log?.(`Connecting to jump host ${hopConfig.user}@${hopConfig.hostname}:${hopConfig.port}`);
        const hop = await connectClient(hopConfig, sock, options);
        hops.push(hop);
        sock = await forward(hop, hopConfig, config);
      }
      options.log?.(`Connecting to ${config.user}@${config.hostname}:${config.port}`);
      const client = await connectClient(config, sock, options);
      return new SshSession(client, hops, config);
    } catch (e) {
      for (const hop of hops) hop.end();
      throw e;
    }
  }

  /** Runs argv on the host; stdin (if given) is written and closed. */
  async run(argv: readonly string[], stdin?: string): Promise<ExecResult> {
    const { channel, ended } = await this.exec(argv);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    channel.on('data', (d: Buffer) => out.push(d));
    channel.stderr.on('data', (d: Buffer) => err.push(d));
    if (stdin !== undefined) channel.end(stdin);
    else channel.end();
    const end = await ended;
    return { ...end, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
  }

  /** Starts argv on the host, under sh whatever the login shell. Its output stays buffered in the channel until read. */
  exec(argv: readonly string[]): Promise<RemoteCommand> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new SshError(`The connection to ${this.label} is closed.`));
      this.client.exec(remoteCommand(argv), (err, channel) => {
        if (err) return reject(new SshError(`${this.label}: ${err.message}`));
        // Listen at once: ssh2 can emit 'exit' while parsing the same packet batch as this reply,
        // before any code awaiting this promise runs.
        const ended = new Promise<CommandEnd>((done) => {
          let end: CommandEnd = { code: null, ending: 'no exit status' };
          channel.once('exit', (code: number | null, signal?: string) => {
            end =
              typeof code === 'number'
                ? { code, ending: `status ${code}` }
                : { code: null, ending: `signal ${signal ?? '?'}` };
          });
          channel.once('close', () => done(end));
        });
        resolve({ channel, ended });
      });
    });
  }

  sftp(): Promise<SFTPWrapper> {
    return new Promise((resolve, reject) => {
      this.client.sftp((err, sftp) =>
        err ? reject(new SshError(`${this.label}: SFTP is not available: ${err.message}`)) : resolve(sftp),
      );
    });
  }

  /** A TCP connection opened by the host to host:port (an SSH local forward, `ssh -L`). */
  forwardOut(host: string, port: number): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      this.client.forwardOut('127.0.0.1', 0, host, port, (err, channel) =>
        err
          ? reject(new SshError(`${this.label} could not connect to ${host}:${port}: ${err.message}`))
          : resolve(channel),
      );
    });
  }

  close(): void {
    this.client.end();
  }
}

/** As `ssh [user@]host [-p port]`: the given user and port win over the config's. */
function resolveDestination(d: Destination, options: ResolveOptions): SshHostConfig {
  const config = resolveHost(d.host, { ...options, user: d.user, port: d.port });
  if (config.proxyCommand) throw new SshError(proxyCommandRefusal(config.alias, config.proxyCommand));
  return config;
}

/** We never run commands from a config file, and dialling the host directly would bypass the proxy. */
function proxyCommandRefusal(alias: string, proxy: ProxyCommandSetting): string {
  return (
    `${proxy.file} line ${proxy.line} sets a ProxyCommand for ${alias}. Packet Capture never runs commands from an SSH config, ` +
    `so it cannot reach this host that way. If the command goes through another SSH server (ssh -W %h:%p JUMP), ` +
    `use "ProxyJump JUMP" for this host instead.`
  );
}

function forward(hop: Client, hopConfig: SshHostConfig, next: SshHostConfig): Promise<Readable> {
  return new Promise((resolve, reject) => {
    hop.forwardOut('127.0.0.1', 0, next.hostname, next.port, (err, channel) =>
      err
        ? reject(
            new SshError(
              `Jump host ${hopConfig.hostname} could not reach ${next.hostname}:${next.port}: ${err.message}`,
            ),
          )
        : resolve(channel),
    );
  });
}

function connectClient(config: SshHostConfig, sock: Readable | undefined, options: ConnectOptions): Promise<Client> {
  const client = new Client();
  const where = `${config.hostname}:${config.port}`;
  let hostKeyProblem: string | undefined;
  const auth = new AuthSequence(config, options);
  return new Promise((resolve, reject) => {
    client.once('ready', () => resolve(client));
    // Also after 'ready' (a keepalive timeout): the connection closes and its users see 'close'.
    client.on('error', (e: Error & { level?: string; code?: string }) => {
      options.log?.(`${where}: ${e.message}`);
      client.end();
      if (hostKeyProblem) reject(new SshError(hostKeyProblem));
      else if (e.level === 'client-authentication') reject(new SshError(auth.failureMessage()));
      else reject(new SshError(connectionErrorMessage(e, where)));
    });
    const connectConfig: ConnectConfig = {
      host: config.hostname,
      port: config.port,
      sock,
      username: config.user,
      readyTimeout: (config.connectTimeoutSeconds ?? 0) * 1000 || DEFAULT_READY_TIMEOUT_MS,
      // OpenSSH sends none by default; a live capture wants to learn of a dead link within a minute.
      keepaliveInterval: (config.serverAliveIntervalSeconds || DEFAULT_KEEPALIVE_SECONDS) * 1000,
      algorithms: { serverHostKey: preferKnownHostKeyTypes(config) },
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        void verifyHostKey(config, key, options).then(
          () => verify(true),
          (e: Error) => {
            hostKeyProblem = e.message;
            verify(false);
          },
        );
      },
      authHandler: (methodsLeft, _partial, next) => {
        void auth.next(methodsLeft).then(
          (method) => next(method ?? (false as never)),
          (e: Error) => {
            auth.cancelled = e.message;
            next(false as never);
          },
        );
      },
    };
    client.connect(connectConfig);
  });
}

function connectionErrorMessage(e: Error & { code?: string }, where: string): string {
  switch (e.code) {
    case 'ECONNREFUSED':
      return `Could not connect to ${where}: connection refused (is sshd running there?).`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Could not resolve the host name of ${where}.`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `Could not reach ${where}: ${e.message}.`;
  }
  if (/Timed out while waiting for handshake/.test(e.message))
    return `Connection to ${where} timed out during the SSH handshake.`;
  return `SSH connection to ${where} failed: ${e.message}`;
}

/** ssh2's default host key algorithms, with the types known_hosts holds for this host first. */
function preferKnownHostKeyTypes(config: SshHostConfig): ServerHostKeyAlgorithm[] {
  const all: ServerHostKeyAlgorithm[] = [
    'ssh-ed25519',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'rsa-sha2-512',
    'rsa-sha2-256',
    'ssh-rsa',
  ];
  const known = knownKeyTypes(knownHostsFiles(config), config.hostname, config.port);
  const isKnown = (alg: string) => known.includes(alg.startsWith('rsa-sha2-') ? 'ssh-rsa' : alg);
  return [...all.filter(isKnown), ...all.filter((a) => !isKnown(a))];
}

function knownHostsFiles(config: SshHostConfig) {
  return { user: config.userKnownHostsFiles, global: config.globalKnownHostsFiles };
}

/** OpenSSH's rules: known passes; changed or revoked never; unknown per StrictHostKeyChecking. */
async function verifyHostKey(config: SshHostConfig, key: Buffer, options: ConnectOptions): Promise<void> {
  const { hostname: host, port } = config;
  const where = port === 22 ? host : `[${host}]:${port}`;
  const verdict: HostKeyVerdict = checkHostKey(knownHostsFiles(config), host, port, key);
  const keyType = keyTypeOf(key);
  const fingerprint = fingerprintSha256(key);
  if (verdict.status === 'known') return;
  if (verdict.status === 'revoked') {
    throw new SshError(
      `The ${keyType} host key of ${where} is marked as revoked in ${verdict.file}:${verdict.line}. Refusing to connect.`,
    );
  }
  if (verdict.status === 'changed') {
    throw new SshError(
      `WARNING: the host key of ${where} has changed. Someone could be intercepting the connection, or the host was reinstalled. ` +
        `It now presents ${keyType} ${fingerprint}; ${verdict.file}:${verdict.line} holds a different key. ` +
        `Refusing to connect. If the change is expected, remove the old key (ssh-keygen -R "${where}") and try again.`,
    );
  }
  // We asked for the known types first, so a server offering none of them is treated as OpenSSH
  // treats it: as a changed key.
  if (verdict.otherTypesKnown.length > 0) {
    throw new SshError(
      `WARNING: ${where} presents a ${keyType} host key (${fingerprint}), but known_hosts holds only ${verdict.otherTypesKnown.join(', ')} keys for it. ` +
        `Refusing to connect. If the host was reinstalled, remove the old key (ssh-keygen -R "${where}") and try again.`,
    );
  }
  const record = () => {
    const file = config.userKnownHostsFiles[0];
    if (!file) throw new SshError(`Cannot record the host key of ${where}: no UserKnownHostsFile is configured.`);
    appendKnownHost(file, host, port, key, { hash: config.hashKnownHosts });
    options.log?.(`Added ${keyType} ${fingerprint} for ${where} to ${file}`);
  };
  switch (config.strictHostKeyChecking) {
    case 'yes':
      throw new SshError(
        `The host key of ${where} (${keyType} ${fingerprint}) is not in known_hosts, and StrictHostKeyChecking is yes. Refusing to connect.`,
      );
    case 'no':
    case 'accept-new':
      record();
      return;
    case 'ask': {
      const trusted = await options.prompts.confirmHostKey({ host: where, port, keyType, fingerprint });
      if (!trusted) throw new SshError(`Host key of ${where} not accepted: connection cancelled.`);
      record();
    }
  }
}

type AuthMethod =
  | { type: 'agent'; username: string; agent: string }
  | { type: 'publickey'; username: string; key: ParsedKey }
  | {
      type: 'keyboard-interactive';
      username: string;
      prompt: (
        name: string,
        instructions: string,
        lang: string,
        prompts: { prompt: string; echo: boolean }[],
        finish: (answers: string[]) => void,
      ) => void;
    }
  | { type: 'password'; username: string; password: string };

/** The order OpenSSH uses; each method is tried only if the server still offers it. */
class AuthSequence {
  private readonly steps: { type: AuthMethod['type']; make: () => Promise<AuthMethod | undefined> }[] = [];
  private readonly tried = new Set<string>();
  cancelled?: string;

  constructor(
    private readonly config: SshHostConfig,
    private readonly options: ConnectOptions,
  ) {
    const user = config.user;
    const agent = agentSocket(config);
    if (agent && config.pubkeyAuthentication) {
      this.steps.push({ type: 'publickey', make: async () => ({ type: 'agent', username: user, agent }) });
    }
    if (config.pubkeyAuthentication) {
      for (const file of config.identityFiles) {
        if (!fs.existsSync(file)) continue;
        this.steps.push({ type: 'publickey', make: () => this.identity(file) });
      }
    }
    if (config.kbdInteractiveAuthentication) {
      this.steps.push({ type: 'keyboard-interactive', make: async () => this.keyboardInteractive() });
    }
    if (config.passwordAuthentication) {
      this.steps.push({ type: 'password', make: () => this.password() });
    }
  }

  async next(methodsLeft: string[] | null): Promise<AuthMethod | undefined> {
    while (this.steps.length > 0) {
      const step = this.steps.shift()!;
      if (methodsLeft && !methodsLeft.includes(step.type)) continue;
      const method = await step.make();
      if (method) {
        this.tried.add(method.type === 'agent' ? 'publickey (ssh-agent)' : method.type);
        return method;
      }
    }
    return undefined;
  }

  failureMessage(): string {
    if (this.cancelled) return this.cancelled;
    const c = this.config;
    const tried =
      this.tried.size > 0
        ? [...this.tried].join(', ')
        : 'no method was available: no ssh-agent, no identity file, password authentication off';
    return `Permission denied for ${c.user}@${c.hostname} (tried: ${tried}).`;
  }

  private async identity(file: string): Promise<AuthMethod | undefined> {
    let data: Buffer;
    try {
      data = fs.readFileSync(file);
    } catch (e) {
      this.options.log?.(`Skipping identity file ${file}: ${(e as Error).message}`);
      return undefined;
    }
    let parsed = utils.parseKey(data);
    for (
      let attempt = 0;
      parsed instanceof Error && /encrypted|passphrase/i.test(parsed.message) && attempt < 3;
      attempt++
    ) {
      const passphrase = await this.options.prompts.passphrase(file);
      if (passphrase === undefined) throw new Error(`Cancelled: no passphrase given for ${file}.`);
      parsed = utils.parseKey(data, passphrase);
      if (parsed instanceof Error) this.options.log?.(`Wrong passphrase for ${file}`);
    }
    if (parsed instanceof Error) {
      this.options.log?.(`Skipping identity file ${file}: ${parsed.message}`);
      return undefined;
    }
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    return { type: 'publickey', username: this.config.user, key };
  }

  private keyboardInteractive(): AuthMethod {
    const { user, hostname } = this.config;
    return {
      type: 'keyboard-interactive',
      username: user,
      prompt: (_name, instructions, _lang, prompts, finish) => {
        void this.options.prompts.keyboardInteractive(user, hostname, instructions, prompts).then((answers) => {
          if (answers === undefined) this.cancelled = `Cancelled: no answer given to ${hostname}'s login prompt.`;
          finish(answers ?? []);
        });
      },
    };
  }

  private async password(): Promise<AuthMethod | undefined> {
    const { user, hostname } = this.config;
    const password = await this.options.prompts.password(user, hostname);
    if (password === undefined) throw new Error(`Cancelled: no password given for ${user}@${hostname}.`);
    return { type: 'password', username: user, password };
  }
}

function agentSocket(config: SshHostConfig): string | undefined {
  const setting = config.identityAgent;
  if (setting === 'none' || config.identitiesOnly) return undefined;
  if (setting === undefined || setting === 'SSH_AUTH_SOCK') return process.env.SSH_AUTH_SOCK || undefined;
  if (setting.startsWith('$')) return process.env[setting.slice(1)] || undefined;
  return setting;
}
