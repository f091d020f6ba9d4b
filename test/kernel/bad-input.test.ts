// Bad input fails before anything is attached: one clear line on stderr (a JSON error event with a
// stable code under --events json), exit status 2 for what the user can fix, 3 for what the host
// lacks (privilege), and no BPF program left on the interface.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { STATIC_AGENT, scratchDir, spawnAgent, within } from './helpers/agent.js';
import { hasClsact, ourTcFilters, ourTcx } from './helpers/bpf.js';
import { createVethPair, uniqueName, type VethPair } from './helpers/netns.js';

interface Case {
  name: string;
  args: (ns: string, dir: string) => string[];
  code: string;
  status: number;
  /** A fragment the message must contain. */
  says: RegExp;
  unprivileged?: boolean;
}

const CASES: Case[] = [
  {
    name: 'unknown interface',
    args: (ns) => ['--netns', ns, '-i', 'nope0'],
    code: 'E_NO_INTERFACE',
    status: 2,
    says: /no interface "nope0".*available: .*vA/,
  },
  {
    name: 'unknown netns',
    args: () => ['--netns', uniqueName('missing'), '-i', 'lo'],
    code: 'E_NO_NETNS',
    status: 2,
    says: /network namespace .*pcapk-.*missing does not exist/,
  },
  {
    name: 'PCA filter with a non-numeric port (tcp,abc)',
    args: (ns) => ['--netns', ns, '-i', 'vA', '-f', 'tcp,abc'],
    code: 'E_FILTER',
    status: 2,
    says: /invalid port "abc"/,
  },
  {
    name: 'PCA filter with a port out of range (tcp,70000)',
    args: (ns) => ['--netns', ns, '-i', 'vA', '-f', 'tcp,70000'],
    code: 'E_FILTER',
    status: 2,
    says: /70000/,
  },
  {
    name: 'PCA filter with an unknown protocol (foo,80)',
    args: (ns) => ['--netns', ns, '-i', 'vA', '-f', 'foo,80'],
    code: 'E_FILTER',
    status: 2,
    says: /unknown protocol "foo"/,
  },
  {
    // The filter language is libpcap's (pcap-filter(7)): what it rejects gets its own message.
    name: 'an expression libpcap rejects (tcp port 70000)',
    args: (ns) => ['--netns', ns, '-i', 'vA', '-f', 'tcp port 70000'],
    code: 'E_FILTER',
    status: 2,
    says: /invalid filter: illegal port number 70000 > 65535$/,
  },
  {
    name: 'garbage filter',
    args: (ns) => ['--netns', ns, '-i', 'vA', '-f', 'tcp port ))) &&& 1.2.3'],
    code: 'E_FILTER',
    status: 2,
    says: /invalid filter/,
  },
  {
    name: 'filter given twice',
    args: (ns) => ['--netns', ns, '-i', 'vA', '-f', 'tcp', 'udp'],
    code: 'E_USAGE',
    status: 2,
    says: /either with -f or after the options/,
  },
  {
    name: 'output in a missing directory',
    args: (ns) => ['--netns', ns, '-i', 'vA', '-w', '/proc/nonexistent/x.pcapng'],
    code: 'E_OUTPUT',
    status: 2,
    says: /cannot write \/proc\/nonexistent\/x.pcapng/,
  },
  {
    name: 'output is a directory',
    args: (ns, dir) => ['--netns', ns, '-i', 'vA', '-w', dir],
    code: 'E_OUTPUT',
    status: 2,
    says: /cannot write/,
  },
  {
    name: 'output in a directory without write permission (as nobody)',
    args: (_ns, dir) => ['-i', 'lo', '-w', path.join(dir, 'ro', 'x.pcapng')],
    code: 'E_OUTPUT',
    status: 2,
    says: /permission denied/i,
    unprivileged: true,
  },
  {
    name: 'no privilege (as nobody)',
    args: () => ['-i', 'lo', '-w', '/dev/null'],
    code: 'E_PRIVILEGE',
    status: 3,
    says: /root|CAP_BPF/,
    unprivileged: true,
  },
  {
    name: 'no privilege for the namespace (as nobody)',
    args: (ns) => ['--netns', ns, '-i', 'vA', '-w', '/dev/null'],
    code: 'E_PRIVILEGE',
    status: 3,
    says: /namespace/,
    unprivileged: true,
  },
  {
    name: '-s not a number',
    args: (ns) => ['--netns', ns, '-i', 'vA', '-s', 'big'],
    code: 'E_USAGE',
    status: 2,
    says: /-s must be a whole number/,
  },
  {
    name: '-s too large',
    args: (ns) => ['--netns', ns, '-i', 'vA', '-s', '300000'],
    code: 'E_USAGE',
    status: 2,
    says: /-s must be between 0 and 262144/,
  },
  {
    name: '-c 0',
    args: (ns) => ['--netns', ns, '-i', 'vA', '-c', '0'],
    code: 'E_USAGE',
    status: 2,
    says: /-c must be between 1/,
  },
  {
    name: '-c negative',
    args: (ns) => ['--netns', ns, '-i', 'vA', '-c', '-5'],
    code: 'E_USAGE',
    status: 2,
    says: /-c/,
  },
  {
    name: '--direction sideways',
    args: (ns) => ['--netns', ns, '-i', 'vA', '--direction', 'sideways'],
    code: 'E_USAGE',
    status: 2,
    says: /--direction must be in, out or both/,
  },
  {
    name: '--duration not a time',
    args: (ns) => ['--netns', ns, '-i', 'vA', '--duration', 'soon'],
    code: 'E_USAGE',
    status: 2,
    says: /--duration/,
  },
  {
    name: '--format unknown',
    args: (ns) => ['--netns', ns, '-i', 'vA', '--format', 'erf'],
    code: 'E_USAGE',
    status: 2,
    says: /--format must be pcapng or pcap/,
  },
  { name: 'no interface', args: (ns) => ['--netns', ns], code: 'E_USAGE', status: 2, says: /at least one -i/ },
  ...tokenCases(),
  {
    name: '--overwrite without -w FILE',
    args: (ns) => ['--netns', ns, '-i', 'vA', '--overwrite'],
    code: 'E_USAGE',
    status: 2,
    says: /--overwrite needs -w FILE/,
  },
  {
    name: 'unknown option',
    args: (ns) => ['--netns', ns, '-i', 'vA', '--frobnicate'],
    code: 'E_USAGE',
    status: 2,
    says: /frobnicate/,
  },
];

