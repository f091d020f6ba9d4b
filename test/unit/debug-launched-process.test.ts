import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { DEBUG_SESSION_ENV, findLaunchedProcess } from '../../extension/debug/launched-process.js';

/** Polls `find` until it answers or `ms` pass. */
async function waitFor<T>(find: () => T | undefined, ms = 5000): Promise<T | undefined> {
  const until = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined || Date.now() > until) return found;
    await delay(20);
  }
}

test('the launched process is the top of the tree that carries the session token', async () => {
  const token = randomUUID();
  // A shell (the launch) whose child (the service) inherits the token.
  const launch = spawn('sh', ['-c', 'sleep 30 & echo started; wait'], {
    env: { ...process.env, [DEBUG_SESSION_ENV]: token },
    stdio: ['ignore', 'pipe', 'ignore'],
    detached: true, // its own process group: killed with its child at the end
  });
  try {
    await new Promise((resolve) => launch.stdout.once('data', resolve)); // its child runs
    assert.equal(await waitFor(() => findLaunchedProcess(token)), launch.pid);
    assert.equal(findLaunchedProcess(randomUUID()), undefined);
  } finally {
    process.kill(-launch.pid!, 'SIGKILL');
  }
});
