import { IoScheduler } from '@coro/io';
import { InvalidArgumentError, readWaitOptions, type StopLike, type WaitOptions } from '@coro/task';

/** @internal Checked `{ timeout, signal }` (`Infinity`: no timeout); bad values throw. */
export function readOptions(options: WaitOptions | undefined): {
  signal: StopLike | undefined;
  timeout: number | undefined;
} {
  if (options === undefined) return { signal: undefined, timeout: undefined };
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(`options must be an object, got ${String(options)}`);
  }
  const checked = options.timeout === Infinity ? { signal: options.signal } : options;
  try {
    return readWaitOptions(checked);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw error;
    throw new InvalidArgumentError((error as Error).message, { cause: error });
  }
}

/** @internal Checks a scheduler argument. */
export function checkScheduler(value: unknown, where: string): IoScheduler {
  if (!(value instanceof IoScheduler)) {
    throw new InvalidArgumentError(`${where} expects an IoScheduler as its first argument`);
  }
  return value;
}

/** @internal Node.js timers overflow above 2³¹−1 ms: longer durations are clamped there. */
export const maxNodeTimer = 2 ** 31 - 1;
