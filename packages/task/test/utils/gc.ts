import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/**
 * Runs full garbage collections, with turns of the event loop between them so that WeakRefs
 * made in earlier jobs can be cleared and FinalizationRegistry callbacks can run, until
 * `done()` holds or `rounds` collections have run. Returns whether `done()` held.
 */
export async function collectUntil(done: () => boolean, rounds = 20): Promise<boolean> {
  for (let i = 0; i < rounds; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    collect();
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (done()) return true;
  }
  return done();
}

/** A full collection, then the heap in use, in bytes. */
export async function heapAfterGc(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    collect();
  }
  return process.memoryUsage().heapUsed;
}
