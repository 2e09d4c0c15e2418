import { isStopRequested, refuseUnknownOptions, type StopLike, type WaitOptions } from '@coro/task';
import { LockNotHeldError } from '../errors.ts';
import {
  attachNext,
  CANCELLED,
  GRANTED,
  type SharedCore,
  type SharedHandle,
  SharedCore as Core,
  type SharedOptions,
  sharedOptionKeys,
  THREAD_TAG,
  TIMED_OUT,
  takeAttached,
} from './core.ts';
import type { LockStatus } from './mutex.ts';
import { ScopedLock, type ThreadLockOwner } from './scoped-lock.ts';
import { readThreadWaitOptions } from './timing.ts';
import { waitOn } from './wait.ts';
import { EXCLUSIVE_HOLD_FIELDS, ExclusiveHold } from './exclusive-hold.ts';

const MAGIC = 0x4373686d; // 'Cshm'
const HOLD = 0; // the exclusive hold: held, owner, ticket (see exclusive-hold.ts)
const SHARED = EXCLUSIVE_HOLD_FIELDS; // how many shared holds there are
const ID_LOW = SHARED + 1; // a random id: this thread counts its shared holds under it
const ID_HIGH = SHARED + 2;
const FIELDS = SHARED + 3;
const WAITERS = 0;
/** A waiter's tag: its THREAD_TAG, shifted, and whether it wants a shared hold. */
const TAG_SHARED = 1;

/**
 * The shared holds this thread has, by SharedMutex id: their tickets, oldest first (a `Set`
 * iterates in insertion order). Each `ScopedLock` of a shared hold carries its ticket, so it
 * releases exactly its own hold, and a bare `unlockShared` ends the oldest — as on one loop.
 * By id, so that every copy of one mutex on this thread (`from`) sees the same holds.
 */
const sharedHolds = new Map<number, Set<number>>();
/** The last shared-hold ticket handed out on this thread; 0 is never one. */
let lastSharedTicket = 0;

/**
 * A readers–writer lock shared by threads. `lockShared()` holders may overlap; `lock()` is
 * exclusive. Waiters form one FIFO line across all threads: a waiting exclusive locker blocks
 * later shared lockers (no writer starvation), and when the lock frees up, every shared waiter
 * queued ahead of the next exclusive one is admitted at once. Both resolve with a `ScopedLock`,
 * or `'timeout'` / `'cancelled'` when they give up. Send it to workers and rebuild it there with
 * `SharedMutex.from`.
 *
 * @example
 * const rw = SharedMutex.from(workerData.rw);
 * { using read = await rw.lockShared(); total = view[0] + view[1]; }
 * { using write = await rw.lock(); view[0]++; view[1]--; }
 */
export class SharedMutex implements ThreadLockOwner {
  /** The shared memory holding this lock; what a structured clone carries. */
  readonly buffer: SharedArrayBuffer;
  readonly #core: SharedCore;
  readonly #hold: ExclusiveHold;
  readonly #id: number;

  /** Creates an unlocked shared mutex. */
  constructor(options?: SharedOptions) {
    refuseUnknownOptions(options, sharedOptionKeys, 'threads SharedMutex');
    let shared = takeAttached();
    if (shared === undefined) {
      shared = Core.create(MAGIC, FIELDS, 1, options);
      const id = crypto.getRandomValues(new Int32Array(2));
      shared.core.set(ID_LOW, id[0] as number);
      shared.core.set(ID_HIGH, (id[1] as number) & 0x1fffff);
    }
    const { core, buffer } = shared;
    this.#core = core;
    this.#hold = new ExclusiveHold(core, HOLD);
    this.buffer = buffer;
    this.#id = core.get(ID_HIGH) * 2 ** 32 + (core.get(ID_LOW) >>> 0);
    core.handOff = this;
  }

