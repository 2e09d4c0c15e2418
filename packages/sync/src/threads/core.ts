/**
 * The shared-memory engine behind every primitive of `@coro/sync/threads`.
 *
 * ## Why this design
 *
 * Every primitive keeps all of its state in one `Int32Array` over a `SharedArrayBuffer`, so a
 * structured clone of it (postMessage, workerData, ThreadPool arguments) carries the very same
 * memory to another thread. The layout is:
 *
 * ```
 * [MAGIC | GUARD | SLOT_COUNT | FREE_HEAD | fields… | lists (HEAD, TAIL, COUNT)… | slots…]
 * slot = [STATE | NEXT | PREV | TAG]
 * ```
 *
 * - `GUARD` is a tiny spin lock that protects every other word. It is held only for a few dozen
 *   instructions of plain arithmetic and never across an `await`, so it is cheap to spin on; a
 *   worker that spins too long naps with `Atomics.wait` for a few microseconds, the main thread
 *   only spins (it must never block).
 * - A waiter is a *slot*: one cell of its own in shared memory, linked into a doubly linked
 *   FIFO list (a primitive has one or two lists: a mutex has one, a ring buffer one for
 *   producers and one for consumers). The waiting thread parks on its own cell with
 *   `Atomics.waitAsync`, which does not block the event loop. This is an MCS-style queue lock
 *   rather than a ticket lock: the releaser picks the head of the list and hands it the lock,
 *   permit or signal directly (`STATE = GRANTED` + `Atomics.notify` on that one cell), so a
 *   release wakes exactly the thread it is meant for (no thundering herd) and nobody can barge.
 * - Leaving the line (timeout, stop) unlinks the slot under the guard in O(1). That is what a
 *   ticket lock cannot do without a turn-skipping scheme: a waiter that left never holds up the
 *   ones behind it, because it is simply not in the list anymore.
 * - The hand-off race is decided under the guard: a waiter whose timeout or stop fires looks at
 *   its own cell. Still `WAITING` → it unlinks itself and reports `'timeout'`/`'cancelled'`.
 *   Already `GRANTED` → the grant happened first, so it keeps what it was given and reports
 *   success. A grant and a give-up can never both win, so nothing is lost or duplicated.
 * - Slots come from a fixed pool (`maxWaiters`, default 1024) kept in a free list in the same
 *   buffer; a wait that finds the pool empty throws `WaiterCapacityError` rather than spin.
 *
 * A timeout uses `setTimeout` (which, unlike a pending `Atomics.waitAsync`, keeps the process
 * alive while it runs) and a stop uses `onStop`; both are removed the moment the wait ends.
 *
 * @internal
 */
import { isMainThread } from 'node:worker_threads';
import {
  InvalidArgumentError,
  isStopRequested,
  onStop,
  readWaitOptions,
  type StopLike,
  type StopRegistration,
  traceAwait,
  type WaitOptions,
} from '@coro/task';
import { SharedStateAbandonedError, WaiterCapacityError } from './errors.ts';

const MAGIC = 0;
const GUARD = 1;
const SLOT_COUNT = 2;
const FREE_HEAD = 3;
const HEADER = 4;

const LIST_HEAD = 0;
const LIST_TAIL = 1;
const LIST_COUNT = 2;
const LIST_SIZE = 3;

const SLOT_STATE = 0;
const SLOT_NEXT = 1;
const SLOT_PREV = 2;
const SLOT_TAG = 3;
const SLOT_SIZE = 4;

const NONE = -1;

/** Slot states. */
export const FREE = 0;
export const WAITING = 1;
/** The waiter was handed what it waited for (the lock, a permit, the signal, an item). */
export const GRANTED = 2;
/** The waiter was woken without a grant: shutdown / stop of the primitive. */
export const WOKEN = 3;

/** Results of `waitOn` besides the final slot state. */
export const TIMED_OUT = -1;
export const CANCELLED = -2;

/** How long the guard may stay taken before the primitive is deemed abandoned. */
let guardAbandonedMs = 5_000;

/** @internal For tests: shortens the abandoned-guard limit. Returns the previous one. */
export function _setGuardAbandonedMs(ms: number): number {
  const previous = guardAbandonedMs;
  guardAbandonedMs = ms;
  return previous;
}

/** Default number of waiter slots a primitive has. */
export const DEFAULT_MAX_WAITERS = 1024;

type AtomicsWithPause = typeof Atomics & { pause?: (n?: number) => void };
const pause = (Atomics as AtomicsWithPause).pause?.bind(Atomics) ?? (() => {});

