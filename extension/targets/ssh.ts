// A host reached over SSH. The first use connects, checks what the agent needs (OS, architecture,
// kernel, sha256sum, sudo), uploads the static agent built for the host's architecture if the host
// does not have it yet (no Node needed there), and keeps the
// connection for the interface list and the captures. The capture runs over an exec channel: its
// stdout is the pcapng stream, its stderr the JSON events, its stdin the stop signal. When the
// connection drops, sshd closes the agent's stdin, which stops it.
import { type Readable, Transform } from 'node:stream';
import { parseInterfaceList } from '../../agent/host.js';
import { interfacesArgv } from '../../agent/options.js';
import type { InterfaceInfo, TargetInfo } from '../../packet/protocol.js';
import { type AgentBinary, type AgentBuilds, type DeployedAgent, deployAgent } from '../ssh/agent-deploy.js';
import { type HostFacts, missingPrerequisites, PROBE_SCRIPT, parseProbe } from '../ssh/remote-host.js';
import { verifiedAgentArgv } from '../ssh/root-launch.js';
import type { Destination, ResolveOptions } from '../ssh/ssh-config.js';
import { type CommandEnd, type RemoteCommand, type SshPrompts, SshSession } from '../ssh/ssh-session.js';
import { asRoot, type Elevation, isWrongSudoPassword } from './elevate.js';
import { CaptureStartError, toInterfaceInfo } from './local.js';
import { type AgentProcess, type CaptureRequest, type CaptureTarget, captureArgs } from './target.js';

export interface SshTargetHooks {
  prompts: SshPrompts & {
    /** The user's sudo password on the host; undefined = cancel. `retry`: the last one was wrong. */
    sudoPassword(user: string, host: string, retry: boolean): Promise<string | undefined>;
  };
  /** Runs long work under a progress notification. */
  withProgress<T>(
    title: string,
    task: (report: (message: string, fraction?: number) => void) => Promise<T>,
  ): Promise<T>;
  log(message: string): void;
  /** Where ~/.ssh/config and friends are (tests and the setting point elsewhere). */
  resolveOptions(): ResolveOptions;
  /** Leave out the capture's own SSH connection (on by default). */
  excludeOwnConnection(): boolean;
  /** The static agents the extension carries, one per architecture. */
  agentBuilds(): AgentBuilds;
}

/** A connected, checked host with the agent in place. */
interface PreparedHost {
  session: SshSession;
  facts: HostFacts;
  agent: DeployedAgent;
  /** The build deployed: the one for the host's architecture. */
  binary: AgentBinary;
  /** Checked while preparing, kept only until the next agent starts with it. */
  sudoPassword?: string;
}

/** Tries at the sudo password: the first, and one more after sudo said it was wrong. */
const SUDO_PASSWORD_TRIES = 2;

export class SshTarget implements CaptureTarget {
  readonly info: TargetInfo;
  private session?: Promise<SshSession>;
  private prepared?: Promise<PreparedHost>;

  constructor(
    readonly destination: Destination,
    private readonly hooks: SshTargetHooks,
    description = 'SSH host',
  ) {
    const text = destinationText(destination);
    this.info = { id: SshTarget.idOf(destination), kind: 'ssh', label: text, description };
  }

  static idOf(destination: Destination): string {
    return `ssh:${destinationText(destination)}`;
  }

  /** The connection, opened on first use and again after it closed. */
  connection(): Promise<SshSession> {
    if (!this.session) {
      const attempt = SshSession.connect(this.destination, {
        ...this.hooks.resolveOptions(),
        prompts: this.hooks.prompts,
        log: (m) => this.hooks.log(m),
      });
      this.session = attempt;
      // A closed or failed connection is forgotten with what was prepared on it.
      const forget = () => {
        if (this.session !== attempt) return;
        this.session = undefined;
        this.prepared = undefined;
      };
      attempt.then((s) => void s.onClose.then(forget), forget);
    }
    return this.session;
  }

