// Network namespaces and veth pairs for kernel tests: a private two-host network that carries only
// the traffic a test generates. Addresses come from documentation ranges (198.51.100.0/24,
// 2001:db8:100::/64) and exist only inside the namespaces created here.
//
// Quiet by construction, so packet counts are exact:
// - no IPv6 link-local address (addr_gen_mode none) and no DAD (nodad): no router solicitations,
//   no neighbour solicitations for DAD;
// - permanent neighbour entries for every peer address: no ARP and no neighbour discovery;
// - MLD reports, which joining the solicited-node group still sends when a link comes up, are
//   sent within a few ms of carrier-up (unsolicited report interval 1 ms); the fixture waits for
//   the kernel to report both ends operationally up and then for that burst to pass.
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { registerCleanup } from './cleanup.js';

export class CommandError extends Error {}

/** Runs a command synchronously; throws with its stderr on failure. Returns stdout. */
export function sh(cmd: string, args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): string {
  try {
    return execFileSync(cmd, args, {
      encoding: 'utf8',
      input: options.input,
      timeout: options.timeoutMs ?? 20_000,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (e) {
    const err = e as { stderr?: string; status?: number; message: string };
    throw new CommandError(
      `${cmd} ${args.join(' ')} failed (status ${err.status}): ${err.stderr?.trim() || err.message}`,
    );
  }
}

let counter = 0;

/** A namespace name no earlier run can have left behind: pcapk-<pid>-<n>-<tag>. */
export function uniqueName(tag: string): string {
  return `pcapk-${process.pid}-${++counter}-${tag}`;
}

export class Netns {
  private readonly undo: () => void;

  constructor(readonly name: string) {
    sh('ip', ['netns', 'add', name]);
    this.undo = registerCleanup(() => {
      try {
        execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: 10_000 });
      } catch {
        // already gone
      }
    });
    // Defaults for every device created in this namespace from now on (see the header comment).
    this.sysctl({
      'net.ipv6.conf.default.addr_gen_mode': '1',
      'net.ipv6.conf.default.accept_dad': '0',
      'net.ipv6.conf.default.mldv1_unsolicited_report_interval': '1',
      'net.ipv6.conf.default.mldv2_unsolicited_report_interval': '1',
      'net.ipv6.conf.default.router_solicitations': '0',
    });
    this.ip('link', 'set', 'lo', 'up');
  }

  /** /run/netns/NAME: what `--netns NAME` resolves to. */
  get path(): string {
    return `/run/netns/${this.name}`;
  }

  /** `ip -n NAME ARGS…` */
  ip(...args: string[]): string {
    return sh('ip', ['-n', this.name, ...args]);
  }

  /** Runs a command inside the namespace. */
  exec(cmd: string, args: readonly string[] = [], options: { input?: string; timeoutMs?: number } = {}): string {
    return sh('ip', ['netns', 'exec', this.name, cmd, ...args], options);
  }

  sysctl(values: Record<string, string>): void {
    this.exec('sysctl', ['-q', '-w', ...Object.entries(values).map(([k, v]) => `${k}=${v}`)]);
  }

  /** The kernel's view of a device (ip -j link show). */
  link(dev: string): { ifindex: number; operstate: string; mtu: number; address: string; flags: string[] } {
    return JSON.parse(this.ip('-j', 'link', 'show', 'dev', dev))[0];
  }

  destroy(): void {
    this.undo();
  }
}

export interface Host {
  ns: Netns;
  dev: string;
  mac: string;
  ip4: string;
  ip6: string;
}

export interface VethPair {
  a: Host;
  b: Host;
  destroy(): void;
}

export interface VethOptions {
  /** Short tag in the namespace names. */
  tag?: string;
  mtu?: number;
  /** false: no addresses or neighbours on the veth ends (for VLAN devices on top). */
  addresses?: boolean;
  /** The ends' IPv4 network, /24 (.1 and .2); NET4 by default. */
  net4?: string;
  /** false: IPv4 addresses and neighbours only. */
  ipv6?: boolean;
}

export const NET4 = '198.51.100';
export const NET6 = '2001:db8:100:';

/** Waits until every device reports operstate UP, then lets the link-up MLD burst pass. */
export async function settle(devices: readonly { ns: Netns; dev: string }[], timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const d of devices) {
    while (d.ns.link(d.dev).operstate !== 'UP') {
      if (Date.now() > deadline) throw new Error(`${d.dev} in ${d.ns.name} did not come up within ${timeoutMs} ms`);
      await sleep(20);
    }
  }
  // MLD: first report at once, the repeat after the 1 ms (one jiffy) interval; 100 ms is ample.
  await sleep(100);
}

