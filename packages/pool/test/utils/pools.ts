import { afterEach } from 'vitest';
import { ThreadPool, type ThreadPoolOptions } from '../../src/index.ts';

export type Jobs = typeof import('../fixtures/jobs.ts');

export const jobsModule = new URL('../fixtures/jobs.ts', import.meta.url);

const open = new Set<ThreadPool<any>>();

/** A pool over the test jobs; every pool a test makes is terminated after it. */
export function makePool(options: Partial<ThreadPoolOptions> = {}): ThreadPool<Jobs> {
  const pool = new ThreadPool<Jobs>({ module: jobsModule, threadCount: 2, ...options });
  open.add(pool);
  return pool;
}

/** Same, for another module (typed loosely). */
export function makeUntypedPool(options: ThreadPoolOptions): ThreadPool {
  const pool = new ThreadPool(options);
  open.add(pool);
  return pool;
}

afterEach(async () => {
  const pools = [...open];
  open.clear();
  await Promise.all(pools.map((pool) => pool.terminate()));
});

/**
 * Waits until `predicate()` holds, polling; fails after `timeoutMs`, naming the predicate. The
 * default is for a loaded machine (what is awaited takes milliseconds alone) and stays under
 * the 60 s test timeout, so this message is the one seen.
 */
export async function eventually(predicate: () => boolean, timeoutMs = 45_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`not reached within ${timeoutMs} ms: ${predicate}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
