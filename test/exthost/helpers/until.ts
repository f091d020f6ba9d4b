// Polling for the extension-host tests: the host side changes state asynchronously.
import { setTimeout as sleep } from 'node:timers/promises';

/** Resolves with the first truthy value of `probe`, checked every 50 ms; throws after timeoutMs. */
export async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 15000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
