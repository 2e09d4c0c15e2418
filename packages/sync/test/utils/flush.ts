import { setImmediate as immediate } from 'node:timers/promises';

/** Lets every pending microtask run (and one macrotask turn pass). */
export async function flush(turns = 2): Promise<void> {
  for (let i = 0; i < turns; i++) await immediate();
}

/** Records the order in which promises settle. */
export function track<T>(promise: Promise<T>, log: unknown[], label: unknown): Promise<T> {
  return promise.then((value) => {
    log.push(label);
    return value;
  });
}
