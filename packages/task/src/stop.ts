import { CancelledError } from './errors.ts';

/** Anything coro accepts as a stop signal: its own `StopToken` or a standard `AbortSignal`. */
export type StopLike = StopToken | AbortSignal;

/** Options taken by every call that can wait. */
export interface WaitOptions {
  /** Gives up when this stops (a `StopToken`, an `AbortSignal`, or a task's context). */
  readonly signal?: StopLike | { readonly stopToken: StopToken } | undefined;
  /** Gives up after this many milliseconds (a finite number ≥ 0). */
  readonly timeout?: number | undefined;
}

/**
 * A registration made by `onStop`: dispose it (or call `unregister()`) to remove the callback.
 * Removing is O(1) and safe to do more than once.
 */
export interface StopRegistration extends Disposable {
  unregister(): void;
}

type StopCallback = (reason: unknown) => void;

/** One callback in a token's intrusive list; it is its own registration. */
class Registration implements StopRegistration {
  callback: StopCallback | undefined;
  prev: Registration | undefined = undefined;
  next: Registration | undefined = undefined;
  token: StopToken | undefined;

  constructor(token: StopToken, callback: StopCallback) {
    this.token = token;
    this.callback = callback;
  }

  unregister(): void {
    const token = this.token;
    if (token === undefined) return;
    this.token = undefined;
    this.callback = undefined;
    if (this.prev === undefined) token._head = this.next;
    else this.prev.next = this.next;
    if (this.next === undefined) token._tail = this.prev;
    else this.next.prev = this.prev;
    this.prev = this.next = undefined;
  }

  [Symbol.dispose](): void {
    this.unregister();
  }
}

const noRegistration: StopRegistration = Object.freeze({
  unregister() {},
  [Symbol.dispose]() {},
});

function reportCallbackError(error: unknown): void {
  // A stop callback that throws is a bug in that callback; let it surface like a throwing
  // event listener does, without stopping the other callbacks.
  queueMicrotask(() => {
    throw error;
  });
}

/**
 * The read side of a `StopSource` (C++'s `std::stop_token`): code that should stop on request
 * checks `stopRequested` or registers `onStop`. Get one from `new StopSource().token`, from a
 * task (`ctx.stopToken`), or from an `AbortSignal` with `StopToken.fromSignal`.
 *
 * @example
 * const source = new StopSource();
 * using reg = source.token.onStop((reason) => socket.destroy());
 * source.requestStop('shutting down');
 */
export class StopToken {
  /** @internal */ _stopped = false;
  /** @internal */ _reason: unknown = undefined;
  /** @internal */ _head: Registration | undefined = undefined;
  /** @internal */ _tail: Registration | undefined = undefined;
  /** @internal */ _controller: AbortController | undefined = undefined;

  /** A token that never stops. */
  static readonly none: StopToken = new StopToken();

  /** Whether stop has been requested. */
  get stopRequested(): boolean {
    return this._stopped;
  }

  /** The reason given to `requestStop`, if any. */
  get reason(): unknown {
    return this._reason;
  }

  /**
   * Runs `callback(reason)` once, when stop is requested, or right now (synchronously) if it
   * already was. Returns a disposable registration that removes the callback.
   */
  onStop(callback: (reason: unknown) => void): StopRegistration {
    if (this._stopped) {
      callback(this._reason);
      return noRegistration;
    }
    const registration = new Registration(this, callback);
    const tail = this._tail;
    if (tail === undefined) this._head = registration;
    else {
      tail.next = registration;
      registration.prev = tail;
    }
    this._tail = registration;
    return registration;
  }

  /** Throws a `CancelledError` (whose `cause` is the stop reason) if stop was requested. */
  throwIfStopRequested(): void {
    if (this._stopped) throw toCancelledError(this._reason);
  }

  /**
   * An `AbortSignal` that aborts when this token stops (with the same reason), for passing to
   * `fetch`, `fs`, `events.once` and other APIs that take a signal. Made on first use.
   */
  get signal(): AbortSignal {
    let controller = this._controller;
    if (controller === undefined) {
      if (this._stopped) return AbortSignal.abort(this._reason);
      controller = this._controller = new AbortController();
    }
    return controller.signal;
  }

  /** A token that stops when `signal` aborts (at once if it already has). */
  static fromSignal(signal: AbortSignal): StopToken {
    return StopSource.fromSignal(signal).token;
  }

  /** A token that stops when any of `sources` stops. */
  static any(sources: Iterable<StopLike>): StopToken {
    const combined = new StopSource();
    const registrations: StopRegistration[] = [];
    for (const source of sources) {
      if (combined.stopRequested) break;
      registrations.push(onStop(source, (reason) => combined.requestStop(reason)));
    }
    // Once one source has stopped it, the others need not keep a callback for it.
    combined.token.onStop(() => {
      for (const registration of registrations) registration.unregister();
    });
    return combined.token;
  }

  /** @internal Fires every registered callback once, in registration order. */
  _fire(reason: unknown): boolean {
    if (this._stopped) return false;
    this._stopped = true;
    this._reason = reason;
    let registration = this._head;
    this._head = this._tail = undefined;
    while (registration !== undefined) {
      const next = registration.next;
      const callback = registration.callback;
      registration.token = undefined;
      registration.callback = undefined;
      registration.prev = registration.next = undefined;
      if (callback !== undefined) {
        try {
          callback(reason);
        } catch (error) {
          reportCallbackError(error);
        }
      }
      registration = next;
    }
    this._controller?.abort(reason);
    return true;
  }
}

