import { CancelledError, InvalidArgumentError } from './errors.ts';

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
    unlink(token, this);
  }

  [Symbol.dispose](): void {
    this.unregister();
  }
}

const noRegistration: StopRegistration = Object.freeze({
  unregister() {},
  [Symbol.dispose]() {},
});

/**
 * Reports the error of a stop callback: a stop callback that throws is a bug in that callback;
 * it surfaces like a throwing event listener does (an uncaught exception on a later
 * microtask), without stopping the other callbacks and without throwing at the caller.
 */
function reportCallbackError(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

function runCallback(callback: StopCallback, reason: unknown): void {
  try {
    callback(reason);
  } catch (error) {
    reportCallbackError(error);
  }
}

// Module-private access to StopToken's #private state (set in its static block).
let unlink: (token: StopToken, registration: Registration) => void;
let fire: (token: StopToken, reason: unknown) => boolean;
let controllerOf: (token: StopToken, make: boolean) => AbortController | undefined;
let keepAliveWhileObserved: (token: StopToken, link: WeakLink) => void;

/**
 * A link from a parent (a token or signal) to a derived token that the parent does not keep
 * alive on its own: the derived token is held weakly while nobody observes it (no callbacks,
 * no AbortSignal view), so that a dropped derived token is collected and its registration on
 * the parent removed. While it is observed the link holds it strongly.
 */
interface WeakLink {
  readonly ref: WeakRef<StopToken>;
  strong: StopToken | undefined;
  registration: StopRegistration | undefined;
}

/** Removes a collected derived token's registrations from its parents. */
const reaper = new FinalizationRegistry<WeakLink[]>((links) => {
  for (const link of links) {
    link.registration?.unregister();
    link.registration = undefined;
  }
});

/**
 * One token per AbortSignal that derived tokens link to: the signal gets a single listener,
 * however many tokens are derived from it (an EventTarget removes a listener in O(listeners)).
 */
const hubs = new WeakMap<AbortSignal, StopToken>();

function hubOf(signal: AbortSignal): StopToken {
  let hub = hubs.get(signal);
  if (hub === undefined) {
    const made = new StopToken();
    hubs.set(signal, made);
    signal.addEventListener('abort', () => fire(made, signal.reason), { once: true });
    hub = made;
  }
  return hub;
}

/**
 * Links `child` to each of `parents`: when one stops, `child` stops with its reason. The
 * parents hold `child` only weakly (see `WeakLink`); once `child` stops, every link is removed.
 */
function linkDerived(child: StopToken, parents: Iterable<StopLike>): void {
  const links: WeakLink[] = [];
  const ref = new WeakRef(child);
  for (const parent of parents) {
    if (child.stopRequested) break;
    let source = toStopLike(parent) as StopLike;
    if (isAbortSignal(source) && !source.aborted) source = hubOf(source);
    const link: WeakLink = { ref, strong: undefined, registration: undefined };
    links.push(link);
    keepAliveWhileObserved(child, link);
    link.registration = onStop(source, (reason) => {
      const target = link.strong ?? link.ref.deref();
      if (target !== undefined) fire(target, reason);
    });
  }
  if (links.length === 0) return;
  if (child.stopRequested) {
    for (const link of links) link.registration?.unregister();
    return;
  }
  reaper.register(child, links, links);
}

/** @internal Requests stop on a token directly (for `Task`, which owns its token). */
export function requestStopOf(token: StopToken, reason: unknown): boolean {
  return fire(token, reason);
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
  #stopped = false;
  #reason: unknown = undefined;
  #head: Registration | undefined = undefined;
  #tail: Registration | undefined = undefined;
  #count = 0;
  #controller: AbortController | undefined = undefined;
  /** Weak links from parents that must hold this token strongly while it is observed. */
  #keepers: WeakLink[] | undefined = undefined;

  /** A token that never stops (frozen: nothing can stop it). */
  static readonly none: StopToken = Object.freeze(new StopToken()) as StopToken;

  static {
    unlink = (token, registration) => token.#unlink(registration);
    fire = (token, reason) => token.#fire(reason);
    controllerOf = (token, make) => {
      if (token.#controller === undefined && make && token !== StopToken.none) {
        token.#controller = new AbortController();
        if (token.#stopped) token.#controller.abort(token.#reason);
        else token.#observed();
      }
      return token.#controller;
    };
    keepAliveWhileObserved = (token, link) => {
      (token.#keepers ??= []).push(link);
      if (token.#count !== 0 || token.#controller !== undefined) link.strong = token;
    };
  }

  /** Whether stop has been requested. */
  get stopRequested(): boolean {
    return this.#stopped;
  }

  /** The reason given to `requestStop`, if any. */
  get reason(): unknown {
    return this.#reason;
  }

  /** How many `onStop` callbacks are registered now: for tests and diagnostics. */
  get registrationCount(): number {
    return this.#count;
  }

  /**
   * Runs `callback(reason)` once, when stop is requested, or right now (synchronously) if it
   * already was. Returns a disposable registration that removes the callback. A callback that
   * throws never throws at the caller (neither here nor at `requestStop`): its error is
   * reported as an uncaught exception on a later microtask.
   */
  onStop(callback: (reason: unknown) => void): StopRegistration {
    if (this.#stopped) {
      runCallback(callback, this.#reason);
      return noRegistration;
    }
    if (this === StopToken.none) return noRegistration;
    const registration = new Registration(this, callback);
    const tail = this.#tail;
    if (tail === undefined) this.#head = registration;
    else {
      tail.next = registration;
      registration.prev = tail;
    }
    this.#tail = registration;
    if (this.#count++ === 0 && this.#keepers !== undefined) this.#observed();
    return registration;
  }

  /** Throws a `CancelledError` (whose `cause` is the stop reason) if stop was requested. */
  throwIfStopRequested(): void {
    if (this.#stopped) throw toCancelledError(this.#reason);
  }

  /**
   * An `AbortSignal` that aborts when this token stops (with the same reason), for passing to
   * `fetch`, `fs`, `events.once` and other APIs that take a signal. Made on first use.
   */
  get signal(): AbortSignal {
    const controller = this.#controller;
    if (controller !== undefined) return controller.signal;
    if (this.#stopped) return AbortSignal.abort(this.#reason);
    if (this === StopToken.none) return neverAborted;
    return (controllerOf(this, true) as AbortController).signal;
  }

  /** A token that stops when `signal` aborts (at once if it already has). */
  static fromSignal(signal: AbortSignal): StopToken {
    return StopSource.fromSignal(signal).token;
  }

  /**
   * A token that stops when any of `sources` stops. The sources hold it only weakly while
   * nothing observes it, so making one per request on a server-lifetime token or signal leaves
   * nothing behind once it is dropped.
   */
  static any(sources: Iterable<StopLike>): StopToken {
    const combined = new StopToken();
    linkDerived(combined, sources);
    return combined;
  }

  #observed(): void {
    const keepers = this.#keepers;
    if (keepers !== undefined) for (const link of keepers) link.strong = this;
  }

  #unlink(registration: Registration): void {
    registration.token = undefined;
    registration.callback = undefined;
    const { prev, next } = registration;
    if (prev === undefined) this.#head = next;
    else prev.next = next;
    if (next === undefined) this.#tail = prev;
    else next.prev = prev;
    registration.prev = registration.next = undefined;
    if (--this.#count === 0 && this.#keepers !== undefined && this.#controller === undefined) {
      for (const link of this.#keepers) link.strong = undefined;
    }
  }

  /**
   * Fires every registered callback exactly once, in registration order. Each registration is
   * taken off the list before its callback runs, so a callback may unregister (or register)
   * anything without making the dispatch skip or repeat a callback.
   */
  #fire(reason: unknown): boolean {
    if (this.#stopped || this === StopToken.none) return false;
    this.#stopped = true;
    this.#reason = reason;
    const keepers = this.#keepers;
    if (keepers !== undefined) {
      this.#keepers = undefined;
      reaper.unregister(keepers);
      for (const link of keepers) {
        link.strong = undefined;
        link.registration?.unregister();
        link.registration = undefined;
      }
    }
    for (let registration = this.#head; registration !== undefined; registration = this.#head) {
      const callback = registration.callback as StopCallback;
      this.#unlink(registration);
      runCallback(callback, reason);
    }
    this.#controller?.abort(reason);
    return true;
  }
}

const neverAborted: AbortSignal = new AbortController().signal;

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
    return fire(this.token, reason);
  }

  /** Whether stop has been requested. */
  get stopRequested(): boolean {
    return this.token.stopRequested;
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
    const controller = controllerOf(token, true) as AbortController;
    if (!this.#linked && !controller.signal.aborted) {
      // The controller may already exist one-way (made by `token.signal`): link it back once.
      this.#linked = true;
      const signal = controller.signal;
      signal.addEventListener('abort', () => this.requestStop(signal.reason), { once: true });
    }
    return controller;
  }

  /**
   * A source that requests stop when `signal` aborts; it can also be stopped on its own. The
   * signal holds the source only weakly while nothing observes its token: making one per use
   * on a long-lived signal leaves no listener behind once the source is dropped.
   */
  static fromSignal(signal: AbortSignal): StopSource {
    if (!isAbortSignal(signal)) {
      throw new InvalidArgumentError(`fromSignal expects an AbortSignal, got ${typeof signal}`);
    }
    const source = new StopSource();
    linkDerived(source.token, [signal]);
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
  throw new InvalidArgumentError(
    `signal must be a StopToken, an AbortSignal or an object with a stopToken, got ${
      source === null ? 'null' : typeof source
    }`,
  );
}

/** Whether a `StopToken` or `AbortSignal` has stopped. */
export function isStopRequested(source: StopLike | undefined): boolean {
  if (source === undefined) return false;
  return source instanceof StopToken ? source.stopRequested : source.aborted;
}

/** The stop reason of a `StopToken` or `AbortSignal`. */
export function stopReason(source: StopLike): unknown {
  return source.reason;
}

/**
 * Runs `callback(reason)` once when a `StopToken` or `AbortSignal` stops (synchronously if it
 * already has). Returns a disposable registration; dispose it when the wait is over so that
 * nothing is left behind on a long-lived token or signal.
 */
export function onStop(source: StopLike, callback: (reason: unknown) => void): StopRegistration {
  if (source instanceof StopToken) return source.onStop(callback);
  if (!isAbortSignal(source)) toStopLike(source);
  if (source.aborted) {
    runCallback(callback, source.reason);
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