/** Permanent neighbour entries both ways, so neither side ever sends ARP or neighbour solicitations. */
export function addNeighbours(x: Host, y: Host): void {
  for (const [from, to] of [
    [x, y],
    [y, x],
  ] as const) {
    for (const ip of [to.ip4, to.ip6].filter((a) => a !== ''))
      from.ns.ip('neigh', 'replace', ip, 'lladdr', to.mac, 'dev', from.dev, 'nud', 'permanent');
  }
}

/** Adds the test addresses (index 1, 2, …) to a device. */
export function addAddresses(h: Host, prefix4 = 24, prefix6 = 64): void {
  h.ns.ip('addr', 'add', `${h.ip4}/${prefix4}`, 'dev', h.dev);
  if (h.ip6 !== '') h.ns.ip('addr', 'add', `${h.ip6}/${prefix6}`, 'dev', h.dev, 'nodad');
}

/** The agent's arguments for a capture on vA of a pair, with a 1 MiB ring buffer. */
export function captureOnSideA(pair: VethPair): string[] {
  return ['--netns', pair.a.ns.name, '-i', pair.a.dev, '-B', '1024'];
}

/**
 * Two namespaces joined by a veth: vA (198.51.100.1, 2001:db8:100::1, 02:00:00:00:00:0a) and
 * vB (198.51.100.2, 2001:db8:100::2, 02:00:00:00:00:0b), with permanent neighbours (no ARP or
 * neighbour discovery). Destroyed by destroy(), or at exit.
 */

export async function createVethPair(options: VethOptions = {}): Promise<VethPair> {
  const tag = options.tag ?? 'v';
  const nsA = new Netns(uniqueName(`${tag}a`));
  let nsB: Netns | undefined;
  try {
    nsB = new Netns(uniqueName(`${tag}b`));
    const net4 = options.net4 ?? NET4;
    const ip6 = (n: number) => (options.ipv6 === false ? '' : `${NET6}:${n}`);
    const a: Host = { ns: nsA, dev: 'vA', mac: '02:00:00:00:00:0a', ip4: `${net4}.1`, ip6: ip6(1) };
    const b: Host = { ns: nsB, dev: 'vB', mac: '02:00:00:00:00:0b', ip4: `${net4}.2`, ip6: ip6(2) };
    sh('ip', [
      'link',
      'add',
      a.dev,
      'netns',
      nsA.name,
      'address',
      a.mac,
      'type',
      'veth',
      'peer',
      'name',
      b.dev,
      'netns',
      nsB.name,
      'address',
      b.mac,
    ]);
    for (const h of [a, b]) {
      if (options.mtu) h.ns.ip('link', 'set', h.dev, 'mtu', String(options.mtu));
      if (options.addresses !== false) addAddresses(h);
    }
    if (options.addresses !== false) addNeighbours(a, b);
    for (const h of [a, b]) h.ns.ip('link', 'set', h.dev, 'up');
    await settle([a, b]);
    const pair = {
      a,
      b,
      destroy: () => {
        nsA.destroy();
        nsB!.destroy();
      },
    };
    return pair;
  } catch (e) {
    nsB?.destroy();
    nsA.destroy();
    throw e;
  }
}

export function namespaceExists(name: string): boolean {
  return sh('ip', ['netns', 'list'])
    .split('\n')
    .some((l) => l.split(' ')[0] === name);
}
