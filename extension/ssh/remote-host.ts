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
  /** The kernel has BPF ring buffers (its symbols list bpf_ringbuf_reserve); undefined when that list cannot be read. */
  ringBuffer?: boolean;
  /** `sha256sum` (coreutils) is on PATH: the deploy checks the uploaded agent with it. */
  sha256sum: boolean;
  /** root: no sudo needed; nopasswd: `sudo -n` works; password: sudo asks; missing: no sudo. */
  sudo: 'root' | 'nopasswd' | 'password' | 'missing';
  /** $SSH_CONNECTION as the host sees this session: client address and port, server address and port. */
  sshConnection?: { clientAddress: string; clientPort: number; serverAddress: string; serverPort: number };
}

// Sent on stdin to `/bin/sh -s`, so it runs the same whatever the user's login shell is.
export const PROBE_SCRIPT = `
echo "os=$(uname -s)"
echo "arch=$(uname -m)"
echo "kernel=$(uname -r)"
echo "uid=$(id -u)"
echo "user=$(id -un)"
echo "home=$HOME"
if [ -r /sys/kernel/btf/vmlinux ]; then echo "btf=yes"; else echo "btf=no"; fi
echo "ssh_connection=$SSH_CONNECTION"
# A fact, not a guess from the version: distribution kernels older than 5.8 (RHEL 8) backport it.
if [ -r /proc/kallsyms ]; then
  if grep -qw bpf_ringbuf_reserve /proc/kallsyms; then echo "ringbuf=yes"; else echo "ringbuf=no"; fi
fi
if command -v sha256sum >/dev/null 2>&1; then echo "sha256sum=yes"; else echo "sha256sum=no"; fi
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
    sha256sum: false,
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
      case 'ringbuf':
        facts.ringBuffer = value === 'yes';
        break;
      case 'sha256sum':
        facts.sha256sum = value === 'yes';
        break;
      case 'sudo':
        facts.sudo = value as HostFacts['sudo'];
        break;
      case 'ssh_connection':
        facts.sshConnection = parseSshConnection(value);
        break;
    }
  }
  return facts;
}

function parseSshConnection(value: string): HostFacts['sshConnection'] {
  const [clientAddress, clientPort, serverAddress, serverPort] = value.split(/\s+/);
  if (!clientAddress || !serverAddress || !serverPort) return undefined;
  return { clientAddress, clientPort: Number(clientPort), serverAddress, serverPort: Number(serverPort) };
}

/**
 * Every missing prerequisite, each a sentence telling the user what to do, all at once. Empty =
 * ready. Only what the host's facts establish: a kernel the probe could not judge is left to the
 * agent, whose load error names what the kernel lacks. An older kernel without tcx (< 6.6) is
 * fine (the agent attaches through clsact), and so is one without BTF (the capture program uses
 * no CO-RE relocations).
 */
export function missingPrerequisites(host: string, facts: HostFacts, builtArchs: readonly string[]): string[] {
  const problems: string[] = [];
  if (facts.os !== 'Linux') {
    problems.push(`${host} runs ${facts.os || 'an unknown OS'}; the capture agent needs Linux.`);
    return problems;
  }
  if (!builtArchs.includes(facts.arch)) {
    problems.push(
      builtArchs.length === 0
        ? `This copy of the extension carries no capture agent (dist/agent/linux-*/pcap-agent): rebuild or reinstall it.`
        : `${host} is ${facts.arch || 'of an unknown architecture'}; this copy of the extension carries the capture agent for ${builtArchs.join(' and ')} only.`,
    );
  }
  if (facts.ringBuffer === false) {
    problems.push(
      `${host} runs Linux ${facts.kernel}, which has no BPF ring buffer (Linux 5.8 and later have one); the capture agent needs it: upgrade the kernel.`,
    );
  }
  if (!facts.sha256sum) {
    problems.push(
      `${host} has no sha256sum, with which the upload of the agent is checked: install coreutils (or busybox).`,
    );
  }
  if (facts.sudo === 'missing') {
    problems.push(
      `sudo is not installed on ${host}, and capturing needs root: install sudo and allow ${facts.user || 'your user'} to use it, or connect as root.`,
    );
  }
  return problems;
}