/** Called under the guard after a waiter unlinked itself, so a primitive can re-admit others. */
export interface LeaveHook {
  afterLeave(list: number): void;
}

/** The options every primitive accepts about its waiter slots. */
export interface SharedOptions {
  /**
   * How many waiters (across all threads) may wait at once; default 1024. Each costs 16 bytes of
   * shared memory. A wait beyond it throws `WaiterCapacityError`.
   */
  readonly maxWaiters?: number | undefined;
}

/** What `Primitive.from(...)` accepts: the instance, its structured clone, or the buffer. */
export type SharedHandle = { readonly buffer: SharedArrayBuffer } | SharedArrayBuffer;

export class SharedCore {
  readonly i32: Int32Array;
  readonly fieldsBase = HEADER;
  readonly listsBase: number;
  readonly slotsBase: number;

  constructor(i32: Int32Array, fieldCount: number, listCount: number) {
    this.i32 = i32;
    this.listsBase = HEADER + fieldCount;
    this.slotsBase = this.listsBase + listCount * LIST_SIZE;
  }

  /** Allocates and initialises the shared memory of a primitive. */
  static create(
    magic: number,
    fieldCount: number,
    listCount: number,
    options: SharedOptions | undefined,
    extraBytes = 0,
    maxExtraBytes = extraBytes,
  ): { core: SharedCore; buffer: SharedArrayBuffer } {
    const maxWaiters = options?.maxWaiters ?? DEFAULT_MAX_WAITERS;
    if (!Number.isSafeInteger(maxWaiters) || maxWaiters < 1 || maxWaiters > 1 << 20) {
      throw new InvalidArgumentError(
        `maxWaiters must be an integer from 1 to ${1 << 20}, got ${String(maxWaiters)}`,
      );
    }
    const words = HEADER + fieldCount + listCount * LIST_SIZE + maxWaiters * SLOT_SIZE;
    // Round up to 8 bytes so that a Float64Array can follow the control words.
    const controlBytes = Math.ceil((words * 4) / 8) * 8;
    // A buffer that may grow (a shared Queue) is made growable up to its maximum.
    const buffer =
      maxExtraBytes > extraBytes
        ? new SharedArrayBuffer(controlBytes + extraBytes, {
            maxByteLength: controlBytes + maxExtraBytes,
          })
        : new SharedArrayBuffer(controlBytes + extraBytes);
    const i32 = new Int32Array(buffer, 0, words);
    const core = new SharedCore(i32, fieldCount, listCount);
    i32[MAGIC] = magic;
    i32[SLOT_COUNT] = maxWaiters;
    for (let list = 0; list < listCount; list++) {
      const base = core.listsBase + list * LIST_SIZE;
      i32[base + LIST_HEAD] = NONE;
      i32[base + LIST_TAIL] = NONE;
    }
    for (let slot = 0; slot < maxWaiters; slot++) {
      i32[core.slotsBase + slot * SLOT_SIZE + SLOT_NEXT] = slot + 1 < maxWaiters ? slot + 1 : NONE;
    }
    i32[FREE_HEAD] = 0;
    return { core, buffer };
  }

