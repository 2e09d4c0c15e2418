import {
  clearWaitTimer,
  isAwaitable,
  isStopRequested,
  onStop,
  readWaitOptions,
  refuseUnknownOptions,
  type StopLike,
  type StopRegistration,
  setWaitTimer,
  type WaitOptions,
  type WaitTimer,
} from '@coro/task';
import {
  InvalidArgumentError,
  NotAcquiredError,
  ObjectInUseError,
  ShutdownError,
} from './errors.ts';
import { checkCount } from './internal/check.ts';
import { resolvedCancelled, resolvedTimeout } from './internal/resolved.ts';
import { WaitList } from './internal/waiter.ts';

/** How an `ObjectPool` makes, checks and disposes of its objects. */
export interface ObjectPoolOptions<T> {
  /** Makes a new object (may be async). Its error rejects the `acquire()` that needed it. */
  readonly create: () => T | Promise<T>;
  /** Disposes of a discarded object, and of every object on `drain()` (may be async). */
  readonly destroy?: ((object: T) => void | Promise<void>) | undefined;
  /**
   * Checks an object before it is lent again (synchronous, so a hand-off cannot race with it):
   * `false` or a throw discards it (through `destroy`) and another is used or made; any other
   * result keeps it. It must not be `async`: the constructor refuses an async function, and a
   * Promise (or other thenable) it returns makes the `acquire()` or `release()` that ran it fail
   * with `InvalidArgumentError`, the object discarded (its check never finished).
   */
  readonly validate?: ((object: T) => boolean) | undefined;
  /** The most objects alive at once (lent, idle or being made): an integer ≥ 1. */
  readonly max: number;
  /**
   * Receives errors thrown by `destroy`, and those of a `create` whose caller had already given
   * up (timeout or signal). Defaults to `console.error`.
   */
  readonly onError?: ((error: unknown) => void) | undefined;
}

/** Every key of `ObjectPoolOptions`: the compiler keeps it in step with the interface. */
const objectPoolOptionKeys: Readonly<Record<keyof ObjectPoolOptions<unknown>, true>> = {
  create: true,
  destroy: true,
  validate: true,
  max: true,
  onError: true,
};

/** What `acquire({ timeout, signal })` resolves with when it gets no object. */
export type PoolAcquireStatus = 'timeout' | 'cancelled' | 'shutdown';

const SLOT = Symbol('slot');
const ignore = (): void => {};
const resolvedShutdown: Promise<'shutdown'> = Promise.resolve('shutdown');
type Grant<T> = PoolGuard<T> | typeof SLOT | PoolAcquireStatus;

/**
 * An object lent by an `ObjectPool`: use `value`, then `release()` it or let `using` do so.
 * `release()` a second time throws `NotAcquiredError` (nothing is released twice); disposing an
 * already released guard does nothing.
 */
export class PoolGuard<T> implements Disposable {
  /** The lent object. */
  readonly value: T;
  readonly #pool: ObjectPool<T>;

  /** @internal Made by `ObjectPool`. */
  constructor(pool: ObjectPool<T>, value: T) {
    this.#pool = pool;
    this.value = value;
  }

  /** Whether the object is still lent through this guard. */
  get isHeld(): boolean {
    return this.#pool._guardOf(this.value) === this;
  }

  /** Gives the object back. Throws `NotAcquiredError` if this guard was already released. */
  release(): void {
    if (!this.isHeld) {
      throw new NotAcquiredError('this PoolGuard was already released; nothing was released');
    }
    this.#pool.release(this.value);
  }

  /** Gives the object back if this guard still holds it (what `using` calls). */
  [Symbol.dispose](): void {
    if (this.isHeld) this.#pool.release(this.value);
  }
}

