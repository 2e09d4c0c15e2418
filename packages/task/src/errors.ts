/**
 * The base of every error coro throws. `code` is stable across releases and safe to match on;
 * `message` is for humans and may change.
 *
 * @example
 * try { await work() } catch (e) { if (e instanceof CoroError && e.code === 'ERR_CORO_TIMEOUT') retry() }
 */
export class CoroError extends Error {
  /** A stable, machine-readable identifier such as `'ERR_CORO_CANCELLED'`. */
  readonly code: string;

  constructor(message: string, options?: { code?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = options?.code ?? 'ERR_CORO';
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/**
 * Thrown where a value was expected but the work was stopped through a `StopToken`,
 * an `AbortSignal` or `task.requestStop()`. `cause` carries the stop reason when one was given.
 */
export class CancelledError extends CoroError {
  constructor(message = 'the operation was cancelled', options?: { cause?: unknown }) {
    super(message, { code: 'ERR_CORO_CANCELLED', cause: options?.cause });
  }
}

/** Thrown where a value was expected but the operation's `timeout` (milliseconds) ran out. */
export class TimeoutError extends CoroError {
  /** The timeout that ran out, in milliseconds. */
  readonly timeout: number | undefined;

  constructor(
    message = 'the operation timed out',
    options?: { timeout?: number; cause?: unknown },
  ) {
    super(message, { code: 'ERR_CORO_TIMEOUT', cause: options?.cause });
    this.timeout = options?.timeout;
  }
}

/**
 * Thrown at the call for a bad argument: a non-function given to `task()`, a value that cannot
 * be awaited given to `whenAll`, an empty `whenAny`, a negative or non-finite timeout.
 */
export class InvalidArgumentError extends CoroError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { code: 'ERR_CORO_INVALID_ARGUMENT', cause: options?.cause });
  }
}