  /** Reattaches to a primitive's memory after a structured clone, checking what it is. */
  static attach(
    handle: unknown,
    magic: number,
    fieldCount: number,
    listCount: number,
    className: string,
  ): { core: SharedCore; buffer: SharedArrayBuffer } {
    const buffer =
      handle instanceof SharedArrayBuffer
        ? handle
        : handle !== null && typeof handle === 'object'
          ? (handle as { buffer?: unknown }).buffer
          : undefined;
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < HEADER * 4) {
      throw new InvalidArgumentError(
        `${className}.from expects a ${className} from @coro/sync/threads, its structured clone or its SharedArrayBuffer`,
      );
    }
    const header = new Int32Array(buffer, 0, HEADER);
    if (Atomics.load(header, MAGIC) !== magic) {
      throw new InvalidArgumentError(
        `${className}.from was given the shared memory of a different primitive`,
      );
    }
    const slots = Atomics.load(header, SLOT_COUNT);
    const words = HEADER + fieldCount + listCount * LIST_SIZE + slots * SLOT_SIZE;
    const core = new SharedCore(new Int32Array(buffer, 0, words), fieldCount, listCount);
    return { core, buffer };
  }

  /** Byte offset just past the control words (where payload storage may start, 8-aligned). */
  get payloadOffset(): number {
    return Math.ceil((this.i32.length * 4) / 8) * 8;
  }

  // ---- the guard --------------------------------------------------------------------------

  lock(): void {
    const i32 = this.i32;
    if (Atomics.compareExchange(i32, GUARD, 0, 1) === 0) return;
    let spins = 0;
    let since = 0;
    for (;;) {
      if (Atomics.load(i32, GUARD) === 0 && Atomics.compareExchange(i32, GUARD, 0, 1) === 0) {
        return;
      }
      spins++;
      // The holder runs a handful of instructions; only if it was preempted do we get here
      // many times. A worker may nap then; the main thread must not block, so it keeps spinning.
      if (spins > 200 && !isMainThread) Atomics.wait(i32, GUARD, 1, 0.02);
      else pause();
      // Held for seconds means its holder was terminated mid-operation: fail, do not hang.
      if ((spins & 0x3ff) === 0) {
        const now = performance.now();
        if (since === 0) since = now;
        else if (now - since > guardAbandonedMs) throw new SharedStateAbandonedError();
      }
    }
  }

  unlock(): void {
    Atomics.store(this.i32, GUARD, 0);
  }

  // ---- fields -----------------------------------------------------------------------------

  get(field: number): number {
    return this.i32[HEADER + field] as number;
  }

  set(field: number, value: number): void {
    this.i32[HEADER + field] = value;
  }

  /** Atomic read of a field, for getters that do not take the guard. */
  load(field: number): number {
    return Atomics.load(this.i32, HEADER + field);
  }

  // ---- lists (all under the guard) --------------------------------------------------------

  count(list: number): number {
    return this.i32[this.listsBase + list * LIST_SIZE + LIST_COUNT] as number;
  }

  /** Number of waiters in `list`, read without the guard (for diagnostics and tests). */
  loadCount(list: number): number {
    return Atomics.load(this.i32, this.listsBase + list * LIST_SIZE + LIST_COUNT);
  }

  head(list: number): number {
    return this.i32[this.listsBase + list * LIST_SIZE + LIST_HEAD] as number;
  }

  tag(slot: number): number {
    return this.i32[this.slotsBase + slot * SLOT_SIZE + SLOT_TAG] as number;
  }

  next(slot: number): number {
    return this.i32[this.slotsBase + slot * SLOT_SIZE + SLOT_NEXT] as number;
  }

  stateIndex(slot: number): number {
    return this.slotsBase + slot * SLOT_SIZE + SLOT_STATE;
  }

  /** Takes a free slot and appends it to `list` as `WAITING`; throws when none is free. */
  enqueue(list: number, tag: number): number {
    const i32 = this.i32;
    const slot = i32[FREE_HEAD] as number;
    if (slot === NONE) {
      this.unlock();
      throw new WaiterCapacityError(i32[SLOT_COUNT] as number);
    }
    const base = this.slotsBase + slot * SLOT_SIZE;
    i32[FREE_HEAD] = i32[base + SLOT_NEXT] as number;
    const listBase = this.listsBase + list * LIST_SIZE;
    const tail = i32[listBase + LIST_TAIL] as number;
    i32[base + SLOT_NEXT] = NONE;
    i32[base + SLOT_PREV] = tail;
    i32[base + SLOT_TAG] = tag;
    Atomics.store(i32, base + SLOT_STATE, WAITING);
    if (tail === NONE) i32[listBase + LIST_HEAD] = slot;
    else i32[this.slotsBase + tail * SLOT_SIZE + SLOT_NEXT] = slot;
    i32[listBase + LIST_TAIL] = slot;
    Atomics.store(i32, listBase + LIST_COUNT, (i32[listBase + LIST_COUNT] as number) + 1);
    return slot;
  }

  /** Unlinks `slot` from `list` (it stays allocated). */
  unlink(list: number, slot: number): void {
    const i32 = this.i32;
    const base = this.slotsBase + slot * SLOT_SIZE;
    const listBase = this.listsBase + list * LIST_SIZE;
    const prev = i32[base + SLOT_PREV] as number;
    const next = i32[base + SLOT_NEXT] as number;
    if (prev === NONE) i32[listBase + LIST_HEAD] = next;
    else i32[this.slotsBase + prev * SLOT_SIZE + SLOT_NEXT] = next;
    if (next === NONE) i32[listBase + LIST_TAIL] = prev;
    else i32[this.slotsBase + next * SLOT_SIZE + SLOT_PREV] = prev;
    i32[base + SLOT_NEXT] = NONE;
    i32[base + SLOT_PREV] = NONE;
    Atomics.store(i32, listBase + LIST_COUNT, (i32[listBase + LIST_COUNT] as number) - 1);
  }

  /**
   * Unlinks `slot` from `list` and wakes it with `state`. False if its thread is gone (then the
   * slot is freed): see `wake`.
   */
  grant(list: number, slot: number, state: number): boolean {
    this.unlink(list, slot);
    return this.wake(slot, state);
  }

  /**
   * Wakes the oldest waiter of `list` with `state`, skipping (and freeing) waiters whose thread
   * is gone; false if no live waiter was left.
   */
  wakeHead(list: number, state: number): boolean {
    for (let slot = this.head(list); slot !== NONE; slot = this.head(list)) {
      if (this.grant(list, slot, state)) return true;
    }
    return false;
  }

  /** Wakes every waiter of `list` with `state`, oldest first (or newest first with `lifo`). */
  wakeAll(list: number, state: number, lifo = false): number {
    let woken = 0;
    const tailIndex = this.listsBase + list * LIST_SIZE + LIST_TAIL;
    for (;;) {
      const slot = lifo ? (this.i32[tailIndex] as number) : this.head(list);
      if (slot === NONE) return woken;
      if (this.grant(list, slot, state)) woken++;
    }
  }

  /**
   * Publishes the outcome in the slot's own cell and wakes the thread parked on it. Every
   * waiter registers its `Atomics.waitAsync` before it releases the guard (see `waitOn`), so
   * under the guard a waiting slot always has exactly one parked waiter — unless its thread
   * ended (terminated, crashed, exited), which removes its waits: then `notify` wakes nobody,
   * the slot is freed and `false` returned, so the caller hands the lock, permit or item to
   * the next waiter instead of losing it to a dead thread.
   */
  wake(slot: number, state: number): boolean {
    const index = this.stateIndex(slot);
    Atomics.store(this.i32, index, state);
    if (Atomics.notify(this.i32, index, 1) === 1) return true;
    this.release(slot);
    return false;
  }

  /** Returns a slot to the free list. */
  release(slot: number): void {
    const i32 = this.i32;
    const base = this.slotsBase + slot * SLOT_SIZE;
    Atomics.store(i32, base + SLOT_STATE, FREE);
    i32[base + SLOT_NEXT] = i32[FREE_HEAD] as number;
    i32[FREE_HEAD] = slot;
  }

  /** Whether some thread holds the guard right now (for tests that must not kill a holder). */
  guardHeld(): boolean {
    return Atomics.load(this.i32, GUARD) !== 0;
  }

  /** Number of slots not in use (for tests: a primitive at rest has all of them free). */
  freeSlots(): number {
    this.lock();
    let n = 0;
    for (let slot = this.i32[FREE_HEAD] as number; slot !== NONE; slot = this.next(slot)) n++;
    this.unlock();
    return n;
  }

  get maxWaiters(): number {
    return this.i32[SLOT_COUNT] as number;
  }
}

