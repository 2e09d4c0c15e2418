import { isStopRequested, refuseUnknownOptions, type StopLike, type WaitOptions } from '@coro/task';
import { InvalidArgumentError, LockNotHeldError } from '../errors.ts';
import { waitOptionsOf } from '../internal/predicate-options.ts';
import {
  attachNext,
  GRANTED,
  type SharedCore,
  type SharedHandle,
  SharedCore as Core,
  type SharedOptions,
  sharedOptionKeys,
  takeAttached,
} from './core.ts';
import { ScopedLock } from './scoped-lock.ts';
import { readThreadWaitOptions } from './timing.ts';
import { waitOn } from './wait.ts';

const MAGIC = 0x43637672; // 'Ccvr'
const FIELDS = 0;
const WAITERS = 0;
const LABEL = 'threads ConditionVariable.wait';

/**
 * A condition variable shared by threads, used with a thread `Mutex` / `SharedMutex` guarding
 * shared memory. `wait(lock)` releases the lock while it waits and holds it again when it
 * returns, whatever it returns; `notifyOne()` / `notifyAll()` wake the oldest / every waiter on
 * any thread. Notifying is non-blocking, so it is safe while holding the lock (no deadlock).
 *
 * `wait(lock)` resolves `true` when notified; `wait(lock, predicate)` waits until `predicate()`
 * (checked under the lock) holds and resolves `true`. On timeout / stop it resolves `false`
 * (with a predicate: the predicate's final value).
 *
 * @example
 * using lock = await mutex.lock();
 * await ready.wait(lock, () => Atomics.load(view, 0) > 0, { timeout: 1000 });
 */
export class ConditionVariable {
  /** The shared memory holding this condition variable; what a structured clone carries. */
  readonly buffer: SharedArrayBuffer;
  readonly #core: SharedCore;

  /** Creates a condition variable. */
  constructor(options?: SharedOptions) {
    refuseUnknownOptions(options, sharedOptionKeys, 'threads ConditionVariable');
    const { core, buffer } = takeAttached() ?? Core.create(MAGIC, FIELDS, 1, options);
    this.#core = core;
    this.buffer = buffer;
    core.handOff = this;
  }

  /**
   * @internal Under the guard: a notification reached a thread that ended before it woke;
   * the next waiter gets it instead (a condition variable may wake spuriously anyway).
   */
  reclaim(_list: number, state: number): void {
    if (state === GRANTED) this.#core.wakeHead(WAITERS, GRANTED);
  }

  /** Rebuilds it on this thread from itself, its structured clone or its buffer. */
  static from(handle: ConditionVariable | SharedHandle): ConditionVariable {
    if (handle instanceof ConditionVariable) return handle;
    attachNext(Core.attach(handle, MAGIC, FIELDS, 1, 'ConditionVariable'));
    return new ConditionVariable();
  }

  /** How many waiters (on all threads) wait to be notified: for tests and diagnostics. */
  get waiterCount(): number {
    return this.#core.loadCount(WAITERS);
  }

  /** @internal Free waiter slots: for leak tests. */
  get _freeSlots(): number {
    return this.#core.freeSlots();
  }

  /** Wakes the oldest waiter, if any. */
  notifyOne(): void {
    const core = this.#core;
    core.lock();
    core.wakeHead(WAITERS, GRANTED);
    core.unlock();
  }

  /** Wakes every waiter, oldest first. */
  notifyAll(): void {
    const core = this.#core;
    core.lock();
    core.wakeAll(WAITERS, GRANTED);
    core.unlock();
  }

  /**
   * Releases `lock` (a held thread `ScopedLock`), waits to be notified (or, given `predicate`,
   * until it holds), then takes the lock again before resolving. Throws `LockNotHeldError` at
   * the call if `lock` is not held. `wait(lock, undefined, options)` is `wait(lock, options)`.
   */
  wait(lock: ScopedLock, options?: WaitOptions): Promise<boolean>;
  wait(lock: ScopedLock, predicate: () => boolean, options?: WaitOptions): Promise<boolean>;
  wait(
    lock: ScopedLock,
    predicateOrOptions?: (() => boolean) | WaitOptions,
    maybeOptions?: WaitOptions,
  ): Promise<boolean> {
    if (!(lock instanceof ScopedLock)) {
      throw new InvalidArgumentError(
        'ConditionVariable.wait needs the ScopedLock from a @coro/sync/threads lock()',
      );
    }
    if (!lock.isHeld) {
      throw new LockNotHeldError('ConditionVariable.wait with a lock that is not held');
    }
    const predicate = typeof predicateOrOptions === 'function' ? predicateOrOptions : undefined;
    const { signal, timeout } = readThreadWaitOptions(
      waitOptionsOf(predicateOrOptions, maybeOptions),
    );
    return this.#wait(lock, predicate, signal, timeout);
  }

  async #wait(
    lock: ScopedLock,
    predicate: (() => boolean) | undefined,
    signal: StopLike | undefined,
    timeout: number | undefined,
  ): Promise<boolean> {
    const deadline = timeout === undefined ? undefined : performance.now() + timeout;
    while (predicate === undefined || !predicate()) {
      const remaining =
        deadline === undefined ? undefined : Math.max(0, Math.ceil(deadline - performance.now()));
      if (isStopRequested(signal) || remaining === 0)
        return predicate === undefined ? false : predicate();
      const core = this.#core;
      // Queue first, then release: a notify from whoever takes the lock next reaches us.
      const enqueue = (): { waiting: Promise<number> } => {
        const slot = core.enqueue(WAITERS, 0);
        return { waiting: waitOn(core, WAITERS, slot, signal, remaining, undefined, LABEL) };
      };
      const { waiting } = core.tryLockBriefly() ? enqueue() : await core.lockAsync(enqueue);
      lock._suspend();
      const state = await waiting;
      await lock._resume();
      if (predicate === undefined) return state === GRANTED;
      if (state !== GRANTED) return predicate();
    }
    return true;
  }
}
