// SSH benchmark: a capture on an SSH host through our SSH target (ssh2 in Node, the agent streaming
// pcapng over the exec channel) against what users run today, `ssh HOST sudo tcpdump -U -w -`
// (OpenSSH's client and tcpdump), on the same UDP burst, in one run.
//
//   npm run bench:ssh          (as root; builds first)
//
// A benchmark, not a test: it prints figures and ratios and never fails on them. The "remote
// host" is the real sshd of the SSH tests, in a network namespace (test/ssh/helpers/sshd.ts);
// the burst goes from that namespace to the root side of its veth and is captured on the
// namespace's interface. For each tool: time from start to capturing, packets kept of those sent,
// CPU of the local side (our process's ssh2 work, or the `ssh` client), and what is left running
// on the host a second after the local side stopped.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AgentBuilds } from '../../extension/ssh/agent-deploy.js';
import { parseDestination } from '../../extension/ssh/ssh-config.js';
import { SshTarget, type SshTargetHooks } from '../../extension/targets/ssh.js';
import { REPO } from '../kernel/helpers/agent.js';
import { capinfosCount } from '../kernel/helpers/judge.js';
import { remoteAgentProcesses } from '../ssh/helpers/remote.js';
import { type SshFixture, startSshFixture } from '../ssh/helpers/sshd.js';

const BUILDS = new AgentBuilds(path.join(REPO, 'dist', 'agent'), 'bench');
const PORT = 6000;
const PACKETS = 100_000;
const PAYLOAD = 100;
const RUNS = 2;
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

interface Result {
  readyMs: number;
  sentPerSecond: number;
  kept: number;
  localCpuSeconds: number;
  leftOnHost: number;
}

function hooks(fixture: SshFixture): SshTargetHooks {
  const no = async () => undefined;
  return {
    prompts: {
      confirmHostKey: async () => false,
      passphrase: no,
      password: no,
      keyboardInteractive: no,
      sudoPassword: no,
    },
    withProgress: (_title, task) => task(() => {}),
    log: () => {},
    resolveOptions: () => ({ configFile: fixture.configFile, systemConfigFile: '' }),
    excludeOwnConnection: () => true,
    agentBuilds: () => BUILDS,
  };
}

/** PACKETS datagrams as fast as one Node process sends them, from the remote host to the root side; resolves with the rate. */
async function burst(fixture: SshFixture): Promise<number> {
  const t0 = performance.now();
  await send(fixture);
  return PACKETS / ((performance.now() - t0) / 1000);
}

function send(fixture: SshFixture): Promise<void> {
  const script =
    `const s=require('dgram').createSocket('udp4');const b=Buffer.alloc(${PAYLOAD},97);let n=0;` +
    `const next=()=>{if(n===${PACKETS})return s.close();n++;s.send(b,${PORT},'198.51.100.1',next)};next();`;
  const child = spawn('ip', ['netns', 'exec', fixture.remote.name, process.execPath, '-e', script], {
    stdio: 'ignore',
    timeout: 60_000,
  });
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`burst exited ${code}`)))),
  );
}

function cpuSecondsOf(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime + stime
}

/** Processes on the host whose command line matches PATTERN (a regex that cannot match itself). */
function processesOnHost(fixture: SshFixture, pattern: string): number {
  return Number(fixture.exec('sh', ['-c', `pgrep -f '${pattern}' | wc -l`]).trim());
}

async function ours(fixture: SshFixture, file: string): Promise<Result> {
  // From nothing, as ssh + tcpdump: connect, check the host and the agent's cache, start.
  const t0 = performance.now();
  const target = new SshTarget(parseDestination('pcap-remote'), hooks(fixture));
  const agent = await target.startCapture({
    interfaces: [fixture.remoteDev],
    filter: `udp port ${PORT}`,
    snaplen: 262144,
  });
  const out = fs.createWriteStream(file);
  agent.stdout.pipe(out);
  await new Promise<void>((resolve) =>
    agent.stderr.on('data', (d: Buffer) => {
      if (d.toString().includes('"event":"started"')) resolve();
    }),
  );
  const readyMs = performance.now() - t0;
  const cpu0 = process.cpuUsage();
  const sentPerSecond = await burst(fixture);
  await sleep(1000);
  agent.stdin.end();
  await agent.exited;
  if (!out.writableFinished) await new Promise<void>((r) => out.once('finish', () => r()));
  const used = process.cpuUsage(cpu0);
  target.dispose();
  await sleep(1000);
  return {
    readyMs,
    sentPerSecond,
    kept: capinfosCount(file),
    localCpuSeconds: (used.user + used.system) / 1e6,
    leftOnHost: remoteAgentProcesses(fixture).length,
  };
}