/**
 * The whole wait of a "wait until a shared condition holds" primitive (Event, Latch,
 * WaitGroup): `true` at once if `ready` holds under the guard, `false` at once if the stop has
 * already been requested or `timeout` is 0, otherwise parks on `list` until a waker grants it
 * (`true`) or the timeout / stop ends the wait (`false`).
 */
export async function waitUntilReady(
  core: SharedCore,
  list: number,
  ready: () => boolean,
  options: WaitOptions | undefined,
  label: string,
): Promise<boolean> {
  const { signal, timeout } = readWaitOptions(options);
  core.lock();
  if (ready()) {
    core.unlock();
    return true;
  }
  if (isStopRequested(signal) || timeout === 0) {
    core.unlock();
    return false;
  }
  const slot = core.enqueue(list, 0);
  return (await waitOn(core, list, slot, signal, timeout, undefined, label)) === GRANTED;
}

/**
 * Parks on `slot` until it is granted / woken, the timeout runs out or the stop fires. Must be
 * called **with the guard held**, right after `enqueue`: it registers the `Atomics.waitAsync`
 * first and then releases the guard, so that a granter always finds this thread parked (see
 * `wake`). Resolves with the slot's final state (`GRANTED` / `WOKEN`), `TIMED_OUT` or
 * `CANCELLED`; the slot is freed and every timer and stop registration removed before it
 * resolves.
 */