/**
 * A bounded async object pool (co's `co::Pool`, grown up): lends at most `max` objects, made on
 * demand by `create`; `acquire()` waits, first come first served, when all are lent. Objects
 * failing `validate` are destroyed and replaced; `drain()` destroys everything.
 *
 * `acquire()` resolves with a `PoolGuard` (rejects with `ShutdownError` after `drain()`, or with
 * `create`'s error); with `{ timeout }` / `{ signal }` it resolves `'timeout'`, `'cancelled'` or
 * `'shutdown'` instead of waiting on.
 *
 * @example
 * const pool = new ObjectPool({ create: () => connect(), destroy: (c) => c.close(), max: 4 });
 * {
 *   using conn = await pool.acquire();
 *   await conn.value.query('select 1');
 * } // back in the pool
 * await pool.drain();
 */
export class ObjectPool<T> {
  readonly #create: () => T | Promise<T>;
  readonly #destroy: ((object: T) => void | Promise<void>) | undefined;
  readonly #validate: ((object: T) => boolean) | undefined;
  readonly #onError: (error: unknown) => void;
  readonly #max: number;
  readonly #idle: T[] = [];
  readonly #lent = new Map<T, PoolGuard<T>>();
  /** Objects alive or being made. */
  #size = 0;
  #draining = false;
  #drained: (() => void) | undefined = undefined;
  #drainedPromise: Promise<void> | undefined = undefined;
  readonly #pending = new Set<Promise<void>>();
  readonly #waiters = new WaitList<Grant<T>>('ObjectPool.acquire', 'timeout', 'cancelled');

