import { InvalidArgumentError } from './errors.ts';

/**
 * The one check of an options bag that configures something (a constructor, a one-off call
 * such as a shutdown): `undefined` passes; anything but an object, `null` included, and an own
 * key that `known` does not list throw `InvalidArgumentError`, `<where>: unknown option "<key>"
 * (it takes a, b, c)`, because a misspelt option would otherwise be ignored and its default
 * used without a word. Type `known` as `Readonly<Record<keyof XOptions, true>>`, so that the
 * compiler keeps it in step with the options interface. The `{ signal, timeout }` of the calls
 * that wait are not checked this way (`readWaitOptions`): they are on hot paths. For packages
 * building on coro.
 *
 * @example
 * const knownKeys: Readonly<Record<keyof PoolOptions, true>> = { size: true, onError: true };
 * refuseUnknownOptions(options, knownKeys, 'Pool'); // Pool: unknown option "sise" (it takes size, onError)
 */
export function refuseUnknownOptions(
  options: unknown,
  known: Readonly<Record<string, true>>,
  where: string,
): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(
      `${where}: options must be an object, got ${options === null ? 'null' : typeof options}`,
    );
  }
  // for-in over own keys: no array per call.
  for (const key in options) {
    if (Object.hasOwn(options, key) && !Object.hasOwn(known, key)) {
      throw new InvalidArgumentError(
        `${where}: unknown option ${JSON.stringify(key)} (it takes ${Object.keys(known).join(', ')})`,
      );
    }
  }
}
