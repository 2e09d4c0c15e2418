import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * @internal Switches read on every task creation, start and await. Kept as plain fields of one
 * object so that, when both are off, the cost is a property load and a branch.
 */
export const switches = { tracing: false, implicitStop: false };

let storage: AsyncLocalStorage<object> | undefined;

/** @internal The store that says which task's body is running, made on first need. */
export function ensureStorage(): AsyncLocalStorage<object> {
  storage ??= new AsyncLocalStorage<object>();
  return storage;
}

/** @internal The owner of the running body (a task), when the store is in use. */
export function currentOwner(): object | undefined {
  return storage?.getStore();
}

/**
 * Opt-in implicit stop inheritance: while on, a task started from inside another task's body
 * is linked to it (`child.stopWith(parent)`), through `AsyncLocalStorage`. Off by default,
 * because it makes every task start pay for `AsyncLocalStorage.run` (about 150 ns on Node.js
 * 24), and on Node.js 20–22 merely using it slows every `await` in the process.
 */
export function setImplicitStopInheritance(on: boolean): void {
  switches.implicitStop = on;
  if (on) ensureStorage();
}

/** @internal Runs `fn` with `owner` (a task) as the current task. */
export function runWithin<R>(owner: object, fn: () => R): R {
  return ensureStorage().run(owner, fn);
}
