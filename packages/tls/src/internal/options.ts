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

/**
 * @internal Throws `InvalidArgumentError` for an own key of `options` that `known` does not
 * list (a record typed to the options interface, which the compiler keeps in step with it): a
 * misspelt option would be ignored, and a TLS setting gone quietly wrong is a security one.
 */
export function refuseUnknownOptions(
  options: object,
  known: Readonly<Record<string, true>>,
  where: string,
): void {
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(known, key)) {
      throw new InvalidArgumentError(
        `${where}: unknown option ${JSON.stringify(key)} (it takes ${Object.keys(known).join(', ')})`,
      );
    }
  }
}
