// The SSH config resolver against OpenSSH itself: every case resolves a host with resolveHost and
// with `ssh -G -F CONFIG HOST` (which prints the resolved options and never connects), then
// compares the two.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  type Destination,
  listConfiguredHosts,
  parseDestination,
  parseProxyJump,
  resolveHost,
  SshConfigError,
  type SshHostConfig,
} from '../../extension/ssh/ssh-config.js';

const homeDir = homedir();
const localUser = userInfo().username;
const haveSsh = spawnSync('ssh', ['-V'], { stdio: 'ignore' }).status === 0;
const skipWithoutSsh = { skip: haveSsh ? false : 'OpenSSH client (ssh) is not installed' };

let tempDir = '';
let fileCount = 0;
before(() => {
  tempDir = mkdtempSync(join(tmpdir(), 'ssh-config-test-'));
});
after(() => rmSync(tempDir, { recursive: true, force: true }));

/** Writes `text` under the temp dir (a fresh name unless given) and returns the absolute path. */
function writeFile(text: string, name = `config-${++fileCount}`): string {
  const file = join(tempDir, name);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** How ssh is invoked: `ssh -G -F CONFIG [-p PORT] [USER@]ALIAS`. */
interface Call {
  alias: string;
  user?: string;
  port?: number;
  /** Environment for ssh; `homeDir` must then match its HOME for Include paths. */
  env?: NodeJS.ProcessEnv;
  homeDir?: string;
}

function sshArgs(configFile: string, call: Call): string[] {
  const port = call.port === undefined ? [] : ['-p', String(call.port)];
  return ['-F', configFile, ...port, call.user === undefined ? call.alias : `${call.user}@${call.alias}`];
}

function runSshG(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync('ssh', ['-G', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env });
}

/** `ssh -G` output as option → values (identityfile repeats). */
function sshG(args: string[], env?: NodeJS.ProcessEnv): Map<string, string[]> {
  const result = runSshG(args, env);
  assert.equal(result.status, 0, `ssh -G ${args.join(' ')} failed: ${result.stderr}`);
  const options = new Map<string, string[]>();
  for (const line of result.stdout.split('\n')) {
    const space = line.indexOf(' ');
    if (space > 0)
      options.set(line.slice(0, space), [...(options.get(line.slice(0, space)) ?? []), line.slice(space + 1)]);
  }
  return options;
}

function single(options: Map<string, string[]>, key: string): string {
  const values = options.get(key) ?? [];
  assert.equal(values.length, 1, `ssh -G printed ${key} ${values.length} times`);
  return values[0] as string;
}

/**
 * `ssh -G` prints IdentityFile unexpanded, but ssh expands it (~, %-tokens, ${ENV}) exactly as it
 * expands UserKnownHostsFile and ControlPath, which -G prints expanded: so let ssh expand the paths
 * in one of those roles, from a probe config placed in front of the real one.
 */
function expandLikeSsh(paths: string[], configFile: string, call: Call): string[] {
  const quote = (p: string) => `"${p.replace(/[\\"]/g, '\\$&')}"`;
  const probe = (option: string, values: string[]) =>
    single(
      sshG(sshArgs(writeFile(`${option} ${values.map(quote).join(' ')}\nInclude ${configFile}\n`), call), call.env),
      option.toLowerCase(),
    );
  if (paths.length === 0) return [];
  // The known-hosts list comes back space-separated, so paths with spaces go one by one.
  if (paths.some((p) => /\s/.test(p))) return paths.map((p) => probe('ControlPath', [p]));
  return probe('UserKnownHostsFile', paths).split(' ');
}

/** The options both sides are compared on, named as ssh -G names them. */
interface Comparable {
  hostname: string;
  user: string;
  port: number;
  identityfile: string[];
  proxyjump: Destination[];
  userknownhostsfile: string[];
  globalknownhostsfile: string[];
  stricthostkeychecking: string;
  hashknownhosts: boolean;
  identitiesonly: boolean;
  identityagent: string | undefined;
  connecttimeout: number | undefined;
  serveraliveinterval: number;
  passwordauthentication: boolean;
  kbdinteractiveauthentication: boolean;
  pubkeyauthentication: boolean;
}

function fromResolver(config: SshHostConfig): Comparable {
  return {
    hostname: config.hostname,
    user: config.user,
    port: config.port,
    identityfile: config.identityFiles,
    proxyjump: config.proxyJump === undefined ? [] : parseProxyJump(config.proxyJump),
    userknownhostsfile: config.userKnownHostsFiles,
    globalknownhostsfile: config.globalKnownHostsFiles,
    stricthostkeychecking: config.strictHostKeyChecking,
    hashknownhosts: config.hashKnownHosts,
    identitiesonly: config.identitiesOnly,
    identityagent: config.identityAgent,
    connecttimeout: config.connectTimeoutSeconds,
    serveraliveinterval: config.serverAliveIntervalSeconds,
    passwordauthentication: config.passwordAuthentication,
    kbdinteractiveauthentication: config.kbdInteractiveAuthentication,
    pubkeyauthentication: config.pubkeyAuthentication,
  };
}

function fromSsh(options: Map<string, string[]>, expandIdentityFiles: (raw: string[]) => string[]): Comparable {
  const get = (key: string) => single(options, key);
  const fileList = (key: string) => (get(key) === 'none' ? [] : get(key).split(' '));
  const yes = (key: string) => get(key) === 'yes';
  const strict = get('stricthostkeychecking');
  return {
    hostname: get('hostname'),
    user: get('user'),
    port: Number(get('port')),
    identityfile: expandIdentityFiles(options.get('identityfile') ?? []),
    proxyjump: options.has('proxyjump') ? parseProxyJump(get('proxyjump')) : [],
    userknownhostsfile: fileList('userknownhostsfile'),
    globalknownhostsfile: fileList('globalknownhostsfile'),
    stricthostkeychecking: strict === 'true' ? 'yes' : strict === 'false' ? 'no' : strict,
    hashknownhosts: yes('hashknownhosts'),
    identitiesonly: yes('identitiesonly'),
    identityagent: options.has('identityagent') ? get('identityagent') : undefined,
    connecttimeout: get('connecttimeout') === 'none' ? undefined : Number(get('connecttimeout')),
    serveraliveinterval: Number(get('serveraliveinterval')),
    passwordauthentication: yes('passwordauthentication'),
    kbdinteractiveauthentication: yes('kbdinteractiveauthentication'),
    pubkeyauthentication: !['false', 'no'].includes(get('pubkeyauthentication')),
  };
}

function pick(comparable: Comparable, fields: readonly (keyof Comparable)[] | undefined): Partial<Comparable> {
  return fields === undefined ? comparable : Object.fromEntries(fields.map((field) => [field, comparable[field]]));
}

function resolveLikeSshG(configFile: string, call: Call): SshHostConfig {
  return resolveHost(call.alias, {
    configFile,
    systemConfigFile: '', // -F skips the system file
    homeDir: call.homeDir ?? homeDir,
    localUser,
    ...(call.user === undefined ? {} : { user: call.user }),
    ...(call.port === undefined ? {} : { port: call.port }),
  });
}

/** Resolves with both and asserts they agree (on `fields`, default all); returns ours. */
function assertSameAsSsh(
  configFile: string,
  target: string | Call,
  fields?: readonly (keyof Comparable)[],
): SshHostConfig {
  const call = typeof target === 'string' ? { alias: target } : target;
  const ours = resolveLikeSshG(configFile, call);
  const theirs = fromSsh(sshG(sshArgs(configFile, call), call.env), (raw) => expandLikeSsh(raw, configFile, call));
  assert.deepEqual(
    pick(fromResolver(ours), fields),
    pick(theirs, fields),
    `resolveHost and ssh -G disagree on ${call.alias}`,
  );
  return ours;
}

function assertConfigError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof SshConfigError, `expected SshConfigError, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  });
}

const sshKey = (name: string) => join(homeDir, '.ssh', name);

describe('resolveHost agrees with ssh -G', skipWithoutSsh, () => {
  it('resolves a plain Host block with HostName, User, Port, IdentityFile and ProxyJump', () => {
    const config = writeFile(`
Host web
    HostName web01.example.com
    User deploy
    Port 2222
    IdentityFile ~/.ssh/web_ed25519
    ProxyJump bastion
`);
    const web = assertSameAsSsh(config, 'web');
    assert.equal(web.alias, 'web');
    assert.equal(web.hostname, 'web01.example.com');
    assert.equal(web.user, 'deploy');
    assert.equal(web.port, 2222);
    assert.deepEqual(web.identityFiles, [sshKey('web_ed25519')]);
    assert.equal(web.proxyJump, 'bastion');
  });

  it('applies wildcard blocks as defaults (Host *.corp, Host *)', () => {
    const config = writeFile(`
Host *.corp
    User corp-user
    ProxyJump gw.corp
    IdentityFile ~/.ssh/corp
Host db.corp
    Port 5022
Host *
    User everyone
    ServerAliveInterval 30
    IdentitiesOnly yes
`);
    const db = assertSameAsSsh(config, 'db.corp');
    assert.equal(db.user, 'corp-user');
    assert.equal(db.port, 5022);
    assert.equal(db.identitiesOnly, true);
    assertSameAsSsh(config, 'app.corp');
    assert.equal(assertSameAsSsh(config, 'elsewhere').user, 'everyone');
  });

  it('keeps the first value obtained for each option, across blocks', () => {
    const config = writeFile(`
Host app
    User first
Host app
    User second
    Port 2200
Host *
    Port 2300
    HostName from-wildcard.example
Host app
    HostName app.internal
`);
    const app = assertSameAsSsh(config, 'app');
    assert.deepEqual([app.user, app.port, app.hostname], ['first', 2200, 'from-wildcard.example']);
  });

  it('accumulates IdentityFile in order, without duplicates', () => {
    const config = writeFile(`
Host *
    IdentityFile ~/.ssh/all
Host k*
    IdentityFile ~/.ssh/k-star
    IdentityFile ~/.ssh/all
Host keys
    IdentityFile ~/.ssh/keys
    IdentityFile /etc/keys/shared
`);
    const keys = assertSameAsSsh(config, 'keys');
    assert.deepEqual(keys.identityFiles, [sshKey('all'), sshKey('k-star'), sshKey('keys'), '/etc/keys/shared']);
    assertSameAsSsh(config, 'kite');
  });

  it('lets a negated pattern reject the whole Host line', () => {
    const config = writeFile(`
Host * !bastion !*.local
    ProxyJump bastion
    User via-jump
Host !b?d bad good
    Port 2001
Host bastion
    User jumper
`);
    assert.equal(assertSameAsSsh(config, 'server').proxyJump, 'bastion');
    assert.equal(assertSameAsSsh(config, 'bastion').user, 'jumper');
    assertSameAsSsh(config, 'printer.local');
    assert.equal(assertSameAsSsh(config, 'bad').port, 22);
    assert.equal(assertSameAsSsh(config, 'good').port, 2001);
  });

  it('evaluates Match host, originalhost, user, localuser and all, with negation', () => {
    const config = writeFile(`
Host short
    HostName Short.Example.COM
Match host *.example.com
    IdentityFile ~/.ssh/match-host
Match originalhost SHORT
    IdentityFile ~/.ssh/match-originalhost
Match user admin
    IdentityFile ~/.ssh/match-user
Match !user admin localuser ${localUser}
    IdentityFile ~/.ssh/not-admin
Match localuser nobody-by-this-name
    IdentityFile ~/.ssh/never
Match host "other,*.EXAMPLE.com" !originalhost nope
    Port 2022
Match all
    IdentityFile ~/.ssh/match-all
`);
    const short = assertSameAsSsh(config, 'short');
    assert.deepEqual(short.identityFiles, ['match-host', 'match-originalhost', 'not-admin', 'match-all'].map(sshKey));
    assert.equal(short.port, 2022);
    assertSameAsSsh(config, { alias: 'short', user: 'admin' });
    assertSameAsSsh(config, 'other');
  });

  it('runs the final pass for Match final and CanonicalizeHostname, matching Host against the hostname', () => {
    const withFinal = writeFile(`
Host alias1
    HostName Real.Example.ORG
Host real.example.org
    User from-final-pass
Match canonical
    Port 2201
Match final host real.example.org
    IdentityFile ~/.ssh/final
`);
    const resolved = assertSameAsSsh(withFinal, 'alias1');
    assert.deepEqual(
      [resolved.user, resolved.port, resolved.identityFiles],
      ['from-final-pass', 2201, [sshKey('final')]],
    );

    const canonicalOnly = writeFile(`
Host alias1
    HostName real.example.org
Host real.example.org
    User not-without-final-pass
Match canonical
    Port 2201
`);
    assert.equal(assertSameAsSsh(canonicalOnly, 'alias1').port, 22);

    const canonicalize = writeFile(`
Host alias2
    HostName real.example.org
    CanonicalizeHostname yes
Host real.example.org
    User from-canonical-pass
`);
    assert.equal(assertSameAsSsh(canonicalize, 'alias2').user, 'from-canonical-pass');
  });

  it('follows Include globs relative to ~/.ssh, in sorted order, skipping dot files', () => {
    const home = join(tempDir, 'fake-home');
    writeFile('Host inc\n    HostName inc.example\n    Port 2001\n', 'fake-home/.ssh/conf.d/10-first.conf');
    writeFile('Host inc\n    Port 2002\n    User from-second\n', 'fake-home/.ssh/conf.d/20-second.conf');
    writeFile('Host inc\n    User from-hidden-file\n', 'fake-home/.ssh/conf.d/.hidden.conf');
    writeFile('Host inc\n    User from-txt\n', 'fake-home/.ssh/conf.d/notes.txt');
    const config = writeFile(
      'Include conf.d/*.conf conf.d/missing-*.conf\nHost *\n    User fallback\n',
      'fake-home/.ssh/config',
    );
    // ssh expands "~/.ssh/..." in Include with $HOME, so both sides get the fake home; ~ in other
    // options uses the passwd entry instead, so only the fields that do not depend on it are compared.
    const call = { alias: 'inc', env: { ...process.env, HOME: home }, homeDir: home };
    const inc = assertSameAsSsh(config, call, ['hostname', 'user', 'port', 'proxyjump', 'stricthostkeychecking']);
    assert.deepEqual([inc.hostname, inc.port, inc.user], ['inc.example', 2001, 'from-second']);
  });

  it('applies an Include inside a Host block only when the block matches', () => {
    const block = writeFile(
      `
IdentityFile ~/.ssh/inherits-the-block
Host *
    IdentityFile ~/.ssh/included-star
Match all
    User included-match
Host no-such-host
`,
      'inc/block.conf',
    );
    const config = writeFile(`
Host inner
    Include ${block}
    IdentityFile ~/.ssh/after-include
Host elsewhere
    Include ${block} ${join(tempDir, 'inc/missing-*.conf')} ${join(tempDir, 'inc/absent.conf')}
Host *
    IdentityFile ~/.ssh/star
`);
    const inner = assertSameAsSsh(config, 'inner');
    assert.deepEqual(inner.identityFiles, ['inherits-the-block', 'included-star', 'after-include', 'star'].map(sshKey));
    assert.equal(inner.user, 'included-match');
    assertSameAsSsh(config, 'elsewhere');
    const other = assertSameAsSsh(config, 'unrelated');
    assert.deepEqual([other.identityFiles, other.user], [[sshKey('star')], localUser]);
  });

  it('parses Keyword=value, quotes, escapes, comments and any keyword case', () => {
    const config = writeFile(`# leading comment

Host=eq "quoted pattern"
HostName="eq.example"
    Port = 2345
 IdentityFile "~/.ssh/key with space"
 IdentityFile '~/.ssh/single quoted'
 IdentityFile ~/.ssh/escaped\\ space
 User = "u"ser   # trailing comment
PROXYJUMP=jump1
\tHASHKNOWNHOSTS\tyes\r
Host # only a comment: a Host line without patterns matches nothing
    IdentityFile ~/.ssh/not-applied
`);
    const eq = assertSameAsSsh(config, 'eq');
    assert.deepEqual(
      [eq.hostname, eq.port, eq.user, eq.proxyJump, eq.hashKnownHosts],
      ['eq.example', 2345, 'user', 'jump1', true],
    );
    assert.deepEqual(eq.identityFiles, ['key with space', 'single quoted', 'escaped space'].map(sshKey));
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: the test names ssh_config's own ${ENV} syntax
  it('expands %-tokens, ~ and ${ENV} in IdentityFile, UserKnownHostsFile and IdentityAgent', () => {
    process.env.SSH_CONFIG_TEST_DIR = 'from-environment';
    try {
      const config = writeFile(`
Host tok
    HostName %h.Tokens.example
    User remote
    Port 2022
    HostKeyAlias KeyAlias
    IdentityFile ~/.ssh/%h_%p_%r
    IdentityFile %d/.ssh/%u@%l-%L
    IdentityFile /keys/%n/%k/%C/%%/%i
    IdentityFile /keys/\${SSH_CONFIG_TEST_DIR}/id
    UserKnownHostsFile ~/.ssh/kh-%h-%p /var/lib/%r/known_hosts
    IdentityAgent ~/.ssh/agent-%n.sock
`);
      const tok = assertSameAsSsh(config, 'tok');
      assert.equal(tok.hostname, 'tok.tokens.example');
      assert.equal(tok.identityFiles[0], sshKey('tok.tokens.example_2022_remote'));
      assert.equal(tok.identityFiles[3], '/keys/from-environment/id');
      assert.equal(tok.identityAgent, sshKey('agent-tok.sock'));
    } finally {
      delete process.env.SSH_CONFIG_TEST_DIR;
    }
  });

  it('reads UserKnownHostsFile and GlobalKnownHostsFile lists, and none', () => {
    const config = writeFile(`
Host kh1
    UserKnownHostsFile ~/.ssh/kh_a ~/.ssh/kh_b /etc/kh_c
    GlobalKnownHostsFile /etc/ssh/g1 /etc/ssh/g2
Host kh2
    UserKnownHostsFile none
    GlobalKnownHostsFile none
Host kh*
    UserKnownHostsFile ~/.ssh/ignored
`);
    assert.deepEqual(assertSameAsSsh(config, 'kh1').userKnownHostsFiles, [sshKey('kh_a'), sshKey('kh_b'), '/etc/kh_c']);
    const none = assertSameAsSsh(config, 'kh2');
    assert.deepEqual([none.userKnownHostsFiles, none.globalKnownHostsFiles], [[], []]);
    assert.deepEqual(assertSameAsSsh(config, 'kh3').userKnownHostsFiles, [sshKey('ignored')]);
  });

  it('maps every StrictHostKeyChecking and HashKnownHosts spelling', () => {
    const cases = [
      ['yes', 'yes'],
      ['no', 'no'],
      ['ask', 'yes'],
      ['accept-new', 'no'],
      ['off', 'true'],
      ['true', 'false'],
      ['false', 'Yes'],
      ['ACCEPT-NEW', 'NO'],
    ] as const;
    for (const [strict, hash] of cases) {
      const config = writeFile(`Host *\n    StrictHostKeyChecking ${strict}\n    HashKnownHosts ${hash}\n`);
      assertSameAsSsh(config, 'host', ['stricthostkeychecking', 'hashknownhosts']);
    }
  });

  it('gives an alias without any matching block the defaults', () => {
    const config = writeFile('Host something-else\n    User someone\n');
    const plain = assertSameAsSsh(config, 'plain.example.net');
    assert.deepEqual(
      { ...plain, identityFiles: plain.identityFiles.length },
      {
        alias: 'plain.example.net',
        hostname: 'plain.example.net',
        user: localUser,
        port: 22,
        identityFiles: 7,
        identitiesOnly: false,
        userKnownHostsFiles: [sshKey('known_hosts'), sshKey('known_hosts2')],
        globalKnownHostsFiles: ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2'],
        strictHostKeyChecking: 'ask',
        hashKnownHosts: false,
        passwordAuthentication: true,
        kbdInteractiveAuthentication: true,
        pubkeyAuthentication: true,
        serverAliveIntervalSeconds: 0,
      },
    );
    assert.deepEqual(
      plain.identityFiles,
      ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_xmss', 'id_dsa'].map(sshKey),
    );
  });

  it('keeps a multi-hop ProxyJump, and lets ProxyJump and ProxyCommand exclude each other', () => {
    const config = writeFile(`
Host multi
    ProxyJump ops@jump1.example.com:2222,[2001:db8::1]:2200,ssh://admin@jump3.example.com:22,jump4 # last hop
Host pj-none
    ProxyJump none
Host pj-*
    ProxyJump should-not-apply
Host pc
    ProxyCommand nc %h %p
Host pc pj-after
    ProxyJump ignored-after-proxycommand
`);
    const multi = assertSameAsSsh(config, 'multi');
    assert.equal(
      multi.proxyJump,
      'ops@jump1.example.com:2222,[2001:db8::1]:2200,ssh://admin@jump3.example.com:22,jump4',
    );
    assert.deepEqual(parseProxyJump(multi.proxyJump ?? ''), [
      { user: 'ops', host: 'jump1.example.com', port: 2222 },
      { host: '2001:db8::1', port: 2200 },
      { user: 'admin', host: 'jump3.example.com', port: 22 },
      { host: 'jump4' },
    ]);
    assert.equal(assertSameAsSsh(config, 'pj-none').proxyJump, undefined);
    assert.equal(assertSameAsSsh(config, 'pc').proxyJump, undefined);
    assert.equal(assertSameAsSsh(config, 'pj-after').proxyJump, 'should-not-apply');
  });

  it('lets a user and port from the command line win, as ssh user@host -p does', () => {
    const config = writeFile(`
Host cli
    User config-user
    Port 2000
    IdentityFile ~/.ssh/%r-%p
Match user cli-user
    HostName matched-by-cli-user.example
`);
    const cli = assertSameAsSsh(config, { alias: 'cli', user: 'cli-user', port: 4000 });
    assert.deepEqual([cli.user, cli.port, cli.hostname], ['cli-user', 4000, 'matched-by-cli-user.example']);
    assertSameAsSsh(config, 'cli');
  });

  it('matches Host case-sensitively, Match host/originalhost case-insensitively, and lower-cases the hostname', () => {
    const config = writeFile(`
Host UPPER
    HostName Mixed.Case.Example
Host upper
    User lower-pattern
Match originalhost upper
    Port 2100
`);
    const upper = assertSameAsSsh(config, 'UPPER');
    assert.deepEqual(
      [upper.alias, upper.hostname, upper.user, upper.port],
      ['UPPER', 'mixed.case.example', localUser, 2100],
    );
    assertSameAsSsh(config, 'upper');
  });

  it('parses timeouts and authentication switches', () => {
    const config = writeFile(`
Host t1
    ConnectTimeout 1m30s
    ServerAliveInterval 15
    PasswordAuthentication no
    ChallengeResponseAuthentication no
    PubkeyAuthentication unbound
Host t2
    ConnectTimeout none
    KbdInteractiveAuthentication no
    PubkeyAuthentication no
Host t*
    ConnectTimeout 7
`);
    const t1 = assertSameAsSsh(config, 't1');
    assert.deepEqual(
      [
        t1.connectTimeoutSeconds,
        t1.serverAliveIntervalSeconds,
        t1.passwordAuthentication,
        t1.kbdInteractiveAuthentication,
      ],
      [90, 15, false, false],
    );
    // "none" leaves ConnectTimeout unset in OpenSSH, so a later block still sets it.
    assert.equal(assertSameAsSsh(config, 't2').connectTimeoutSeconds, 7);
  });

  it('rejects the configs ssh rejects, naming the file and line', () => {
    const cases: [string, RegExp][] = [
      ['Host other\n    Port 99999\n', /line 2: Bad port '99999'/],
      ['Host a\n    Port 0\n', /line 2: Bad port/],
      ['Host a\n    User "unterminated\n', /line 2: invalid quotes/],
      ['Match nonsense x\n', /line 1: unsupported Match attribute nonsense/],
      ['Match all host a\n', /line 1: 'all' cannot be combined/],
      ['Match host\n', /line 1: /],
      ['Host a\n    StrictHostKeyChecking maybe\n', /line 2: unsupported option "maybe"/],
      ['Host b\n    HashKnownHosts perhaps\n', /line 2: unsupported option "perhaps"/],
      ['Host\n', /line 1: no argument after keyword "host"/],
      ['Host ""\n', /line 1: keyword host empty argument/],
      ['Host a\n    ProxyJump u@::1\n', /line 2: Invalid ProxyJump/],
      ['Host a\n    UserKnownHostsFile /x none\n', /line 2: .*"none" argument must appear alone/],
      ['Host a\n    IdentityFile one two\n', /line 2: .*extra arguments/],
      ['Host a\n    ConnectTimeout 30x\n', /line 2: invalid time value/],
    ];
    for (const [text, pattern] of cases) {
      const config = writeFile(text);
      assert.notEqual(runSshG(sshArgs(config, { alias: 'a' })).status, 0, `ssh accepted ${JSON.stringify(text)}`);
      assertConfigError(
        () => resolveLikeSshG(config, { alias: 'a' }),
        new RegExp(`${config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} ${pattern.source}`),
      );
    }
    const loop = join(tempDir, 'include-loop');
    writeFile(`Include ${loop}\n`, 'include-loop');
    assert.notEqual(runSshG(sshArgs(loop, { alias: 'a' })).status, 0);
    assertConfigError(() => resolveLikeSshG(loop, { alias: 'a' }), /too many recursive configuration includes/);
    const badToken = writeFile('Host a\n    HostName %h.%p\n');
    assert.notEqual(runSshG(sshArgs(badToken, { alias: 'a' })).status, 0);
    assertConfigError(() => resolveLikeSshG(badToken, { alias: 'a' }), /HostName "%h\.%p": unknown token %p/);
    assertConfigError(() => resolveLikeSshG(writeFile(''), { alias: 'bad;host' }), /characters ssh refuses/);
  });
});

describe('resolveHost where it deliberately differs from ssh', () => {
  it('never runs Match exec: such a line does not match, negated or not', () => {
    const config = writeFile(
      'Match exec "true"\n    User from-exec\nMatch !exec "false"\n    Port 2022\nMatch host a exec "true"\n    IdentityFile ~/.ssh/exec\n',
    );
    const a = resolveLikeSshG(config, { alias: 'a' });
    assert.deepEqual([a.user, a.port, a.identityFiles.length], [localUser, 22, 7]);
  });

  it('ignores unknown keywords (ssh refuses them) so one typo does not hide every host', () => {
    const config = writeFile('Host a\n    FrobnicateLevel 11\n    User still-read\n');
    if (haveSsh) assert.notEqual(runSshG(sshArgs(config, { alias: 'a' })).status, 0);
    assert.equal(resolveLikeSshG(config, { alias: 'a' }).user, 'still-read');
  });

  it('treats a missing default ~/.ssh/config as empty but a missing explicit config file as an error', () => {
    const emptyHome = mkdtempSync(join(tempDir, 'empty-home-'));
    const resolved = resolveHost('h', { homeDir: emptyHome, localUser, systemConfigFile: '' });
    assert.deepEqual(
      [resolved.user, resolved.port, resolved.identityFiles[0]],
      [localUser, 22, join(emptyHome, '.ssh', 'id_rsa')],
    );
    assertConfigError(
      () => resolveHost('h', { configFile: join(emptyHome, 'nope'), systemConfigFile: '' }),
      /Can't open SSH config file .*nope/,
    );
  });

  it('reads the system config after the user config', () => {
    const user = writeFile('Host *\n    User from-user\n    IdentityFile ~/.ssh/user-key\n');
    const system = writeFile(
      'Host *\n    User from-system\n    Port 2022\n    IdentityFile ~/.ssh/user-key\n    IdentityFile ~/.ssh/system-key\n',
    );
    const resolved = resolveHost('h', { configFile: user, systemConfigFile: system, homeDir, localUser });
    assert.deepEqual([resolved.user, resolved.port], ['from-user', 2022]);
    // ssh only de-duplicates identity files within the user or the system configuration.
    assert.deepEqual(resolved.identityFiles, [sshKey('user-key'), sshKey('user-key'), sshKey('system-key')]);
  });
});

describe('parseDestination', () => {
  it('parses user@host, host:port, [IPv6]:port and ssh:// URIs', () => {
    const cases: [string, Destination][] = [
      ['host', { host: 'host' }],
      ['user@host', { user: 'user', host: 'host' }],
      ['host:2222', { host: 'host', port: 2222 }],
      ['user@host.example.com:2222', { user: 'user', host: 'host.example.com', port: 2222 }],
      ['user@[::1]:2222', { user: 'user', host: '::1', port: 2222 }],
      ['[fe80::1%eth0]', { host: 'fe80::1%eth0' }],
      ['10.0.0.1:22', { host: '10.0.0.1', port: 22 }],
      ['first.last@corp@host', { user: 'first.last@corp', host: 'host' }],
      ['  padded@host  ', { user: 'padded', host: 'host' }],
      ['ssh://user@host:2200', { user: 'user', host: 'host', port: 2200 }],
      ['ssh://host', { host: 'host' }],
      ['ssh://us%40er;fingerprint=x@host/', { user: 'us@er', host: 'host' }],
      ['ssh://[2001:db8::2]:22', { host: '2001:db8::2', port: 22 }],
    ];
    for (const [text, expected] of cases) assert.deepEqual(parseDestination(text), expected, text);
  });

  it('rejects bad input with a message naming it', () => {
    const cases: [string, RegExp][] = [
      ['', /missing host name/],
      ['user@', /missing host name/],
      ['@host', /empty user name/],
      [':22', /missing host name/],
      ['host:99999', /bad port "99999"/],
      ['host:0', /bad port "0"/],
      ['host:', /missing port/],
      ['host:abc', /bad port "abc"/],
      ['fe80::1', /IPv6 addresses need brackets/],
      ['[::1', /missing "]"/],
      ['[::1]x', /unexpected "x"/],
      ['ssh://host/path', /ssh:\/\/ URIs cannot have a path/],
      ['ssh://@host', /empty user name/],
      ['ssh://ho$t', /invalid host name/],
      ['host;rm -rf ~', /characters ssh refuses/],
      ['-oProxyCommand=x', /characters ssh refuses/],
      ['bad"user@host', /characters ssh refuses/],
      ['a/b', /"\/" is not allowed/],
    ];
    for (const [text, pattern] of cases) {
      assertConfigError(
        () => parseDestination(text),
        new RegExp(
          `Invalid SSH destination "${text.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}": .*${pattern.source}`,
        ),
      );
    }
  });
});

describe('parseProxyJump', () => {
  it('splits hops in order and treats none as no hops', () => {
    assert.deepEqual(parseProxyJump('none'), []);
    assert.deepEqual(parseProxyJump('NONE'), []);
    assert.deepEqual(parseProxyJump('user@jump1:2222,jump2'), [
      { user: 'user', host: 'jump1', port: 2222 },
      { host: 'jump2' },
    ]);
    assert.deepEqual(parseProxyJump('a,ssh://b@c:3 # comment'), [{ host: 'a' }, { user: 'b', host: 'c', port: 3 }]);
    assertConfigError(() => parseProxyJump('a,,b'), /Invalid ProxyJump "a,,b": missing host name/);
    assertConfigError(() => parseProxyJump('u@'), /Invalid ProxyJump/);
  });

  it('reads ssh -J specs as ssh does', skipWithoutSsh, () => {
    for (const spec of [
      'jump',
      'u@jump:2200',
      'a,b@c:3',
      'u@[2001:db8::1]:22',
      'ssh://u@h:2222',
      'x@y,ssh://u@h',
      'u@10.1.2.3',
    ]) {
      const printed = single(sshG(['-F', '/dev/null', '-J', spec, 'target']), 'proxyjump');
      assert.deepEqual(parseProxyJump(printed), parseProxyJump(spec), spec);
    }
  });
});

describe('listConfiguredHosts', () => {
  it('lists Host names without wildcards from the config and its Includes, in order, once each', () => {
    writeFile('Host delta\nHost epsilon *\n', 'list/a.conf');
    writeFile('Host eta alpha\n', 'list/b.conf');
    const inner = writeFile('Host theta\n', 'list-inner.conf');
    const config = writeFile(`
Host alpha beta
Host *.wild ?ingle !negated
Host gamma alpha
Include ${join(tempDir, 'list')}/*.conf
Match host iota
    User x
Host "with space"
Host zeta
    Include ${inner}
`);
    assert.deepEqual(listConfiguredHosts({ configFile: config, homeDir, localUser }), [
      'alpha',
      'beta',
      'gamma',
      'delta',
      'epsilon',
      'eta',
      'zeta',
      'theta',
    ]);
  });

  it('reads ~/.ssh/config by default and lists nothing when it is missing', () => {
    const home = mkdtempSync(join(tempDir, 'list-home-'));
    assert.deepEqual(listConfiguredHosts({ homeDir: home, localUser }), []);
    mkdirSync(join(home, '.ssh'));
    writeFileSync(join(home, '.ssh', 'config'), 'Host from-default\n');
    assert.deepEqual(listConfiguredHosts({ homeDir: home, localUser }), ['from-default']);
  });
});
