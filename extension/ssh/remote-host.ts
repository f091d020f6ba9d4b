// What the capture agent needs from a remote host, found with one POSIX shell script over SSH, and
// the precise message for each thing that is missing.

/** Facts gathered by PROBE_SCRIPT. */
export interface HostFacts {
  os: string;
  arch: string;
  kernel: string;
  uid: number;
  user: string;
  home: string;
  btf: boolean;
  glibc?: string;
  /** Every Node.js found, best first: PATH, then the ones VS Code servers leave on the host. */
  nodes: { path: string; version: string }[];
  /** root: no sudo needed; nopasswd: `sudo -n` works; password: sudo asks; missing: no sudo. */
  sudo: 'root' | 'nopasswd' | 'password' | 'missing';
  /** $SSH_CONNECTION as the host sees this session: client address and port, server address and port. */
  sshConnection?: { clientAddress: string; clientPort: number; serverAddress: string; serverPort: number };
}

// Sent on stdin to `/bin/sh -s`, so it runs the same whatever the user's login shell is.
export const PROBE_SCRIPT = String.raw`
echo "os=$(uname -s)"
echo "arch=$(uname -m)"
echo "kernel=$(uname -r)"
echo "uid=$(id -u)"
echo "user=$(id -un)"
echo "home=$HOME"
if [ -r /sys/kernel/btf/vmlinux ]; then echo "btf=yes"; else echo "btf=no"; fi
echo "glibc=$(getconf GNU_LIBC_VERSION 2>/dev/null)"
echo "ssh_connection=$SSH_CONNECTION"
for n in "$(command -v node 2>/dev/null)" \
  "$HOME"/.vscode-server/cli/servers/*/server/node "$HOME"/.vscode-server/bin/*/node \
  "$HOME"/.vscode-server-insiders/cli/servers/*/server/node "$HOME"/.vscode-server-insiders/bin/*/node \
  "$HOME"/.vscodium-server/bin/*/node "$HOME"/.cursor-server/cli/servers/*/server/node "$HOME"/.cursor-server/bin/*/node; do
  if [ -n "$n" ] && [ -x "$n" ]; then echo "node=$("$n" -v 2>/dev/null) $n"; fi
done
if [ "$(id -u)" = 0 ]; then echo "sudo=root"
elif ! command -v sudo >/dev/null 2>&1; then echo "sudo=missing"
elif sudo -n true >/dev/null 2>&1; then echo "sudo=nopasswd"
else echo "sudo=password"; fi
`;

export function parseProbe(output: string): HostFacts {
  const facts: HostFacts = {
    os: '',
    arch: '',
    kernel: '',
    uid: -1,
    user: '',
    home: '',
    btf: false,
    nodes: [],
    sudo: 'missing',
  };
  for (const line of output.split('\n')) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).trim();
    switch (key) {
      case 'os':
        facts.os = value;
        break;
      case 'arch':
        facts.arch = value;
        break;
      case 'kernel':
        facts.kernel = value;
        break;
      case 'uid':
        facts.uid = Number(value);
        break;
      case 'user':
        facts.user = value;
        break;
      case 'home':
        facts.home = value;
        break;
      case 'btf':
        facts.btf = value === 'yes';
        break;
      case 'glibc':
        facts.glibc = /([\d.]+)/.exec(value)?.[1];
        break;
      case 'sudo':
        facts.sudo = value as HostFacts['sudo'];
        break;
      case 'ssh_connection':
        facts.sshConnection = parseSshConnection(value);
        break;
      case 'node': {
        const [, version, nodePath] = /^(v\d+\.\d+\.\d+)\s+(.+)$/.exec(value) ?? [];
        if (version && nodePath && !facts.nodes.some((n) => n.path === nodePath))
          facts.nodes.push({ version, path: nodePath });
      }
    }
  }
  return facts;
}

function parseSshConnection(value: string): HostFacts['sshConnection'] {
  const [clientAddress, clientPort, serverAddress, serverPort] = value.split(/\s+/);
  if (!clientAddress || !serverAddress || !serverPort) return undefined;
  return { clientAddress, clientPort: Number(clientPort), serverAddress, serverPort: Number(serverPort) };
}

/** "v20.11.1", "6.1.0-18-amd64" or "2.36" against "18", "5.8" or "2.33": major, then minor. */
function atLeast(version: string, minimum: string): boolean {
  const [major = Number.NaN, minor] = version
    .replace(/^v/, '')
    .split('.')
    .map((part) => parseInt(part, 10));
  const [wantMajor = 0, wantMinor = 0] = minimum.split('.').map(Number);
  return major > wantMajor || (major === wantMajor && (minor || 0) >= wantMinor);
}

export const MIN_NODE_MAJOR = 18;
/** The BPF ring buffer arrived in 5.8. */
export const MIN_KERNEL = '5.8';
/** The addon is linked against glibc 2.33 symbols at most. */
export const MIN_GLIBC = '2.33';

/** The agent's runtime on the host: the first Node ≥ 18 found. */
export function pickNode(facts: HostFacts): { path: string; version: string } | undefined {
  return facts.nodes.find((n) => atLeast(n.version, String(MIN_NODE_MAJOR)));
}

/** Every missing prerequisite, each a sentence telling the user what to do. Empty = ready. */
export function missingPrerequisites(host: string, facts: HostFacts, bundledArchs: readonly string[]): string[] {
  const problems: string[] = [];
  if (facts.os !== 'Linux') {
    problems.push(`${host} runs ${facts.os || 'an unknown OS'}; the capture agent needs Linux.`);
    return problems;
  }
  if (!bundledArchs.includes(facts.arch)) {
    problems.push(
      `${host} is ${facts.arch}; this build of the extension carries the capture agent for ${bundledArchs.join(', ')} only.`,
    );
  }
  if (!atLeast(facts.kernel, MIN_KERNEL)) {
    problems.push(`${host} runs Linux ${facts.kernel}; eBPF capture needs ${MIN_KERNEL} or later (BPF ring buffer).`);
  }
  if (facts.glibc !== undefined && !atLeast(facts.glibc, MIN_GLIBC)) {
    problems.push(
      `${host} has glibc ${facts.glibc}; the capture agent needs glibc ${MIN_GLIBC} or later (Debian 12, Ubuntu 22.04, RHEL 9 or newer).`,
    );
  }
  if (!pickNode(facts)) {
    const found =
      facts.nodes.length > 0 ? ` (found only ${facts.nodes.map((n) => `${n.version} at ${n.path}`).join(', ')})` : '';
    problems.push(
      `${host} has no Node.js ${MIN_NODE_MAJOR} or later on PATH${found}: install one (e.g. "sudo apt install nodejs" on Debian 12 / Ubuntu 24.04), ` +
        `or connect once with VS Code Remote-SSH, whose server brings its own.`,
    );
  }
  if (facts.sudo === 'missing') {
    problems.push(
      `sudo is not installed on ${host}, and capturing needs root: install sudo and allow ${facts.user || 'your user'} to use it, or connect as root.`,
    );
  }
  return problems;
}
