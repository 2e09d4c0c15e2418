import { IoScheduler } from '@coro/io';
import { InvalidArgumentError } from '@coro/task';

/** @internal Checks a scheduler argument. */
export function checkScheduler(value: unknown, where: string): IoScheduler {
  if (!(value instanceof IoScheduler)) {
    throw new InvalidArgumentError(`${where} expects an IoScheduler as its first argument`);
  }
  return value;
}

/** @internal Node.js timers overflow above 2³¹−1 ms: longer durations are clamped there. */
export const maxNodeTimer = 2 ** 31 - 1;

/** @internal @coro/task's check of a configuring options bag (unknown keys refused). */
export { refuseUnknownOptions } from '@coro/task';