/**
 * The write side (C++'s `std::stop_source`): `requestStop()` once, and every holder of its
 * `token` sees it. Converts to and from `AbortController` / `AbortSignal` both ways.
 *
 * @example
 * const source = StopSource.fromSignal(AbortSignal.timeout(1000));
 * await fetch(url, { signal: source.token.signal });
 */
export class StopSource {
  /** The token to hand to the code that should stop. */
  readonly token: StopToken;
  /** Whether aborting the token's AbortController already requests stop on this source. */
  #linked = false;

  constructor() {
    this.token = new StopToken();
  }

  /**
   * Requests stop: sets `stopRequested` and runs every `onStop` callback, once.
   * Returns `true` if this call made the request, `false` if stop was already requested.
   */
  requestStop(reason?: unknown): boolean {
    return this.token._fire(reason);
  }

  /** Whether stop has been requested. */
  get stopRequested(): boolean {
    return this.token._stopped;
  }

  /** An `AbortSignal` that aborts when stop is requested. */
  get signal(): AbortSignal {
    return this.token.signal;
  }

  /**
   * An `AbortController` tied to this source both ways: aborting it requests stop, and
   * requesting stop aborts it.
   */
  get abortController(): AbortController {
    const token = this.token;
    let controller = token._controller;
    if (controller === undefined) {
      controller = token._controller = new AbortController();
      if (token._stopped) controller.abort(token._reason);
    }
    if (!this.#linked && !controller.signal.aborted) {
      // The controller may already exist one-way (made by `token.signal`): link it back once.
      this.#linked = true;
      const signal = controller.signal;
      signal.addEventListener('abort', () => this.requestStop(signal.reason), { once: true });
    }
    return controller;
  }

  /** A source that requests stop when `signal` aborts; it can also be stopped on its own. */
  static fromSignal(signal: AbortSignal): StopSource {
    const source = new StopSource();
    if (signal.aborted) source.requestStop(signal.reason);
    else {
      const listener = () => source.requestStop(signal.reason);
      signal.addEventListener('abort', listener, { once: true });
      // Do not keep the listener once the source stopped for another reason.
      source.token.onStop(() => signal.removeEventListener('abort', listener));
    }
    return source;
  }

  /** A source that requests stop when `controller` aborts, and aborts it on `requestStop`. */
  static fromAbortController(controller: AbortController): StopSource {
    const source = StopSource.fromSignal(controller.signal);
    source.token.onStop((reason) => controller.abort(reason));
    return source;
  }
}

function isAbortSignal(value: unknown): value is AbortSignal {
  return value instanceof AbortSignal;
}

/** Normalises what `WaitOptions.signal` accepts to a `StopLike` (or `undefined`). */
export function toStopLike(
  source: StopLike | { readonly stopToken: StopToken } | undefined,
): StopLike | undefined {
  if (source === undefined || source instanceof StopToken || isAbortSignal(source)) return source;
  if (source !== null && typeof source === 'object' && source.stopToken instanceof StopToken) {
    return source.stopToken;
  }
  throw new TypeError('signal must be a StopToken, an AbortSignal or an object with a stopToken');
}

/** Whether a `StopToken` or `AbortSignal` has stopped. */
export function isStopRequested(source: StopLike | undefined): boolean {
  if (source === undefined) return false;
  return source instanceof StopToken ? source._stopped : source.aborted;
}

/** The stop reason of a `StopToken` or `AbortSignal`. */
export function stopReason(source: StopLike): unknown {
  return source instanceof StopToken ? source._reason : source.reason;
}

/**
 * Runs `callback(reason)` once when a `StopToken` or `AbortSignal` stops (synchronously if it
 * already has). Returns a disposable registration; dispose it when the wait is over so that
 * nothing is left behind on a long-lived token or signal.
 */
export function onStop(source: StopLike, callback: (reason: unknown) => void): StopRegistration {
  if (source instanceof StopToken) return source.onStop(callback);
  if (source.aborted) {
    callback(source.reason);
    return noRegistration;
  }
  const listener = () => callback(source.reason);
  source.addEventListener('abort', listener, { once: true });
  return new SignalRegistration(source, listener);
}

class SignalRegistration implements StopRegistration {
  signal: AbortSignal | undefined;
  listener: () => void;

  constructor(signal: AbortSignal, listener: () => void) {
    this.signal = signal;
    this.listener = listener;
  }

  unregister(): void {
    this.signal?.removeEventListener('abort', this.listener);
    this.signal = undefined;
  }

  [Symbol.dispose](): void {
    this.unregister();
  }
}

/** The `CancelledError` for a stop reason: the reason itself when it already is one. */
export function toCancelledError(reason: unknown): Error {
  if (reason instanceof CancelledError) return reason;
  return new CancelledError(
    reason === undefined
      ? 'the operation was cancelled'
      : `the operation was cancelled: ${describe(reason)}`,
    reason === undefined ? undefined : { cause: reason },
  );
}

function describe(reason: unknown): string {
  if (reason instanceof Error) return reason.message;
  return String(reason);
}
