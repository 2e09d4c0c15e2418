/** A successful `Expected`: `{ ok: true, value }`. */
export interface Ok<T> {
  readonly ok: true;
  readonly value: T;
}

/** A failed `Expected`: `{ ok: false, error }`. */
export interface Err<E> {
  readonly ok: false;
  readonly error: E;
}

/**
 * libcoro's `coro::expected<T, E>`: either a value or an error, told apart by `ok`.
 * Used for outcomes that are expected rather than exceptional (`'stopped'`, `'timeout'`).
 *
 * @example
 * const item = await queue.pop();
 * if (item.ok) use(item.value); else console.log('queue', item.error);
 */
export type Expected<T, E> = Ok<T> | Err<E>;

/** Makes a successful `Expected`. */
export function ok<T>(value: T): Ok<T>;
export function ok(): Ok<void>;
export function ok<T>(value?: T): Ok<T | undefined> {
  return { ok: true, value };
}

/** Makes a failed `Expected`. */
export function err<E>(error: E): Err<E> {
  return { ok: false, error };
}

/** Type guard: the `Expected` holds a value. */
export function isOk<T, E>(result: Expected<T, E>): result is Ok<T> {
  return result.ok;
}

/** Type guard: the `Expected` holds an error. */
export function isErr<T, E>(result: Expected<T, E>): result is Err<E> {
  return !result.ok;
}

/**
 * Returns the value of an `Expected`, or throws: the error itself when it is an `Error`,
 * otherwise an `Error` whose message names it (and whose `cause` is it).
 */
export function unwrap<T, E>(result: Expected<T, E>): T {
  if (result.ok) return result.value;
  const { error } = result;
  if (error instanceof Error) throw error;
  throw new Error(`unwrap of a failed Expected: ${String(error)}`, { cause: error });
}
