import { IoScheduler } from '@coro/io';
import { InvalidArgumentError, readWaitOptions, type StopLike, type WaitOptions } from '@coro/task';

const noOptions: { signal: undefined; timeout: undefined } = Object.freeze({
  signal: undefined,
  timeout: undefined,
});

/** @internal Checked `{ timeout, signal }`: bad values throw `InvalidArgumentError`. */
export function readOptions(options: WaitOptions | undefined): {
  signal: StopLike | undefined;
  timeout: number | undefined;
} {
  if (options === undefined) return noOptions;
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(`options must be an object, got ${String(options)}`);
  }
  // Infinity means no timeout, everywhere in coro.
  const checked = options.timeout === Infinity ? { signal: options.signal } : options;
  try {
    return readWaitOptions(checked);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw error;
    throw new InvalidArgumentError((error as Error).message, { cause: error });
  }
}

/** @internal Checks a buffer argument. */
export function checkBuffer(value: unknown, where: string): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new InvalidArgumentError(`${where} expects a Uint8Array or Buffer, got ${typeof value}`);
  }
  return value;
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
