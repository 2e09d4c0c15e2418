import { afterEach, beforeEach, expect } from 'vitest';

/**
 * Records every `unhandledRejection` while a test runs and fails the test if there was one.
 * vitest also reports them globally; this pins the failure to the test that caused it.
 */
export function failOnUnhandledRejections(): { readonly seen: unknown[] } {
  const state = { seen: [] as unknown[] };
  const listener = (reason: unknown) => state.seen.push(reason);
  beforeEach(() => {
    state.seen.length = 0;
    process.on('unhandledRejection', listener);
  });
  afterEach(async () => {
    // Let pending rejections surface: the check runs after microtasks and one macrotask.
    await new Promise((resolve) => setImmediate(resolve));
    process.off('unhandledRejection', listener);
    expect(state.seen).toEqual([]);
  });
  return state;
}

/** A promise with its resolvers, for controlling when things happen. */
export function deferred<T = void>() {
  return Promise.withResolvers<T>();
}

/** Lets every queued microtask and one macrotask run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
