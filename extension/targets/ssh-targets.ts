// The SSH side of the target picker: hosts from the user's SSH config plus the ones added by hand,
// the VS Code prompts SSH needs (host key, passphrase, password, sudo), and the commands that
// manage hosts: Add SSH Host…, Remove SSH Host…, Remove Agent from Host….
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { AgentBuilds, removeDeployedAgents } from '../ssh/agent-deploy.js';
import { type Destination, listConfiguredHosts, parseDestination, type ResolveOptions } from '../ssh/ssh-config.js';
import { type HostKeyQuestion, SshSession } from '../ssh/ssh-session.js';
import { SshTarget, type SshTargetHooks } from './ssh.js';

const ADDED_HOSTS_KEY = 'packetCapture.sshHosts';

export class SshTargets implements vscode.Disposable {
  private readonly targets = new Map<string, SshTarget>();
  private builds?: AgentBuilds;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.OutputChannel,
  ) {}

  private get settings(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration('packetCapture.ssh');
  }

  resolveOptions(): ResolveOptions {
    const configFile = this.settings.get<string>('configFile', '').trim();
    return configFile ? { configFile: configFile.replace(/^~(?=$|\/)/, os.homedir()) } : {};
  }

  /** Hosts from the SSH config (no wildcards), then the ones added with Add SSH Host…. */
  list(): SshTarget[] {
    const fromConfig = safeList(
      () => listConfiguredHosts(this.resolveOptions()),
      (m) => this.log(m),
    ).map((h) => this.target(h, 'SSH config'));
    const added = this.addedHosts().map((h) => this.target(h, 'SSH host'));
    const result: SshTarget[] = [];
    for (const target of [...fromConfig, ...added]) {
      if (!target || result.includes(target)) continue;
      // Only a host added here can be forgotten here: one from the SSH config comes back with the file.
      if (fromConfig.includes(target)) delete target.info.removable;
      else target.info.removable = true;
      result.push(target);
    }
    return result;
  }

  /** What Add SSH Host… stored, as typed. */
  private addedHosts(): string[] {
    return this.context.globalState.get<string[]>(ADDED_HOSTS_KEY, []);
  }

  /** Adds `text` (user@host[:port]) to the hosts added by hand; its target. */
  async remember(text: string): Promise<SshTarget | undefined> {
    const added = this.addedHosts();
    if (!added.includes(text)) await this.context.globalState.update(ADDED_HOSTS_KEY, [...added, text]);
    return this.target(text, 'SSH host');
  }

  /** Forgets a host added with Add SSH Host… (its connection closes); false when `id` is not one. */
  async forget(id: string): Promise<boolean> {
    const added = this.addedHosts();
    const kept = added.filter((text) => this.target(text, 'SSH host')?.info.id !== id);
    if (kept.length === added.length) return false;
    await this.context.globalState.update(ADDED_HOSTS_KEY, kept);
    if (!this.list().some((t) => t.info.id === id)) {
      this.targets.get(id)?.dispose();
      this.targets.delete(id);
    }
    return true;
  }

  private target(text: string, description: string): SshTarget | undefined {
    let destination: Destination;
    try {
      destination = parseDestination(text);
    } catch {
      return undefined;
    }
    const id = SshTarget.idOf(destination);
    let target = this.targets.get(id);
    if (!target) {
      target = new SshTarget(destination, this.hooks, description);
      this.targets.set(id, target);
    }
    return target;
  }

  /** Asks for user@host[:port], remembers it, and returns its target. */
  async addHost(): Promise<SshTarget | undefined> {
    const text = await vscode.window.showInputBox({
      title: 'Packet Capture: Add SSH Host',
      prompt: 'user@host[:port], or a Host from your SSH config',
      placeHolder: 'user@build-server.example.com:22',
      ignoreFocusOut: true,
      validateInput: (value) => {
        try {
          parseDestination(value.trim());
          return undefined;
        } catch (e) {
          return (e as Error).message;
        }
      },
    });
    return text ? this.remember(text.trim()) : undefined;
  }

  /** Picks an SSH host (or adds one); undefined when the user cancels. */
  async pick(title: string): Promise<SshTarget | undefined> {
    const add = { label: '$(add) Add SSH Host…', target: undefined as SshTarget | undefined };
    const items = [
      ...this.list().map((t) => ({
        label: t.info.label,
        description: t.info.description,
        target: t as SshTarget | undefined,
      })),
      add,
    ];
    const choice = await vscode.window.showQuickPick(items, { title, placeHolder: 'SSH host', ignoreFocusOut: true });
    if (!choice) return undefined;
    return choice === add ? this.addHost() : choice.target;
  }

  /** Packet Capture: Remove Agent from Host… */
  async removeAgent(): Promise<void> {
    const target = await this.pick('Packet Capture: Remove Agent from Host');
    if (!target) return;
    try {
      const removed = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Packet Capture: removing the agent from ${target.info.label}`,
        },
        async () => {
          target.dispose(); // a running capture there stops with its connection
          const session = await SshSession.connect(target.destination, {
            ...this.resolveOptions(),
            prompts: this.hooks.prompts,
            log: (m) => this.log(m),
          });
          try {
            const home = (await session.run(['sh', '-c', 'printf %s "$HOME"'])).stdout;
            return await removeDeployedAgents(session, home);
          } finally {
            session.close();
          }
        },
      );
      const message =
        removed.length > 0
          ? `Removed the capture agent from ${target.info.label} (${removed.map((d) => path.posix.basename(d)).join(', ')}).`
          : `There was no capture agent on ${target.info.label}.`;
      this.log(message);
      void vscode.window.showInformationMessage(message);
    } catch (e) {
      void vscode.window.showErrorMessage(`Packet Capture: ${(e as Error).message}`);
    }
  }

  private log(message: string): void {
    this.output.appendLine(`[${new Date().toISOString()}] ${message}`);
  }

  readonly hooks: SshTargetHooks = {
    prompts: {
      confirmHostKey: (q) => confirmHostKey(q),
      passphrase: (keyFile) => secret(`Passphrase for ${keyFile}`),
      password: (user, host) => secret(`Password for ${user}@${host}`),
      keyboardInteractive: async (user, host, instructions, prompts) => {
        const answers: string[] = [];
        for (const p of prompts) {
          const answer = await vscode.window.showInputBox({
            title: `Packet Capture: ${user}@${host}`,
            prompt: [instructions, p.prompt].filter(Boolean).join(' — '),
            password: !p.echo,
            ignoreFocusOut: true,
          });
          if (answer === undefined) return undefined;
          answers.push(answer);
        }
        return answers;
      },
      sudoPassword: (user, host, retry) =>
        secret(
          `${retry ? 'Wrong password, try again. ' : ''}Capturing needs root: sudo password for ${user} on ${host}`,
        ),
    },
    withProgress: async (title, task) =>
      vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, (progress) => {
        let reported = 0;
        return task((message, fraction) => {
          const pct = fraction === undefined ? reported : Math.min(100, Math.floor(fraction * 100));
          progress.report({ message, increment: Math.max(0, pct - reported) });
          reported = Math.max(reported, pct);
        });
      }),
    log: (m) => this.log(m),
    resolveOptions: () => this.resolveOptions(),
    excludeOwnConnection: () => this.settings.get<boolean>('excludeOwnConnection', true),
    agentBuilds: () =>
      (this.builds ??= new AgentBuilds(
        path.join(this.context.extensionPath, 'dist', 'agent'),
        this.context.extension.packageJSON.version as string,
      )),
  };

  dispose(): void {
    for (const t of this.targets.values()) t.dispose();
  }
}

function safeList(list: () => string[], log: (m: string) => void): string[] {
  try {
    return list();
  } catch (e) {
    log(`Could not read the SSH config: ${(e as Error).message}`);
    return [];
  }
}

async function secret(prompt: string): Promise<string | undefined> {
  return vscode.window.showInputBox({ title: 'Packet Capture', prompt, password: true, ignoreFocusOut: true });
}

/** OpenSSH's question, as a modal. */
async function confirmHostKey(q: HostKeyQuestion): Promise<boolean> {
  const trust = 'Trust and Connect';
  const choice = await vscode.window.showWarningMessage(
    `The authenticity of host '${q.host}' can't be established.`,
    { modal: true, detail: `${q.keyType} key fingerprint is ${q.fingerprint}.\nTrust it and add it to known_hosts?` },
    trust,
  );
  return choice === trust;
}