  /** Connects, checks the host and deploys the agent, once per connection. */
  prepare(): Promise<PreparedHost> {
    if (!this.prepared) {
      const attempt = this.hooks.withProgress(`Packet Capture: preparing ${this.info.label}`, (report) =>
        this.checkAndDeploy(report),
      );
      this.prepared = attempt;
      attempt.catch(() => {
        if (this.prepared === attempt) this.prepared = undefined;
      });
    }
    return this.prepared;
  }

  private async checkAndDeploy(report: (message: string, fraction?: number) => void): Promise<PreparedHost> {
    report('Connecting');
    const session = await this.connection();
    report('Checking the host');
    const probe = await session.run(['/bin/sh', '-s'], PROBE_SCRIPT);
    const facts = parseProbe(probe.stdout);
    this.hooks.log(
      `${session.label}: ${facts.os} ${facts.arch}, kernel ${facts.kernel}, BTF ${facts.btf ? 'yes' : 'no'}, ` +
        `BPF ring buffer ${facts.ringBuffer === undefined ? 'unknown' : facts.ringBuffer ? 'yes' : 'no'}, sudo ${facts.sudo}`,
    );
    const builds = this.hooks.agentBuilds();
    const problems = missingPrerequisites(session.label, facts, builds.architectures());
    if (problems.length > 0) throw new CaptureStartError(problems.join(' '));
    const binary = builds.forMachine(facts.arch);
    const sudoPassword = facts.sudo === 'password' ? await this.askSudoPassword(session, facts) : undefined;
    const agent = await deployAgent(session, facts.home, binary, (message, fraction) => report(message, fraction));
    this.hooks.log(`${session.label}: agent ${agent.reused ? 'already in' : 'uploaded to'} ${agent.dir}`);
    return { session, facts, agent, binary, sudoPassword };
  }

  /** Asks for the sudo password and has sudo check it; one more try after a wrong one, then a clear stop. */
  private async askSudoPassword(session: SshSession, facts: HostFacts): Promise<string> {
    for (let attempt = 0; attempt < SUDO_PASSWORD_TRIES; attempt++) {
      const password = await this.hooks.prompts.sudoPassword(facts.user, session.config.hostname, attempt > 0);
      if (password === undefined) throw new CaptureStartError('Capture cancelled: no sudo password given.');
      const r = await session.run(asRoot(['true'], 'password'), `${password}\n`);
      if (r.code === 0) return password;
      if (/not in the sudoers|not allowed|may not run sudo/i.test(r.stderr)) {
        throw new CaptureStartError(
          `${facts.user} may not use sudo on ${session.label}, and capturing needs root (eBPF): ask an administrator to allow it, or connect as a user who may. Nothing was installed on the host.`,
        );
      }
      if (!isWrongSudoPassword(r.stderr))
        throw new CaptureStartError(`sudo on ${session.label} failed: ${r.stderr.trim()}`);
      this.hooks.log(`${session.label}: wrong sudo password for ${facts.user}`);
    }
    throw new CaptureStartError(
      `Wrong sudo password for ${facts.user} on ${session.label}, twice: the capture was not started. Start it again to retry.`,
    );
  }

  /** The password for this capture's sudo: the one checked while preparing, used once, else asked anew. */
  private async sudoPasswordForCapture(host: PreparedHost): Promise<string | undefined> {
    if (host.facts.sudo !== 'password') return undefined;
    const checked = host.sudoPassword;
    host.sudoPassword = undefined;
    return checked ?? this.askSudoPassword(host.session, host.facts);
  }

  async listInterfaces(): Promise<InterfaceInfo[]> {
    const host = await this.prepare();
    // As the user, from the user's own upload: listing interfaces needs no privilege.
    const r = await host.session.run([host.agent.executable, ...interfacesArgv({ json: true })]);
    if (r.code !== 0)
      throw new CaptureStartError(`pcap-agent interfaces on ${host.session.label}: ${r.stderr.trim() || r.ending}`);
    return parseInterfaceList(r.stdout).map(toInterfaceInfo);
  }