/** The token a --listen server asks for: read only from a regular file only its owner can read,
 *  never from the command line; serving without one is for loopback only. The files are made in
 *  the scratch directory by makeTokenFiles. */
function tokenCases(): Case[] {
  const listen = (ns: string) => ['--netns', ns, '-i', 'vA', '--listen', '127.0.0.1:9'];
  const withFile = (name: string, says: RegExp): Case => ({
    name: `--token-file ${name}`,
    args: (ns, dir) => [...listen(ns), '--token-file', path.join(dir, name)],
    code: 'E_USAGE',
    status: 2,
    says,
  });
  return [
    withFile('group-readable', /mode 0640 lets others read it; chmod 600/),
    withFile('symlink', /it is a symbolic link; name the file itself/),
    withFile('empty-first-line', /its first line is empty/),
    withFile('ro', /not a regular file/),
    {
      name: '--no-token off loopback',
      args: (ns) => ['--netns', ns, '-i', 'vA', '--listen', '198.18.0.1:9', '--no-token'],
      code: 'E_LISTEN',
      status: 2,
      says: /refusing to serve captures on 198\.18\.0\.1 without a token/,
    },
    {
      name: '--no-token with a token file',
      args: (ns, dir) => [...listen(ns), '--no-token', '--token-file', path.join(dir, 'good-token')],
      code: 'E_USAGE',
      status: 2,
      says: /--no-token contradicts/,
    },
    {
      name: '--no-token without --listen',
      args: (ns) => ['--netns', ns, '-i', 'vA', '--no-token'],
      code: 'E_USAGE',
      status: 2,
      says: /--no-token needs --listen/,
    },
  ];
}

function makeTokenFiles(dir: string): void {
  const write = (name: string, content: string, mode: number) => {
    fs.writeFileSync(path.join(dir, name), content);
    fs.chmodSync(path.join(dir, name), mode);
  };
  write('good-token', 's3cret\n', 0o600);
  write('group-readable', 's3cret\n', 0o640);
  write('empty-first-line', '\ns3cret\n', 0o600);
  fs.symlinkSync(path.join(dir, 'good-token'), path.join(dir, 'symlink'));
}