  /**
   * Throws `InvalidArgumentError` for a missing `create`, a `max` that is not an integer ≥ 1, a
   * `validate` that is not a synchronous function, or an option it does not take.
   */
  constructor(options: ObjectPoolOptions<T>) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError('ObjectPool needs { create, max }');
    }
    refuseUnknownOptions(options, objectPoolOptionKeys, 'ObjectPool');
    if (typeof options.create !== 'function') {
      throw new InvalidArgumentError('ObjectPool needs { create, max }');
    }
    const validate: unknown = options.validate;
    if (
      validate !== undefined &&
      (typeof validate !== 'function' ||
        Object.prototype.toString.call(validate) === '[object AsyncFunction]')
    ) {
      throw new InvalidArgumentError(
        `ObjectPool validate must be a synchronous function returning a boolean, got ${typeof validate === 'function' ? 'an async function' : typeof validate}`,
      );
    }
    this.#create = options.create;
    this.#destroy = options.destroy;
    this.#validate = options.validate;
    this.#onError =
      options.onError ?? ((error) => console.error('coro: ObjectPool destroy failed:', error));
    this.#max = checkCount(options.max, 'ObjectPool max', 1);
  }

  /** Objects alive (lent, idle or being made). */
  get size(): number {
    return this.#size;
  }

  /** Objects idle in the pool. */
  get idle(): number {
    return this.#idle.length;
  }

  /** Objects lent out now. */
  get lent(): number {
    return this.#lent.size;
  }

  /** The most objects alive at once. */
  get max(): number {
    return this.#max;
  }

  /** How many `acquire()` calls are waiting: for tests and diagnostics. */
  get waiterCount(): number {
    return this.#waiters.length;
  }

  /**
   * Borrows an object: an idle one that passes `validate`, a new one while fewer than `max`
   * exist, or the next one given back. Resolves with a `PoolGuard`; rejects with `ShutdownError`
   * after `drain()`. With `{ timeout }` / `{ signal }`: `'timeout'`, `'cancelled'`, `'shutdown'`.
   */
  acquire(): Promise<PoolGuard<T>>;
  acquire(options: WaitOptions | undefined): Promise<PoolGuard<T> | PoolAcquireStatus>;
  acquire(options?: WaitOptions): Promise<PoolGuard<T> | PoolAcquireStatus> {
    const statuses = options !== undefined;
    const { signal, timeout } = readWaitOptions(options);
    // An already-stopped signal answers first, drained or not (the precedence rule).
    if (isStopRequested(signal)) return resolvedCancelled;
    if (this.#draining) {
      return statuses
        ? resolvedShutdown
        : Promise.reject(new ShutdownError('acquire() on a drained ObjectPool'));
    }
    const idle = this.#idle;
    while (idle.length !== 0) {
      const object = idle.pop() as T;
      const valid = this.#isValid(object);
      if (valid === true) return Promise.resolve(this.#lend(object));
      this.#discard(object);
      if (valid !== false) {
        this.#slotFreed();
        return Promise.reject(valid);
      }
    }
    if (this.#size < this.#max) {
      this.#size++;
      return this.#make(statuses, signal, timeout);
    }
    if (timeout === 0) return resolvedTimeout;
    const deadline = timeout === undefined ? 0 : performance.now() + timeout;
    return this.#waiters.enqueue(undefined, signal, timeout).then((grant) => {
      if (grant === SLOT) {
        const left =
          timeout === undefined ? undefined : Math.max(1, Math.ceil(deadline - performance.now()));
        return this.#make(statuses, signal, left);
      }
      if (grant === 'shutdown' && !statuses) {
        throw new ShutdownError('the ObjectPool was drained while waiting');
      }
      return grant;
    });
  }

  /**
   * Gives a lent object back (what `PoolGuard.release()` does): to the oldest waiter, or to the
   * idle objects. Throws `NotAcquiredError` if `object` is not lent out by this pool, and
   * `InvalidArgumentError` (after discarding the object) if `validate` returned a Promise.
   */
  release(object: T): void {
    const guard = this.#lent.get(object);
    if (guard === undefined) {
      throw new NotAcquiredError('release() of an object this pool has not lent out');
    }
    this.#lent.delete(object);
    const valid = this.#draining ? false : this.#isValid(object);
    if (valid !== true) {
      this.#discard(object);
      this.#slotFreed();
      if (valid !== false) throw valid;
      return;
    }
    const waiter = this.#waiters.head;
    if (waiter !== undefined) this.#waiters.grant(waiter, this.#lend(object));
    else this.#idle.push(object);
  }

  /**
   * Stops lending: waiting and later `acquire()`s get `'shutdown'` (or `ShutdownError`), idle
   * objects are destroyed now and lent ones when given back. Resolves once every object is
   * destroyed (and every `destroy` has settled).
   */
  drain(): Promise<void> {
    if (!this.#draining) {
      this.#draining = true;
      if (this.#waiters.length !== 0) this.#waiters.grantAll('shutdown');
      const idle = this.#idle.splice(0);
      for (const object of idle) this.#discard(object);
    }
    this.#drainedPromise ??= new Promise<void>((resolve) => {
      this.#drained = resolve;
      this.#checkDrained();
    });
    return this.#drainedPromise;
  }

  /** @internal */
  _guardOf(object: T): PoolGuard<T> | undefined {
    return this.#lent.get(object);
  }

  #lend(object: T): PoolGuard<T> {
    const guard = new PoolGuard(this, object);
    this.#lent.set(object, guard);
    return guard;
  }

  /**
   * `validate`'s verdict: only `false` or a throw discards the object. A thenable is a misuse
   * (the check must be synchronous): the error to fail the call with, the object discarded.
   */
  #isValid(object: T): boolean | InvalidArgumentError {
    const validate = this.#validate;
    if (validate === undefined) return true;
    let verdict: unknown;
    try {
      verdict = validate(object);
    } catch {
      // A validator that throws has found the object unusable.
      return false;
    }
    if (!isAwaitable(verdict)) return verdict !== false;
    // Nobody will await it: a rejection must not surface as unhandled.
    Promise.resolve(verdict).then(undefined, ignore);
    return new InvalidArgumentError(
      'ObjectPool validate must be synchronous, but it returned a Promise; the object was discarded',
    );
  }

  /**
   * Makes an object in a slot already counted in `size`. With a signal or timeout the caller
   * stops waiting on time even while `create` runs; the object, when it arrives, then goes to
   * the next waiter or the idle list (or is destroyed if the pool is draining).
   */
  #make(
    statuses: boolean,
    signal: StopLike | undefined,
    timeout: number | undefined,
  ): Promise<PoolGuard<T> | PoolAcquireStatus> {
    let made: T | Promise<T>;
    try {
      made = this.#create();
    } catch (error) {
      this.#createFailed();
      return Promise.reject(error);
    }
    if (!isAwaitable(made)) {
      try {
        return Promise.resolve(this.#arrived(made, statuses));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const pending = Promise.resolve(made);
    if (signal === undefined && timeout === undefined) {
      return pending.then(
        (object) => this.#arrived(object, statuses),
        (error: unknown) => {
          this.#createFailed();
          throw error;
        },
      );
    }
    if (timeout === 0) {
      pending.then(
        (object) => this.#adopt(object),
        (error: unknown) => this.#createFailedLate(error),
      );
      return resolvedTimeout;
    }
    return new Promise((resolve, reject) => {
      let waiting = true;
      let timer: WaitTimer | undefined;
      let registration: StopRegistration | undefined;
      const end = () => {
        waiting = false;
        if (timer !== undefined) clearWaitTimer(timer);
        registration?.unregister();
      };
      pending.then(
        (object) => {
          if (!waiting) return this.#adopt(object);
          end();
          try {
            resolve(this.#arrived(object, statuses));
          } catch (error) {
            reject(error);
          }
        },
        (error: unknown) => {
          if (!waiting) return this.#createFailedLate(error);
          end();
          this.#createFailed();
          reject(error);
        },
      );
      if (timeout !== undefined) {
        timer = setWaitTimer(
          () => {
            if (!waiting) return;
            end();
            resolve('timeout');
          },
          timeout,
          0,
          0,
        );
      }
      if (signal !== undefined) {
        registration = onStop(signal, () => {
          if (!waiting) return;
          end();
          resolve('cancelled');
        });
      }
    });
  }

  /** A made object for the caller that asked for it: lent, unless it cannot be. */
  #arrived(object: T, statuses: boolean): PoolGuard<T> | PoolAcquireStatus {
    if (this.#lent.has(object) || this.#idle.includes(object)) {
      this.#createFailed();
      throw new ObjectInUseError(
        'create() returned an object the pool already holds; create must make a new object each time',
      );
    }
    if (this.#draining) {
      this.#discard(object);
      if (statuses) return 'shutdown';
      throw new ShutdownError('the ObjectPool was drained while an object was being made');
    }
    return this.#lend(object);
  }

  /** A made object whose caller gave up: to the next waiter, the idle list, or destroyed. */
  #adopt(object: T): void {
    if (this.#lent.has(object) || this.#idle.includes(object)) {
      this.#createFailedLate(
        new ObjectInUseError('create() returned an object the pool already holds'),
      );
      return;
    }
    if (this.#draining) {
      this.#discard(object);
      return;
    }
    const waiter = this.#waiters.head;
    if (waiter !== undefined) this.#waiters.grant(waiter, this.#lend(object));
    else this.#idle.push(object);
  }

  /** `create` failed (or made an unusable object): its slot is free again. */
  #createFailed(): void {
    this.#size--;
    this.#slotFreed();
    this.#checkDrained();
  }

  /** `create` failed after its caller gave up: nobody to reject, so report it. */
  #createFailedLate(error: unknown): void {
    this.#size--;
    this.#slotFreed();
    this.#checkDrained();
    this.#onError(error);
  }

  /** A slot is free: the oldest waiter gets to make an object in it. */
  #slotFreed(): void {
    if (this.#draining || this.#size >= this.#max) return;
    const waiter = this.#waiters.head;
    if (waiter === undefined) return;
    this.#size++;
    this.#waiters.grant(waiter, SLOT);
  }

  #discard(object: T): void {
    this.#size--;
    const destroy = this.#destroy;
    if (destroy !== undefined) {
      try {
        const result = destroy(object);
        if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
          const pending: Promise<void> = Promise.resolve(result).then(undefined, this.#onError);
          this.#pending.add(pending);
          void pending.then(() => {
            this.#pending.delete(pending);
            this.#checkDrained();
          });
        }
      } catch (error) {
        this.#onError(error);
      }
    }
    this.#checkDrained();
  }

  #checkDrained(): void {
    if (this.#drained !== undefined && this.#size === 0 && this.#pending.size === 0) {
      this.#drained();
      this.#drained = undefined;
    }
  }
}