export function waitOn(
  core: SharedCore,
  list: number,
  slot: number,
  signal: StopLike | undefined,
  timeout: number | undefined,
  hook: LeaveHook | undefined,
  label: string,
): Promise<number> {
  const result = Atomics.waitAsync(core.i32, core.stateIndex(slot), WAITING);
  if (!result.async) {
    // Cannot happen (the cell is WAITING under the guard); stay correct anyway.
    const state = Atomics.load(core.i32, core.stateIndex(slot));
    core.release(slot);
    core.unlock();
    return Promise.resolve(state);
  }
  core.unlock();
  const parked = new Promise<number>((resolve) => {
    const wait = new SlotWait(core, list, slot, hook, resolve);
    holdAlive();
    result.value.then(wait.onWake);
    if (timeout !== undefined) wait.timer = setTimeout(wait.onTimeout, timeout);
    if (signal !== undefined) wait.registration = onStop(signal, wait.onCancel);
  });
  // With tracing on, `dumpTasks()` shows a task stuck on a cross-thread wait by its name.
  return traceAwait(label, parked);
}

// A pending `Atomics.waitAsync` does not keep a thread's event loop alive, so a worker whose
// only work is waiting for a lock held elsewhere would simply exit. While any wait of this
// thread is parked, one ref'd interval timer (made once, toggled with ref/unref) keeps it
// alive, the way a pending socket read would.
let parkedCount = 0;
let keepAlive: ReturnType<typeof setInterval> | undefined;

function holdAlive(): void {
  if (parkedCount++ !== 0) return;
  if (keepAlive === undefined) keepAlive = setInterval(() => {}, 0x3fffffff);
  else keepAlive.ref();
}

function releaseAlive(): void {
  if (--parkedCount === 0) keepAlive?.unref();
}

class SlotWait {
  readonly core: SharedCore;
  readonly list: number;
  readonly slot: number;
  readonly hook: LeaveHook | undefined;
  readonly resolve: (state: number) => void;
  settled = false;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  registration: StopRegistration | undefined = undefined;

  constructor(
    core: SharedCore,
    list: number,
    slot: number,
    hook: LeaveHook | undefined,
    resolve: (state: number) => void,
  ) {
    this.core = core;
    this.list = list;
    this.slot = slot;
    this.hook = hook;
    this.resolve = resolve;
  }

  readonly onWake = (): void => {
    if (this.settled) return;
    const core = this.core;
    core.lock();
    const index = core.stateIndex(this.slot);
    const state = Atomics.load(core.i32, index);
    if (state === WAITING) {
      // Not ours to act on (cannot happen with coro's own writers); park again, registered
      // before the guard is released like every wait.
      const again = Atomics.waitAsync(core.i32, index, WAITING);
      core.unlock();
      if (again.async) again.value.then(this.onWake);
      else this.onWake();
      return;
    }
    core.release(this.slot);
    core.unlock();
    this.settle(state);
  };

  readonly onTimeout = (): void => {
    this.timer = undefined;
    this.giveUp(TIMED_OUT);
  };

  readonly onCancel = (): void => {
    this.giveUp(CANCELLED);
  };

  giveUp(outcome: number): void {
    if (this.settled) return;
    const core = this.core;
    core.lock();
    const index = core.stateIndex(this.slot);
    const state = Atomics.load(core.i32, index);
    if (state !== WAITING) {
      // Handed over in the same turn: keep it (the grant won the race under the guard).
      core.release(this.slot);
      core.unlock();
      this.settle(state);
      return;
    }
    core.unlink(this.list, this.slot);
    // Wake our own pending Atomics.waitAsync so that nothing stays parked on the cell; it is
    // the only waiter there, and `settled` makes its callback a no-op.
    Atomics.store(core.i32, index, FREE);
    Atomics.notify(core.i32, index, 1);
    this.hook?.afterLeave(this.list);
    core.release(this.slot);
    core.unlock();
    this.settle(outcome);
  }

  settle(state: number): void {
    this.settled = true;
    releaseAlive();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.registration?.unregister();
    this.registration = undefined;
    this.resolve(state);
  }
}

/** Throws `InvalidArgumentError` unless `value` is a safe integer in `[min, max]`. */
export function checkInteger(value: unknown, name: string, min = 0, max = 0x7fffffff): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(
      `${name} must be an integer from ${min} to ${max}, got ${typeof value === 'number' ? value : typeof value}`,
    );
  }
  return value;
}

/** Shared memory of a primitive: its engine and its buffer. */
export interface Shared {
  readonly core: SharedCore;
  readonly buffer: SharedArrayBuffer;
}

let attached: Shared | undefined;

/**
 * Lets `Primitive.from` reuse the constructor (private fields can only be set there): it
 * parks the attached memory here, and the constructor picks it up with `takeAttached()`.
 */
export function attachNext(shared: Shared): void {
  attached = shared;
}

/** The memory parked by `attachNext`, if this construction is a `from`. */
export function takeAttached(): Shared | undefined {
  const shared = attached;
  attached = undefined;
  return shared;
}