async function tcpdumpOverSsh(fixture: SshFixture, file: string): Promise<Result> {
  const t0 = performance.now();
  const out = fs.openSync(file, 'w');
  const ssh: ChildProcess = spawn(
    'ssh',
    [
      '-F',
      fixture.configFile,
      '-o',
      'BatchMode=yes',
      'pcap-remote',
      `sudo -n tcpdump -i ${fixture.remoteDev} -U -w - udp port ${PORT}`,
    ],
    { stdio: ['pipe', out, 'pipe'] },
  );
  await new Promise<void>((resolve) =>
    ssh.stderr!.on('data', (d: Buffer) => {
      if (/listening on/.test(d.toString())) resolve();
    }),
  );
  const readyMs = performance.now() - t0;
  const cpu0 = cpuSecondsOf(ssh.pid!);
  const sentPerSecond = await burst(fixture);
  await sleep(1000);
  const localCpuSeconds = cpuSecondsOf(ssh.pid!) - cpu0;
  ssh.kill('SIGTERM'); // what Ctrl-C in a terminal without a pty amounts to
  await new Promise((r) => ssh.once('exit', r));
  fs.closeSync(out);
  await sleep(1000);
  const leftOnHost = processesOnHost(fixture, `[t]cpdump -i ${fixture.remoteDev}`);
  fixture.exec('sh', ['-c', `pkill -f '[t]cpdump -i ${fixture.remoteDev}' || true`]);
  return { readyMs, sentPerSecond, kept: capinfosCount(file), localCpuSeconds, leftOnHost };
}

function row(name: string, r: Result): string {
  return (
    `${name.padEnd(28)} ${r.readyMs.toFixed(0).padStart(8)} ms  ${(r.sentPerSecond / 1000).toFixed(0).padStart(5)}k/s  ${String(r.kept).padStart(7)}/${PACKETS} (${((100 * r.kept) / PACKETS).toFixed(1).padStart(5)}%)  ` +
    `${r.localCpuSeconds.toFixed(2).padStart(6)} s  ${String(r.leftOnHost).padStart(3)}`
  );
}

async function main(): Promise<void> {
  const fixture = await startSshFixture();
  const dir = fs.mkdtempSync(path.join(fixture.dir, 'bench-'));
  try {
    fixture.trustHostKeys();
    await new SshTarget(parseDestination('pcap-remote'), hooks(fixture)).prepare().then((h) => h.session.close()); // the agent deployed once
    console.log(
      `${PACKETS.toLocaleString()} UDP datagrams of ${PAYLOAD} bytes, captured on the SSH host's interface, streamed back over SSH\n`,
    );
    console.log(
      `${'tool'.padEnd(28)} ${'ready'.padStart(11)}  ${'sent'.padStart(7)}  ${'kept'.padStart(23)}  ${'local CPU'.padStart(8)}  left on host`,
    );
    for (let run = 1; run <= RUNS; run++) {
      const a = await ours(fixture, path.join(dir, `ours-${run}.pcapng`));
      console.log(row(`agent over ssh2, run ${run}`, a));
      const b = await tcpdumpOverSsh(fixture, path.join(dir, `tcpdump-${run}.pcap`));
      console.log(row(`ssh + sudo tcpdump, run ${run}`, b));
      console.log(
        `  kept ratio agent/tcpdump ${(a.kept / Math.max(1, b.kept)).toFixed(2)}, local CPU ratio ${(a.localCpuSeconds / Math.max(0.001, b.localCpuSeconds)).toFixed(2)}`,
      );
    }
  } finally {
    await fixture.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
