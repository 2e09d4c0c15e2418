import { CancelledError, CoroError, InvalidArgumentError, TimeoutError } from './errors.ts';

/** A `CoroError` class (or a subclass) that the registry can hand back by its `code`. */
export type CoroErrorClass = abstract new (...args: never[]) => CoroError;

/** Classes by code; several classes may share a code (told apart by their name). */
const byCode = new Map<string, CoroErrorClass[]>();

/**
 * Records which `CoroError` class stands for an error `code`, so that code which rebuilds
 * errors from data (a `ThreadPool` receiving a worker's error, say) can give them their class
 * back: `instanceof` then works on the other side of the thread boundary. Every coro package
 * registers its own errors when it is loaded; register your own `CoroError` subclasses the
 * same way. Registering the same class again does nothing. Throws `InvalidArgumentError` for
 * an empty code or a class that does not extend `CoroError`.
 *
 * @example
 * class QuotaError extends CoroError {
 *   constructor(message: string) { super(message, { code: 'ERR_APP_QUOTA' }) }
 * }
 * registerErrorClass('ERR_APP_QUOTA', QuotaError);
 */
export function registerErrorClass(code: string, errorClass: CoroErrorClass): void {
  if (typeof code !== 'string' || code === '') {
    throw new InvalidArgumentError(
      `registerErrorClass: code must be a non-empty string, got ${String(code)}`,
    );
  }
  if (
    typeof errorClass !== 'function' ||
    (errorClass !== CoroError && !(errorClass.prototype instanceof CoroError))
  ) {
    throw new InvalidArgumentError('registerErrorClass: the class must extend CoroError');
  }
  const classes = byCode.get(code);
  if (classes === undefined) byCode.set(code, [errorClass]);
  else if (!classes.includes(errorClass)) classes.push(errorClass);
}

/**
 * The class registered for `code`, or `undefined`. When several classes share the code, the
 * one whose class name is `name` wins, else the one registered first.
 *
 * @example
 * errorClassForCode('ERR_CORO_TIMEOUT'); // TimeoutError
 */
export function errorClassForCode(code: string, name?: string): CoroErrorClass | undefined {
  const classes = byCode.get(code);
  if (classes === undefined) return undefined;
  if (classes.length > 1 && name !== undefined) {
    for (const errorClass of classes) if (errorClass.name === name) return errorClass;
  }
  return classes[0];
}

registerErrorClass('ERR_CORO', CoroError);
registerErrorClass('ERR_CORO_CANCELLED', CancelledError);
registerErrorClass('ERR_CORO_TIMEOUT', TimeoutError);
registerErrorClass('ERR_CORO_INVALID_ARGUMENT', InvalidArgumentError);