  /** Under the guard: this thread gains a shared hold; returns its ticket. */
  #addShared(): number {
    const ticket = ++lastSharedTicket;
    const holds = sharedHolds.get(this.#id);
    if (holds === undefined) sharedHolds.set(this.#id, new Set([ticket]));
    else holds.add(ticket);
    return ticket;
  }

  /** Under the guard: this thread gives up its shared hold `ticket`; whether it had it. */
  #dropShared(ticket: number): boolean {
    const holds = sharedHolds.get(this.#id);
    if (holds === undefined || !holds.delete(ticket)) return false;
    if (holds.size === 0) sharedHolds.delete(this.#id);
    return true;
  }

  /** Rebuilds the shared mutex on this thread from itself, its structured clone or its buffer. */
  static from(handle: SharedMutex | SharedHandle): SharedMutex {
    if (handle instanceof SharedMutex) return handle;
    attachNext(Core.attach(handle, MAGIC, FIELDS, 1, 'SharedMutex'));
    return new SharedMutex();
  }

  /** Whether it is held exclusively. */
  get isLocked(): boolean {
    return this.#hold.isHeld;
  }

  /** How many shared holds there are. */
  get sharedCount(): number {
    return this.#core.load(SHARED);
  }

  /** How many waiters (on all threads) are in line: for tests and diagnostics. */
  get waiterCount(): number {
    return this.#core.loadCount(WAITERS);
  }

  /** @internal Whether a thread is inside an operation on it: for tests that kill threads. */
  get _guardHeld(): boolean {
    return this.#core.guardHeld();
  }

  /** @internal Free waiter slots: for leak tests. */
  get _freeSlots(): number {
    return this.#core.freeSlots();
  }

  /** Takes the lock exclusively if nobody holds or waits for it; `undefined` otherwise. */
  tryLock(): ScopedLock | undefined {
    const core = this.#core;
    core.lock();
    const free = !this.#hold.held && core.get(SHARED) === 0 && core.count(WAITERS) === 0;
    const ticket = free ? this.#hold.take(THREAD_TAG) : 0;
    core.unlock();
    return free ? new ScopedLock(this, false, ticket) : undefined;
  }

  /** Takes a shared hold if no one holds it exclusively or waits; `undefined` otherwise. */
  tryLockShared(): ScopedLock | undefined {
    const core = this.#core;
    core.lock();
    const free = !this.#hold.held && core.count(WAITERS) === 0;
    let ticket = 0;
    if (free) {
      core.set(SHARED, core.get(SHARED) + 1);
      ticket = this.#addShared();
    }
    core.unlock();
    return free ? new ScopedLock(this, true, ticket) : undefined;
  }

  /** Waits for the exclusive lock (FIFO). */
  lock(): Promise<ScopedLock>;
  /** Waits for the exclusive lock at most `timeout` ms or until `signal` stops. */
  lock(options: WaitOptions | undefined): Promise<ScopedLock | LockStatus>;
  lock(options?: WaitOptions): Promise<ScopedLock | LockStatus> {
    return this.#lock(false, options);
  }

  /** Waits for a shared hold (FIFO, behind any exclusive waiter). */
  lockShared(): Promise<ScopedLock>;
  /** Waits for a shared hold at most `timeout` ms or until `signal` stops. */
  lockShared(options: WaitOptions | undefined): Promise<ScopedLock | LockStatus>;
  lockShared(options?: WaitOptions): Promise<ScopedLock | LockStatus> {
    return this.#lock(true, options);
  }

  #lock(shared: boolean, options: WaitOptions | undefined): Promise<ScopedLock | LockStatus> {
    const { signal, timeout } = readThreadWaitOptions(options);
    const core = this.#core;
    let now: boolean;
    try {
      now = core.tryLockBriefly();
    } catch (error) {
      return Promise.reject(error);
    }
    return now
      ? this.#locked(shared, signal, timeout)
      : core.lockAsync(() => this.#locked(shared, signal, timeout));
  }

  /** The rest of `lock` / `lockShared`, with the guard held. */
  async #locked(
    shared: boolean,
    signal: StopLike | undefined,
    timeout: number | undefined,
  ): Promise<ScopedLock | LockStatus> {
    const core = this.#core;
    // The one precedence rule: a call whose stop came first takes nothing, even a free lock.
    if (isStopRequested(signal)) {
      core.unlock();
      return 'cancelled';
    }
    if (!this.#hold.held && core.count(WAITERS) === 0) {
      if (shared) {
        core.set(SHARED, core.get(SHARED) + 1);
        const ticket = this.#addShared();
        core.unlock();
        return new ScopedLock(this, true, ticket);
      }
      if (core.get(SHARED) === 0) {
        const ticket = this.#hold.take(THREAD_TAG);
        core.unlock();
        return new ScopedLock(this, false, ticket);
      }
    }
    if (timeout === 0) {
      core.unlock();
      return 'timeout';
    }
    const slot = core.enqueue(WAITERS, (THREAD_TAG << 1) | (shared ? TAG_SHARED : 0));
    let sharedTicket = 0;
    const state = await waitOn(
      core,
      WAITERS,
      slot,
      signal,
      timeout,
      this,
      shared ? 'threads SharedMutex.lockShared' : 'threads SharedMutex.lock',
      (handed) => {
        if (handed === GRANTED && shared) sharedTicket = this.#addShared();
        return handed;
      },
    );
    // Granted exclusively: the granter made this thread the owner with a new ticket.
    if (state === GRANTED) {
      return new ScopedLock(this, shared, shared ? sharedTicket : this.#hold.ticket);
    }
    if (state === TIMED_OUT) return 'timeout';
    if (state === CANCELLED) return 'cancelled';
    throw new Error(`unexpected shared mutex wait state ${state}`);
  }

  /**
   * Releases this thread's exclusive hold. Throws `LockNotHeldError` (changing nothing) if it
   * is not held exclusively, or is held by another thread.
   */
  unlock(): void {
    const core = this.#core;
    core.lock();
    if (!this.#hold.heldHere) {
      core.unlock();
      throw new LockNotHeldError(
        !this.#hold.held
          ? 'unlock() of a SharedMutex that is not locked exclusively'
          : 'unlock() of a SharedMutex held exclusively by another thread',
      );
    }
    this.#releaseExclusive();
    core.unlock();
  }

  /**
   * Releases one shared hold of this thread without its guard: the oldest one (held longest).
   * That hold's `ScopedLock` then reports `isHeld === false`, its `unlock()` throws and its
   * dispose does nothing. Prefer releasing through the guard `lockShared()` returned: it always
   * releases exactly its own hold. Throws `LockNotHeldError` (changing nothing) if this thread
   * has none.
   */
  unlockShared(): void {
    const core = this.#core;
    core.lock();
    const holds = sharedHolds.get(this.#id);
    if (core.get(SHARED) === 0 || holds === undefined) {
      core.unlock();
      throw new LockNotHeldError(
        core.get(SHARED) === 0
          ? 'unlockShared() of a SharedMutex with no shared holder'
          : 'unlockShared() on a thread that holds no shared lock of this SharedMutex',
      );
    }
    this.#dropShared(holds.values().next().value as number);
    this.#releaseShared();
    core.unlock();
  }

  /** Under the guard. */
  #releaseExclusive(): void {
    this.#hold.clear();
    this.#dispatch();
  }

  /** Under the guard. */
  #releaseShared(): void {
    const core = this.#core;
    core.set(SHARED, core.get(SHARED) - 1);
    this.#dispatch();
  }

  /**
   * Under the guard: admits waiters from the head of the line while they fit — one exclusive
   * waiter when nobody holds the lock, or every shared waiter up to the next exclusive one.
   */
  #dispatch(): void {
    const core = this.#core;
    if (this.#hold.held) return;
    for (let slot = core.head(WAITERS); slot !== -1; slot = core.head(WAITERS)) {
      const tag = core.tag(slot);
      if ((tag & TAG_SHARED) === 0) {
        if (core.get(SHARED) !== 0) return;
        if (core.grant(WAITERS, slot, GRANTED)) {
          this.#hold.take(tag >> 1);
          return;
        }
        continue; // its thread is gone: skipped
      }
      if (core.grant(WAITERS, slot, GRANTED)) core.set(SHARED, core.get(SHARED) + 1);
    }
  }

  /** @internal A waiter left the line (under the guard): the ones behind may now fit. */
  afterLeave(_list: number): void {
    this.#dispatch();
  }

  /** @internal */
  _release(shared: boolean, ticket: number): void {
    const core = this.#core;
    core.lock();
    if (shared) {
      if (!this.#dropShared(ticket)) {
        core.unlock();
        throw new LockNotHeldError(
          'this ScopedLock no longer holds its shared hold of the SharedMutex (it was released by unlockShared()); nothing was released',
        );
      }
      this.#releaseShared();
      core.unlock();
      return;
    }
    if (!this.#hold.isHold(ticket)) {
      core.unlock();
      throw new LockNotHeldError(
        'this ScopedLock no longer holds the SharedMutex (its hold was released by unlock()); nothing was released',
      );
    }
    this.#releaseExclusive();
    core.unlock();
  }

  /** @internal Releases the hold `ticket` if it is still this thread's (what `using` does). */
  _releaseIfHeld(shared: boolean, ticket: number): void {
    if (this._holds(shared, ticket)) this._release(shared, ticket);
  }

  /** @internal */
  async _acquire(shared: boolean): Promise<number> {
    const lock = await this.#lock(shared, undefined);
    return typeof lock === 'string' ? 0 : lock._ticket;
  }

  /** @internal */
  _holds(shared: boolean, ticket: number): boolean {
    const core = this.#core;
    if (shared) return core.load(SHARED) !== 0 && sharedHolds.get(this.#id)?.has(ticket) === true;
    return this.#hold.isHoldNow(ticket);
  }

  /** @internal Under the guard: a hold was handed to a thread that ended; pass it on. */
  reclaim(_list: number, state: number, tag: number): void {
    if (state !== GRANTED) return;
    if ((tag & TAG_SHARED) === 0) this.#releaseExclusive();
    else this.#releaseShared();
  }
}
