// What the agent, as root, does with the paths it is given: `-w FILE` (0600, owned by the user who
// ran sudo, never through a link, never over an existing file unless --overwrite) and `--netns`
// (a name or /proc/PID/ns/net only). Refusals come before anything is attached.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type AgentEvent, type AgentExit, scratchDir, spawnAgent, within } from './helpers/agent.js';
import { Netns, uniqueName } from './helpers/netns.js';

interface Run {
  exit: AgentExit;
  events: AgentEvent[];
  stderr: string;
}

describe('paths the agent is given as root', () => {
  let ns: Netns;
  let dir: string;

  before(() => {
    ns = new Netns(uniqueName('out'));
    dir = scratchDir('out');
  });

  after(() => ns?.destroy());

  /** A capture on the namespace's lo: stopped (stdin closed) once started, or its refusal. */
  async function run(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
    const agent = spawnAgent(['capture', '--netns', ns.name, '-i', 'lo', ...args, '--events', 'json'], { env });
    const started = await Promise.race([agent.waitFor('started'), agent.exited.then(() => undefined)]);
    const exit = started ? await agent.stop() : await within(agent.exited, 10_000, 'the agent to exit');
    return { exit, events: agent.events, stderr: agent.stderr };
  }

  function assertRefused(r: Run, code: string, says: RegExp): void {
    assert.equal(r.exit.code, 2, r.stderr);
    assert.ok(!r.events.some((e) => e.event === 'started'), 'refused before anything was attached');
    const error = r.events.find((e) => e.event === 'error');
    assert.equal(error?.code, code, r.stderr);
    assert.match(String(error?.message), says);
  }

  test('-w FILE: created 0600, owned by SUDO_UID:SUDO_GID; kept unless --overwrite', async () => {
    const file = path.join(dir, 'capture.pcapng');
    const sudo = { ...process.env, SUDO_UID: '65534', SUDO_GID: '65534' };
    const first = await run(['-w', file], sudo);
    assert.equal(first.exit.code, 0, first.stderr);
    const st = fs.statSync(file);
    assert.equal(st.mode & 0o777, 0o600, 'only its owner may read a capture');
    assert.deepEqual([st.uid, st.gid], [65534, 65534], 'owned by the user who ran sudo');
    const bytes = fs.readFileSync(file);
    assert.equal(bytes.readUInt32LE(0), 0x0a0d0d0a, 'a pcapng file');

    assertRefused(await run(['-w', file]), 'E_OUTPUT', /the file exists; add --overwrite to replace it/);
    assert.deepEqual(fs.readFileSync(file), bytes, 'the existing file is untouched');

    fs.chmodSync(file, 0o644);
    const again = await run(['-w', file, '--overwrite']);
    assert.equal(again.exit.code, 0, again.stderr);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600, 'a replaced file is 0600 too');
  });

  test('-w through a symbolic link is refused, and the link target is untouched', async () => {
    const victim = path.join(dir, 'victim');
    fs.writeFileSync(victim, 'precious');
    const link = path.join(dir, 'link.pcapng');
    fs.symlinkSync(victim, link);
    for (const extra of [[], ['--overwrite']]) {
      assertRefused(await run(['-w', link, ...extra]), 'E_OUTPUT', /link\.pcapng: it is a symbolic link/);
    }
    assert.equal(fs.readFileSync(victim, 'utf8'), 'precious');
  });

  test('--netns takes a name or /proc/PID/ns/net: a path to the same namespace file is refused', async () => {
    for (const netns of [ns.path, `/run/netns/../netns/${ns.name}`, '/proc/self/ns/net']) {
      const agent = spawnAgent(['capture', '--netns', netns, '-i', 'lo', '-w', '/dev/null', '--events', 'json']);
      const exit = await within(agent.exited, 10_000, 'the agent to exit');
      assert.equal(exit.code, 2, agent.stderr);
      const error = agent.events.find((e) => e.event === 'error');
      assert.equal(error?.code, 'E_USAGE');
      assert.match(String(error?.message), /--netns takes a namespace name .* or \/proc\/PID\/ns\/net, got/);
    }
  });
});