describe('bad input: a clear error, the right exit status, nothing attached', () => {
  let pair: VethPair;
  let dir: string;

  // The cases fail before attaching anything, so they can run side by side.
  const results = new Map<string, Promise<Awaited<ReturnType<typeof run>>>>();
  before(async () => {
    pair = await createVethPair({ tag: 'bad' });
    dir = scratchDir('bad');
    fs.chmodSync(dir, 0o755);
    fs.mkdirSync(path.join(dir, 'ro'), { mode: 0o555 });
    makeTokenFiles(dir);
    const queue = [...CASES];
    const worker = async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        const p = run(c);
        results.set(c.name, p);
        await p.catch(() => {});
      }
    };
    // Not awaited: each test awaits its own case, so one slow case never holds up the report.
    for (let i = 0; i < 4; i++) void worker();
  });

  after(() => pair?.destroy());

  function assertNothingAttached() {
    assert.deepEqual(ourTcx(pair.a.ns, pair.a.dev), [], 'no tcx program of ours on vA');
    assert.deepEqual(ourTcFilters(pair.a.ns, pair.a.dev), [], 'no tc filter of ours on vA');
    assert.equal(hasClsact(pair.a.ns, pair.a.dev), false, 'no clsact qdisc on vA');
  }

  /** Runs one case in both forms: human (one line) and --events json (one error event). */
  async function run(c: Case) {
    const args = c.args(pair.a.ns.name, dir);
    const human = spawnAgent(['capture', ...args], { unprivileged: c.unprivileged });
    const json = spawnAgent(['capture', ...args, '--events', 'json'], { unprivileged: c.unprivileged });
    const [humanExit, jsonExit] = await Promise.all([
      within(human.exited, 20_000, `${c.name}: the agent to fail`),
      within(json.exited, 20_000, `${c.name}: the agent to fail (--events json)`),
    ]);
    return { human, humanExit, json, jsonExit };
  }

  for (const c of CASES) {
    test(c.name, async () => {
      while (!results.has(c.name)) await new Promise((r) => setTimeout(r, 20));
      const { human, humanExit, json, jsonExit } = await results.get(c.name)!;
      // Human form: one line on stderr, nothing on stdout.
      assert.equal(humanExit.code, c.status, human.stderr);
      const lines = human.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, `one line on stderr, got:\n${human.stderr}`);
      assert.match(lines[0]!, /^pcap-agent: /);
      assert.match(lines[0]!, c.says);
      assert.equal(Buffer.concat(human.stdout).length, 0, 'nothing on stdout');
      // --events json: exactly one JSON error event with the stable code.
      assert.equal(jsonExit.code, c.status, json.stderr);
      assert.deepEqual(json.otherStderr, [], 'nothing but JSON on stderr');
      assert.equal(json.events.length, 1, json.stderr);
      const e = json.events[0]!;
      assert.equal(e.event, 'error');
      assert.equal(e.code, c.code);
      assert.match(String(e.message), c.says);
      assert.doesNotMatch(String(e.message), /\n/, 'one-line message');
      assertNothingAttached();
    });
  }

  test('root without CAP_BPF, CAP_SYS_ADMIN, CAP_PERFMON and CAP_NET_RAW: the load error names the missing capabilities', async () => {
    // As root in a container without --cap-add BPF: the capabilities leave the bounding set.
    // CAP_NET_RAW goes too: with it, the static agent captures through AF_PACKET instead
    // (af-packet-fallback.test.ts).
    const caps = '-bpf,-sys_admin,-perfmon,-net_raw';
    const drop = ['setpriv', `--bounding-set=${caps}`, `--inh-caps=${caps}`];
    const a = spawnAgent(['capture', '-i', 'lo', '-w', '/dev/null', '--events', 'json'], {
      command: [...drop, STATIC_AGENT],
    });
    assert.equal((await within(a.exited, 20_000, 'the agent to fail')).code, 3, a.stderr);
    const e = a.events.find((x) => x.event === 'error');
    assert.equal(e?.code, 'E_PRIVILEGE', a.stderr);
    assert.match(
      String(e?.message),
      /\(this process lacks CAP_BPF, CAP_PERFMON; capturing needs root, or CAP_BPF \+ CAP_NET_ADMIN \+ CAP_PERFMON .*--cap-add BPF --cap-add NET_ADMIN/,
    );
    assert.match(String(e?.message), /AF_PACKET capture is refused too: .*CAP_NET_RAW/);
  });

  test('an unknown command is a usage error', async () => {
    const a = spawnAgent(['captur', '-i', 'lo']);
    assert.equal((await a.exited).code, 2);
    assert.match(a.stderr, /unknown command "captur"/);
  });
});
