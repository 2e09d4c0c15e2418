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
 * [MAGIC | GUARD | SLOT_COUNT | FREE_HEAD | ABANDONED | CLAIMS list | fields… | lists… | slots…]
 * list = [HEAD | TAIL | COUNT]
 * slot = [STATE | NEXT | PREV | TAG | ORIGIN | PROBES | PROBE_AT | -]
 * ```
 *
 * - `GUARD` is a tiny spin lock that protects every other word. It is held only for a few dozen
 *   instructions of plain arithmetic and never across an `await`. A call that must wait for it
 *   spins for a few microseconds and then, if it is an asynchronous call, waits for it with
 *   `Atomics.waitAsync` so that its event loop keeps running (see `guard.ts`).
 * - A waiter is a *slot*: one cell of its own in shared memory, linked into a doubly linked
 *   FIFO list. The waiting thread parks on its own cell with `Atomics.waitAsync`. The releaser
 *   picks the head of the list and hands it the lock, permit or signal directly (`STATE =
 *   GRANTED` + `Atomics.notify` on that one cell): no thundering herd, no barging.
 * - Leaving the line (timeout, stop) unlinks the slot under the guard in O(1).
 * - The hand-off race is decided under the guard: a waiter whose timeout or stop fires looks at
 *   its own cell. Still `WAITING` → it unlinks itself and reports `'timeout'`/`'cancelled'`.
 *   Already granted → it keeps what it was given.
 * - **A hand-off must be claimed.** `Atomics.notify` reports whether a thread was parked on the
 *   cell: a thread that ended removes its waits, so a grant that wakes nobody goes to the next
 *   waiter at once. But a thread that is being terminated still has its waits for a moment, so
 *   a grant can "wake" a thread that will never run again. Therefore a granted slot joins the
 *   CLAIMS list until its thread claims it (under the guard, when its wake callback runs). A
 *   waiter parks with `LIFE_TOKENS` extra waits on its cell besides the one a grant consumes:
 *   while they are there its thread is alive. Calls that take the guard, and threads with a
 *   wait parked on the primitive (from a timer, `reaper.ts`), probe the unclaimed grants as
 *   they fall due, spaced by `PROBE_DELAYS` — never a thread with no call in progress, so that
 *   terminating a worker whose calls have returned cannot abandon the primitive. A probe is a
 *   `notify` of one token. Woken → the thread is alive (and claims as soon as it runs); woken
 *   nobody → the thread is gone and the primitive passes what it was handed on (`HandOff`).
 *   A probe is only made while a token is left, so "woke nobody" always means gone.
 * - **The probe schedule and its bound.** A token is only used up while its thread does not run
 *   its event loop: a thread whose wake callback runs claims at once (under the guard), so the
 *   tokens drain only while a thread is blocked, busy in one long synchronous stretch, or dying
 *   with its waits not yet torn down — and these look the same from outside. So a probe can
 *   never reclaim from such a thread; it can only keep asking until its waits are gone. With
 *   `LIFE_TOKENS` = 7 and `PROBE_DELAYS` = 10, 40, 160, 640, 2 560, 10 000, 30 000 ms, the
 *   probes come about 10 ms, 50 ms, 210 ms, 850 ms, 3.4 s, 13.4 s and 43.4 s after the grant
 *   (later on a busy thread: a delay is a minimum). A thread that dies within that span has its
 *   grant passed on at the first probe after its waits are gone (within about four times the
 *   time it took to die, at most 30 s after). The remaining bound: a thread whose waits outlive
 *   the last probe (about 43 s of not running after the grant) keeps the grant until it claims
 *   it — which it does as soon as it runs again; if instead it then dies, the grant is lost, as
 *   a lock held by a thread that dies is. Mutual exclusion never depends on timing: a live
 *   thread is never reclaimed from, however long it does not run. Re-arming a token when a
 *   callback runs would not widen the span, since a callback that runs claims. Each park costs
 *   `1 + LIFE_TOKENS` `Atomics.waitAsync` registrations, all woken when it claims or gives up.
 * - Slots come from a fixed pool (`maxWaiters`, default 1024) kept in a free list in the same
 *   buffer; a wait that finds the pool empty throws `WaiterCapacityError` rather than spin.
 *
 * @internal
 */
import { threadId } from 'node:worker_threads';
import { InvalidArgumentError } from '@coro/task';
import { WaiterCapacityError } from './errors.ts';
import { GUARD, lockAsync, spinLock, tryLockBriefly, unlockGuard } from './guard.ts';
import { watch } from './reaper.ts';

export { attachNext, checkInteger, type Shared, takeAttached } from './construction.ts';

const MAGIC = 0;
// 1: GUARD, 4: ABANDONED (guard.ts)
const SLOT_COUNT = 2;
const FREE_HEAD = 3;
const CLAIMS = 5; // a list: granted slots whose thread has not claimed them yet
const HEADER = 8;

const LIST_HEAD = 0;
const LIST_TAIL = 1;
const LIST_COUNT = 2;
const LIST_SIZE = 3;

const SLOT_STATE = 0;
const SLOT_NEXT = 1;
const SLOT_PREV = 2;
const SLOT_TAG = 3;
const SLOT_ORIGIN = 4; // the list a granted slot was taken from
const SLOT_PROBES = 5; // life tokens used up by probes
const SLOT_PROBE_AT = 6; // when the next probe is due (ms, see `nowMs`)
const SLOT_SIZE = 8;

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

/**
 * How long after a grant (then after each probe) an unclaimed grant is probed, in ms: one
 * probe per life token, spaced exponentially so that a thread that is quick to die is passed
 * over soon and one that is slow to die (a loaded machine) is still covered for ~43 s.
 */
const PROBE_DELAYS = [10, 40, 160, 640, 2560, 10_000, 30_000] as const;
/**
 * How often a thread with waits parked on a primitive looks (with a plain read) for grants
 * that nobody claimed, in ms: the delay before a waiter notices a hand-off to a thread that
 * died with nobody else calling the primitive.
 */
const PEEK_MS = 50;

/** Waits a waiter registers on its cell besides the one a grant wakes: its proof of life. */
export const LIFE_TOKENS = PROBE_DELAYS.length;

/**
 * This thread's id in shared memory (its `threadId` + 1, so 0 means nobody): what a lock
 * records as its owner.
 */
export const THREAD_TAG = threadId + 1;

/** How many times this thread took a primitive's guard (for tests; see `_guardEntries`). */
let guardEntries = 0;

/** @internal For tests: how many times this thread has taken any primitive's guard. */
export function _guardEntries(): number {
  return guardEntries;
}

/** Default number of waiter slots a primitive has. */
export const DEFAULT_MAX_WAITERS = 1024;

/** The most payload bytes a primitive's shared memory may hold (2 GiB). */
export const MAX_PAYLOAD_BYTES = 2 ** 31;

/** Milliseconds on a wrapping 30-bit clock shared by all threads (wall-clock based). */
const MS_MASK = 0x3fffffff;
function nowMs(): number {
  return Date.now() & MS_MASK;
}
/** Whether wrapping time `at` has come at `now`. */
function reached(now: number, at: number): boolean {
  return ((now - at) & MS_MASK) < 0x20000000;
}

// The primitives satisfy LeaveHook and HandOff structurally, with no `implements` clause: their
// members are @internal, stripped from the published declarations, where an `implements` would
// then name an interface the class no longer has the members of (TS2420 for every user who
// type-checks libraries, as TypeScript does by default).

/** Called under the guard after a waiter unlinked itself, so a primitive can re-admit others. */
export interface LeaveHook {
  afterLeave(list: number): void;
}

/**
 * What a primitive does, under the guard, with a grant whose thread ended before claiming it:
 * pass the lock, permit, item or space on to the next waiter (or back to the count).
 */
export interface HandOff {
  reclaim(list: number, state: number, tag: number): void;
}

/** The options every primitive accepts about its waiter slots. */
export interface SharedOptions {
  /**
   * How many waiters (across all threads) may wait at once; default 1024. Each costs 32 bytes of
   * shared memory. A wait beyond it throws `WaiterCapacityError`.
   */
  readonly maxWaiters?: number | undefined;
}

/** Every key of `SharedOptions`: the compiler keeps it in step with the interface. */
export const sharedOptionKeys: Readonly<Record<keyof SharedOptions, true>> = { maxWaiters: true };

/** What `Primitive.from(...)` accepts: the instance, its structured clone, or the buffer. */
export type SharedHandle = { readonly buffer: SharedArrayBuffer } | SharedArrayBuffer;

/** Allocates shared memory, reporting sizes that cannot be had as `InvalidArgumentError`. */
function allocate(bytes: number, maxBytes: number): SharedArrayBuffer {
  try {
    return maxBytes > bytes
      ? new SharedArrayBuffer(bytes, { maxByteLength: maxBytes })
      : new SharedArrayBuffer(bytes);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new InvalidArgumentError(
      `cannot allocate ${maxBytes} bytes of shared memory (${error.message}); the limit is ${MAX_PAYLOAD_BYTES} bytes of payload`,
    );
  }
}

export class SharedCore {
  readonly i32: Int32Array;
  readonly fieldsBase = HEADER;
  readonly listsBase: number;
  readonly slotsBase: number;
  /** Set by primitives whose grants carry something to pass on when unclaimed. */
  handOff: HandOff | undefined = undefined;
  /** Whether this thread's reaper watches this core's unclaimed grants. */
  watched = false;
  /**
   * How many of this thread's waits are parked on this core. Only while one is does this
   * thread look after unclaimed grants in the background (see `reaper.ts`).
   */
  parkedHere = 0;

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
    if (maxExtraBytes > MAX_PAYLOAD_BYTES) {
      throw new InvalidArgumentError(
        `a shared primitive holds at most ${MAX_PAYLOAD_BYTES} bytes of payload; this one needs ${maxExtraBytes}`,
      );
    }
    const words = HEADER + fieldCount + listCount * LIST_SIZE + maxWaiters * SLOT_SIZE;
    // Round up to 8 bytes so that a Float64Array can follow the control words.
    const controlBytes = Math.ceil((words * 4) / 8) * 8;
    // A buffer that may grow (a shared Queue) is made growable up to its maximum.
    const buffer = allocate(controlBytes + extraBytes, controlBytes + maxExtraBytes);
    const i32 = new Int32Array(buffer, 0, words);
    const core = new SharedCore(i32, fieldCount, listCount);
    i32[MAGIC] = magic;
    i32[SLOT_COUNT] = maxWaiters;
    for (let list = -1; list < listCount; list++) {
      const base = core.#listBase(list);
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

  // ---- the guard (see guard.ts) -----------------------------------------------------------

  /**
   * Takes the guard, spinning while it is taken (a worker naps between spins). For synchronous
   * calls, which cannot wait otherwise. Throws `SharedStateAbandonedError` once it has been
   * taken for the abandoned-guard limit, or at once if another call already found that out.
   */
  lock(): void {
    spinLock(this.i32);
    this.#entered();
  }

  /**
   * Takes the guard if it comes free within a few microseconds; false otherwise (then wait
   * with `lockAsync`). Throws `SharedStateAbandonedError` if the guard was found abandoned.
   */
  tryLockBriefly(): boolean {
    if (!tryLockBriefly(this.i32)) return false;
    this.#entered();
    return true;
  }

  /**
   * Waits for the guard without blocking the thread and runs `body` **synchronously the moment
   * it takes it** (nothing else of this thread may run while it is held; `body` releases it).
   * Rejects with `SharedStateAbandonedError` if the guard was abandoned (see `guard.ts`).
   */
  lockAsync<T>(body: () => T): Promise<Awaited<T>> {
    return lockAsync(this.i32, () => {
      this.#entered();
      return body();
    }) as Promise<Awaited<T>>;
  }

  /**
   * Like `lockAsync`, for a wake-up of a parked wait: gives up without touching the guard once
   * `wanted()` is false (the wait settled another way meanwhile).
   */
  lockAsyncWhile(body: () => void, wanted: () => boolean): Promise<void> {
    return lockAsync(
      this.i32,
      () => {
        this.#entered();
        body();
      },
      wanted,
    );
  }

  /**
   * Just took the guard for a call: probe the unclaimed grants that are due (so a grant to a
   * thread that is gone is passed on at the next call), and if this thread has waits parked
   * here, make sure its reaper keeps looking after the rest.
   */
  #entered(): void {
    guardEntries++;
    if (this.i32[CLAIMS + LIST_COUNT] === 0) return;
    this.reap();
    if (this.parkedHere !== 0 && !this.watched) watch(this);
  }

  /**
   * A wait of this thread parks on this core (called by `waitOn`, under the guard): until it
   * ends, this thread's reaper looks after unclaimed grants here.
   */
  parked(): void {
    this.parkedHere++;
    if (!this.watched) watch(this);
  }

  /** A wait of this thread on this core ended (parked → settled). */
  unparked(): void {
    this.parkedHere--;
  }

  /**
   * The reaper's look at this core, from its timer: nothing at all unless a wait of this thread
   * is still parked here (a thread whose calls have all returned never touches the shared
   * memory, so terminating it then cannot abandon the primitive); otherwise a plain read of
   * the claims count, and only when there are unclaimed grants, a brief try for the guard to
   * probe the due ones. Returns in how many ms to look again, or -1 to stop watching. Throws
   * `SharedStateAbandonedError` if the guard was abandoned.
   */
  sweep(): number {
    if (this.parkedHere === 0) return -1;
    if (Atomics.load(this.i32, CLAIMS + LIST_COUNT) === 0) return PEEK_MS;
    if (!tryLockBriefly(this.i32)) return 1; // busy: look again soon
    guardEntries++;
    let due: number;
    try {
      due = this.reap();
    } finally {
      this.unlock();
    }
    return due === -1 || due > PEEK_MS ? PEEK_MS : due;
  }

  unlock(): void {
    unlockGuard(this.i32);
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

  /** Word index of a list; -1 is the CLAIMS list. */
  #listBase(list: number): number {
    return list === -1 ? CLAIMS : this.listsBase + list * LIST_SIZE;
  }

  count(list: number): number {
    return this.i32[this.#listBase(list) + LIST_COUNT] as number;
  }

  /** Number of waiters in `list`, read without the guard (for diagnostics and tests). */
  loadCount(list: number): number {
    return Atomics.load(this.i32, this.#listBase(list) + LIST_COUNT);
  }

  head(list: number): number {
    return this.i32[this.#listBase(list) + LIST_HEAD] as number;
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
    i32[base + SLOT_TAG] = tag;
    Atomics.store(i32, base + SLOT_STATE, WAITING);
    this.#append(list, slot);
    return slot;
  }

  #append(list: number, slot: number): void {
    const i32 = this.i32;
    const base = this.slotsBase + slot * SLOT_SIZE;
    const listBase = this.#listBase(list);
    const tail = i32[listBase + LIST_TAIL] as number;
    i32[base + SLOT_NEXT] = NONE;
    i32[base + SLOT_PREV] = tail;
    if (tail === NONE) i32[listBase + LIST_HEAD] = slot;
    else i32[this.slotsBase + tail * SLOT_SIZE + SLOT_NEXT] = slot;
    i32[listBase + LIST_TAIL] = slot;
    Atomics.store(i32, listBase + LIST_COUNT, (i32[listBase + LIST_COUNT] as number) + 1);
  }

  /** Unlinks `slot` from `list` (it stays allocated). */
  unlink(list: number, slot: number): void {
    const i32 = this.i32;
    const base = this.slotsBase + slot * SLOT_SIZE;
    const listBase = this.#listBase(list);
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
    return this.#wake(list, slot, state);
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
    const tailIndex = this.#listBase(list) + LIST_TAIL;
    for (;;) {
      const slot = lifo ? (this.i32[tailIndex] as number) : this.head(list);
      if (slot === NONE) return woken;
      if (this.grant(list, slot, state)) woken++;
    }
  }

  /**
   * Publishes the outcome in the slot's own cell and wakes the thread parked on it. Every
   * waiter registers its waits before it releases the guard (see `waitOn`), so a thread that
   * ended (terminated, crashed, exited) is seen at once: `notify` wakes nobody, the slot is
   * freed and `false` returned, and the caller hands the lock, permit or item to the next
   * waiter. Otherwise the slot waits in CLAIMS until its thread claims it (see the top).
   */
  #wake(list: number, slot: number, state: number): boolean {
    const i32 = this.i32;
    const index = this.stateIndex(slot);
    Atomics.store(i32, index, state);
    if (Atomics.notify(i32, index, 1) === 0) {
      this.release(slot);
      return false;
    }
    const base = this.slotsBase + slot * SLOT_SIZE;
    i32[base + SLOT_ORIGIN] = list;
    i32[base + SLOT_PROBES] = 0;
    i32[base + SLOT_PROBE_AT] = (nowMs() + PROBE_DELAYS[0]) & MS_MASK;
    this.#append(-1, slot);
    if (this.parkedHere !== 0 && !this.watched) watch(this);
    return true;
  }

  /**
   * The waiter's side of a hand-off, under the guard: it has seen its slot granted or woken and
   * takes it out of CLAIMS, frees it and wakes its own remaining waits (its life tokens).
   */
  claim(slot: number): void {
    this.unlink(-1, slot);
    const index = this.stateIndex(slot);
    this.release(slot);
    Atomics.notify(this.i32, index);
  }

  /**
   * Under the guard: probes the unclaimed grants that are due (see the top) and passes on
   * those whose thread is gone. Returns in how many ms the next probe is due, or -1 if no
   * grant is left that can still be probed.
   */
  reap(): number {
    const i32 = this.i32;
    const now = nowMs();
    let nextDue = -1;
    for (let slot = i32[CLAIMS + LIST_HEAD] as number; slot !== NONE; ) {
      const base = this.slotsBase + slot * SLOT_SIZE;
      const following = i32[base + SLOT_NEXT] as number;
      const probes = i32[base + SLOT_PROBES] as number;
      if (probes < LIFE_TOKENS) {
        const at = i32[base + SLOT_PROBE_AT] as number;
        if (!reached(now, at)) {
          const wait = (at - now) & MS_MASK;
          if (nextDue === -1 || wait < nextDue) nextDue = wait;
        } else if (Atomics.notify(i32, base + SLOT_STATE, 1) === 1) {
          // Alive (it claims as soon as it runs): probe again later while a token is left.
          i32[base + SLOT_PROBES] = probes + 1;
          if (probes + 1 < LIFE_TOKENS) {
            const delay = PROBE_DELAYS[probes + 1] as number;
            i32[base + SLOT_PROBE_AT] = (now + delay) & MS_MASK;
            if (nextDue === -1 || delay < nextDue) nextDue = delay;
          }
        } else {
          // Its thread is gone: what it was handed goes on.
          const list = i32[base + SLOT_ORIGIN] as number;
          const state = i32[base + SLOT_STATE] as number;
          const tag = i32[base + SLOT_TAG] as number;
          this.unlink(-1, slot);
          this.release(slot);
          this.handOff?.reclaim(list, state, tag);
        }
      }
      slot = following;
    }
    return nextDue;
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