  /** This SSH connection as the host sees it: the filter that leaves it out, both ways, and a note. */
  private ownConnection(facts: HostFacts): { filter: string; note: string } | undefined {
    const c = facts.sshConnection;
    if (!c) return undefined;
    const client = c.clientAddress.replace(/%.*$/, ''); // no zone index in a filter
    const server = c.serverAddress.replace(/%.*$/, '');
    const way = (a: string, ap: number, b: string, bp: number) =>
      `(src host ${a} and src port ${ap} and dst host ${b} and dst port ${bp})`;
    return {
      filter: `tcp and (${way(client, c.clientPort, server, c.serverPort)} or ${way(server, c.serverPort, client, c.clientPort)})`,
      note: `Leaving out this SSH connection (${client} port ${c.clientPort} ↔ ${server} port ${c.serverPort}): setting packetCapture.ssh.excludeOwnConnection.`,
    };
  }

  async startCapture(request: CaptureRequest): Promise<AgentProcess> {
    const host = await this.prepare();
    const own = this.hooks.excludeOwnConnection() ? this.ownConnection(host.facts) : undefined;
    if (own) this.hooks.log(`${host.session.label}: leaving out this SSH connection: ${own.filter}`);
    const agent = verifiedAgentArgv(
      host.binary,
      host.agent,
      host.facts.uid,
      captureArgs({ ...request, exclude: own?.filter }),
    );
    const password = await this.sudoPasswordForCapture(host);
    const command = await host.session.exec(asRoot(agent, elevationOf(host.facts)));
    const agentProcess = commandProcess(command, host.session);
    if (password !== undefined) {
      command.channel.write(`${password}\n`);
      return { ...agentProcess, stderr: stopOnWrongPassword(agentProcess, host), note: own?.note };
    }
    return { ...agentProcess, note: own?.note };
  }

  /** Closes the connection (the agent stops if one runs). */
  dispose(): void {
    void this.session?.then(
      (s) => s.close(),
      () => {},
    );
    this.session = undefined;
    this.prepared = undefined;
  }
}

function elevationOf(facts: HostFacts): Elevation {
  return facts.sudo === 'root' ? 'root' : facts.sudo === 'nopasswd' ? 'nopasswd' : 'password';
}

/**
 * sudo refusing the password asks again on stdin, which stays open as the agent's stop channel:
 * the capture would wait forever. Stop it instead, and say why in words (the panel shows the last
 * plain-text line of stderr).
 */
function stopOnWrongPassword(agent: AgentProcess, host: PreparedHost): Readable {
  const sayWhy = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (!isWrongSudoPassword(chunk.toString('utf8'))) return done(null, chunk);
      agent.kill();
      done(
        null,
        `sudo on ${host.session.label} did not accept the password for ${host.facts.user} (wrong password, or changed since it was checked): the capture was stopped. Start it again to enter it anew.\n`,
      );
    },
  });
  return agent.stderr.pipe(sayWhy);
}

/** user@host:port as typed, with brackets around an IPv6 address. */
function destinationText(d: Destination): string {
  return `${d.user ? `${d.user}@` : ''}${d.host.includes(':') ? `[${d.host}]` : d.host}${d.port ? `:${d.port}` : ''}`;
}

/** A remote command as an AgentProcess: its channel is both the agent's stdin and its stdout. */
function commandProcess({ channel, ended }: RemoteCommand, session: SshSession): AgentProcess {
  let end: CommandEnd | undefined;
  const exited = ended.then((e) => {
    end = e;
    return e.code;
  });
  return {
    stdin: channel,
    stdout: channel,
    stderr: channel.stderr,
    kill: () => {
      channel.signal('KILL');
      channel.close();
    },
    exited,
    exitReason: () =>
      end && end.ending === 'no exit status'
        ? `the SSH connection to ${session.label} closed before the agent exited`
        : undefined,
  };
}
