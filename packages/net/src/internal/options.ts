import { IoScheduler, type PollOp, SchedulerShutdownError } from '@coro/io';
import {
  type CheckedWaitOptions,
  InvalidArgumentError,
  readWaitOptions,
  type WaitOptions,
} from '@coro/task';

/**
 * @internal Checked `{ timeout, signal }`: @coro/task's one rule for every package (`Infinity`
 * is no timeout, `0` only if ready now; bad values throw `InvalidArgumentError`).
 */
export const readOptions: (options: WaitOptions | undefined) => CheckedWaitOptions =
  readWaitOptions;

/** @internal What a bad argument was, for an error message: `'80' (a string)`, `a Uint16Array`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `${JSON.stringify(value)} (a string)`;
  if (typeof value === 'object' || typeof value === 'function') {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== '' && name !== 'Object'
      ? `a ${name}`
      : `an ${typeof value}`;
  }
  return `${String(value)} (a ${typeof value})`;
}

/**
 * @internal Throws what the scheduler's `callAfter` would for a call about to wait under a
 * deadline it cannot arm (the scheduler is shut down), before the call sets itself up as
 * pending: one that did and then failed to arm its deadline would be left with nobody to end
 * it. Calls check here where they would arm the deadline, after whatever they answer at once.
 */
export function checkDeadline(
  scheduler: IoScheduler,
  timeout: number | undefined,
  where: string,
): void {
  if (timeout !== undefined && timeout > 0 && scheduler.state === 'stopped') {
    throw new SchedulerShutdownError(
      `${where}() with a timeout: the scheduler is shut down (it arms no deadline)`,
    );
  }
}

/**
 * @internal The error of a call whose buffer was detached (transferred) or shrunk while the
 * call was pending: it cannot go on, and what arrives meanwhile is kept for the next call.
 */
export function detachedError(call: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `the buffer of a pending ${call} was detached (or shrunk) before the call completed: a ` +
      'buffer must stay as it is until its call settles',
  );
}

/** @internal Checks a buffer argument. */
export function checkBuffer(value: unknown, where: string): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new InvalidArgumentError(
      `${where} expects a Uint8Array or Buffer, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** @internal Checks a poll op: `'read'`, `'write'` or `'readWrite'`. */
export function checkPollOp(op: unknown): PollOp {
  if (op !== 'read' && op !== 'write' && op !== 'readWrite') {
    throw new InvalidArgumentError(
      `poll op must be 'read', 'write' or 'readWrite', got ${describeValue(op)}`,
    );
  }
  return op;
}

/** @internal Checks a scheduler argument. */
export function checkScheduler(value: unknown, where: string): IoScheduler {
  if (!(value instanceof IoScheduler)) {
    throw new InvalidArgumentError(`${where} expects an IoScheduler as its first argument`);
  }
  return value;
}

/** @internal Checks a boolean option. */
export function checkBoolean(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean') {
    throw new InvalidArgumentError(`${where} must be a boolean, got ${String(value)}`);
  }
  return value;
}

/** @internal Checks an optional boolean option: `undefined` stays `undefined`. */
export function optionalBoolean(value: unknown, where: string): boolean | undefined {
  return value === undefined ? undefined : checkBoolean(value, where);
}

/** @internal The most listening sockets one server opens (`acceptors`). */
export const maxAcceptors = 64;

/** @internal Checks an `acceptors` option: an integer in 1–64. */
export function checkAcceptors(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > maxAcceptors) {
    throw new InvalidArgumentError(
      `${where} must be an integer in 1–${maxAcceptors}, got ${String(value)}`,
    );
  }
  return value;
}

/** @internal @coro/task's check of a configuring options bag (unknown keys refused). */
export { refuseUnknownOptions } from '@coro/task';
