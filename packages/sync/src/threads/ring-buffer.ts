import {
  type Expected,
  err,
  isStopRequested,
  ok,
  refuseUnknownOptions,
  type StopLike,
  type WaitOptions,
} from '@coro/task';
import { InvalidArgumentError } from '../errors.ts';
import {
  attachNext,
  CANCELLED,
  checkInteger,
  GRANTED,
  MAX_PAYLOAD_BYTES,
  type SharedCore,
  type SharedHandle,
  SharedCore as Core,
  type SharedOptions,
  TIMED_OUT,
  takeAttached,
  WOKEN,
} from './core.ts';
import { readThreadWaitOptions } from './timing.ts';
import { waitOn } from './wait.ts';

const MAGIC = 0x4372696e; // 'Crin'
const CAPACITY = 0;
const HEAD = 1; // index of the oldest item
const SIZE = 2; // items stored
const STATE = 3; // RUNNING, DRAINING or STOPPED
const RESERVED_ITEMS = 4; // stored items promised to woken consumers that have not taken them yet
const RESERVED_SPACE = 5; // free cells promised to woken producers that have not written yet
const SLOT_BYTES = 6; // 0: numbers (Float64); otherwise the byte size of a slot
const MAX_CAPACITY = 7; // what `capacity` may grow to (a shared Queue); = CAPACITY otherwise
const FIELDS = 8;

const PRODUCERS = 0;
const CONSUMERS = 1;
const DRAIN_WAITERS = 2;
const LISTS = 3;

const RUNNING = 0;
const DRAINING = 1;
const STOPPED = 2;

/** What `produce` resolves with. */
export type ProduceResult = 'produced' | 'stopped' | 'timeout' | 'cancelled';
/** What `tryProduce` returns. */
export type TryProduceResult = 'produced' | 'full' | 'stopped';
/** What a shared ring buffer or queue carries: numbers (Float64) or byte strings. */
export type SharedItem = number | Uint8Array;

/** Options of a shared `RingBuffer` / `Queue`. */
export interface RingBufferOptions extends SharedOptions {
  /**
   * Carry byte strings of at most this many bytes (each slot reserves that much shared memory)
   * instead of numbers. Items are copied in and out.
   */
  readonly slotBytes?: number | undefined;
}

/** Every key of `RingBufferOptions`: the compiler keeps it in step with the interface. */
const ringBufferOptionKeys: Readonly<Record<keyof RingBufferOptions, true>> = {
  slotBytes: true,
  maxWaiters: true,
};

const errStopped = Object.freeze(err('stopped' as const));
const errTimeout = Object.freeze(err('timeout' as const));
const errCancelled = Object.freeze(err('cancelled' as const));

/** What `consume` resolves with. */
type Consumed<T> = Expected<T, 'stopped' | 'timeout' | 'cancelled'>;

/** The status of a producer that waited. */
function produced(state: number): ProduceResult {
  if (state === GRANTED) return 'produced';
  if (state === TIMED_OUT) return 'timeout';
  if (state === CANCELLED) return 'cancelled';
  return 'stopped';
}

/** Bytes per cell: a Float64, or a 4-byte length and the bytes rounded up to 4. */
function strideOf(slotBytes: number): number {
  return slotBytes === 0 ? 8 : 4 + Math.ceil(slotBytes / 4) * 4;
}

// Set by `growableRing` for the constructor it calls (a Queue's ring may grow).
let growTo: number | undefined;

/** @internal A ring that starts at `capacity` and grows on demand up to `maxCapacity`. */
export function growableRing<T extends SharedItem>(
  capacity: number,
  maxCapacity: number,
  options: RingBufferOptions | undefined,
): RingBuffer<T> {
  checkInteger(maxCapacity, 'Queue maxCapacity', 1, 1 << 26);
  checkInteger(capacity, 'Queue initialCapacity', 1, maxCapacity);
  growTo = maxCapacity;
  try {
    return new RingBuffer<T>(capacity, options);
  } finally {
    growTo = undefined;
  }
}
const errEmpty = Object.freeze(err('empty' as const));

/**
 * A bounded FIFO channel between threads, in shared memory: `capacity` fixed-size slots holding
 * numbers (Float64, the default) or byte strings of up to `slotBytes` bytes (then use
 * `RingBuffer<Uint8Array>`; items are copied). `produce` waits while it is full and `consume`
 * while it is empty, neither blocking its thread. Waiting producers and consumers are each served
 * FIFO across threads; a woken waiter has its cell or item reserved, so nothing can overtake it,
 * and nothing is lost or duplicated. Send it to workers and rebuild it with `RingBuffer.from`.
 *
 * Statuses: `produce` → `'produced' | 'stopped' | 'timeout' | 'cancelled'`; `consume` →
 * `{ ok: true, value }` or `{ ok: false, error: 'stopped' | 'timeout' | 'cancelled' }`.
 * `shutdown()` stops at once (buffered items are dropped); `shutdownDrain()` refuses new items,
 * lets consumers take what is buffered, then stops. It is async-iterable until it stops.
 *
 * @example
 * const ring = new RingBuffer(1024);                 // numbers
 * new Worker(url, { workerData: { ring } });         // worker: for await (const n of RingBuffer.from(workerData.ring)) …
 * await ring.produce(42);
 * await ring.shutdownDrain();
 */
export class RingBuffer<T extends SharedItem = number> implements AsyncIterable<T> {
  /** The shared memory holding this ring buffer; what a structured clone carries. */
  readonly buffer: SharedArrayBuffer;
  readonly #core: SharedCore;
  readonly #numbers: Float64Array | undefined;
  /** Byte strings: each cell is a 4-byte length followed by the bytes (`#stride` in all). */
  readonly #lengths: Int32Array | undefined;
  readonly #bytes: Uint8Array;
  readonly #stride: number;

  /** A ring of `capacity` slots (an integer ≥ 1). */
  constructor(capacity: number, options?: RingBufferOptions) {
    // A Queue's ring (growTo set) was given options the Queue has checked against its own keys;
    // its errors name the Queue.
    const owner = growTo === undefined ? 'RingBuffer' : 'Queue';
    if (growTo === undefined) {
      refuseUnknownOptions(options, ringBufferOptionKeys, 'threads RingBuffer');
    }
    let shared = takeAttached();
    if (shared === undefined) {
      checkInteger(capacity, `${owner} capacity`, 1, 1 << 26);
      const maxCapacity = growTo ?? capacity;
      growTo = undefined;
      const slotBytes =
        options?.slotBytes === undefined
          ? 0
          : checkInteger(options.slotBytes, `${owner} slotBytes`, 1, 1 << 24);
      const stride = strideOf(slotBytes);
      if (maxCapacity * stride > MAX_PAYLOAD_BYTES) {
        throw new InvalidArgumentError(
          `${owner === 'RingBuffer' ? 'RingBuffer capacity' : 'Queue maxCapacity'} × slot size must fit in ${MAX_PAYLOAD_BYTES} bytes of shared memory; ${maxCapacity} slots of ${stride} bytes need ${maxCapacity * stride}`,
        );
      }
      shared = Core.create(MAGIC, FIELDS, LISTS, options, capacity * stride, maxCapacity * stride);
      shared.core.set(CAPACITY, capacity);
      shared.core.set(MAX_CAPACITY, maxCapacity);
      shared.core.set(SLOT_BYTES, slotBytes);
    }
    const { core, buffer } = shared;
    this.#core = core;
    this.buffer = buffer;
    core.handOff = this;
    const offset = core.payloadOffset;
    this.#stride = strideOf(core.get(SLOT_BYTES));
    // Length-tracking views (no length given): they follow the buffer when a Queue grows it,
    // on every thread.
    this.#bytes = new Uint8Array(buffer, offset);
    if (core.get(SLOT_BYTES) === 0) {
      this.#numbers = new Float64Array(buffer, offset);
      this.#lengths = undefined;
    } else {
      this.#numbers = undefined;
      this.#lengths = new Int32Array(buffer, offset);
    }
  }

  /** Rebuilds the ring buffer on this thread from itself, its structured clone or its buffer. */
  static from<T extends SharedItem = number>(handle: RingBuffer<T> | SharedHandle): RingBuffer<T> {
    if (handle instanceof RingBuffer) return handle;
    attachNext(Core.attach(handle, MAGIC, FIELDS, LISTS, 'RingBuffer'));
    return new RingBuffer<T>(1);
  }

  /** How many items it holds at most. */
  get capacity(): number {
    return this.#core.get(CAPACITY);
  }

  /** @internal What `capacity` may grow to (a shared Queue). */
  get _maxCapacity(): number {
    return this.#core.get(MAX_CAPACITY);
  }

  /** The byte size of a slot, or 0 when it carries numbers. */
  get slotBytes(): number {
    return this.#core.get(SLOT_BYTES);
  }

  /** Items buffered now. */
  get size(): number {
    return this.#core.load(SIZE);
  }

  /** Whether no item is buffered. */
  get isEmpty(): boolean {
    return this.#core.load(SIZE) === 0;
  }

  /** Whether every slot holds an item. */
  get isFull(): boolean {
    return this.#core.load(SIZE) === this.#core.get(CAPACITY);
  }

  /** Whether it has stopped (`shutdown()`, or `shutdownDrain()` once drained). */
  get isStopped(): boolean {
    return this.#core.load(STATE) === STOPPED;
  }

  /** Producers plus consumers waiting (on all threads): for tests and diagnostics. */
  get waiterCount(): number {
    return this.#core.loadCount(PRODUCERS) + this.#core.loadCount(CONSUMERS);
  }

  /** @internal Whether a thread is inside an operation on it: for tests that kill threads. */
  get _guardHeld(): boolean {
    return this.#core.guardHeld();
  }

  /** @internal Free waiter slots: for leak tests. */
  get _freeSlots(): number {
    return this.#core.freeSlots();
  }

  #check(value: T): void {
    if (this.#numbers !== undefined) {
      if (typeof value !== 'number') {
        throw new InvalidArgumentError('this shared RingBuffer carries numbers');
      }
      return;
    }
    if (!(value instanceof Uint8Array)) {
      throw new InvalidArgumentError('this shared RingBuffer carries Uint8Array byte strings');
    }
    const slotBytes = this.#core.get(SLOT_BYTES);
    if (value.byteLength > slotBytes) {
      throw new InvalidArgumentError(
        `an item of ${value.byteLength} bytes does not fit a slot of ${slotBytes} bytes`,
      );
    }
  }

  /** Under the guard: stores `value` at the tail and wakes the oldest waiting consumer. */
  #write(value: T): void {
    const core = this.#core;
    const capacity = core.get(CAPACITY);
    const size = core.get(SIZE);
    const cell = (core.get(HEAD) + size) % capacity;
    if (this.#numbers !== undefined) this.#numbers[cell] = value as number;
    else {
      const bytes = value as Uint8Array;
      const at = cell * this.#stride;
      (this.#lengths as Int32Array)[at >> 2] = bytes.byteLength;
      this.#bytes.set(bytes, at + 4);
    }
    core.set(SIZE, size + 1);
    if (core.wakeHead(CONSUMERS, GRANTED)) core.set(RESERVED_ITEMS, core.get(RESERVED_ITEMS) + 1);
  }

  /** Under the guard: takes the oldest item and wakes the oldest waiting producer. */
  #read(): T {
    const core = this.#core;
    const head = core.get(HEAD);
    let value: T;
    if (this.#numbers !== undefined) value = this.#numbers[head] as T;
    else {
      const at = head * this.#stride;
      const length = (this.#lengths as Int32Array)[at >> 2] as number;
      value = this.#bytes.slice(at + 4, at + 4 + length) as T;
    }
    core.set(HEAD, (head + 1) % core.get(CAPACITY));
    core.set(SIZE, core.get(SIZE) - 1);
    if (core.get(STATE) === RUNNING) {
      if (core.wakeHead(PRODUCERS, GRANTED)) core.set(RESERVED_SPACE, core.get(RESERVED_SPACE) + 1);
    } else this.#stopIfDrained();
    return value;
  }

  /**
   * Under the guard, for a shared Queue that is full: doubles the capacity (up to its maximum)
   * by growing the shared buffer in place, and moves the oldest items to the end so the ring
   * stays in order. Every thread's views track the new length. False at the maximum.
   */
  #grow(): boolean {
    const core = this.#core;
    const capacity = core.get(CAPACITY);
    const max = core.get(MAX_CAPACITY);
    if (capacity >= max) return false;
    const grown = Math.min(max, capacity * 2);
    const stride = this.#stride;
    try {
      this.buffer.grow(core.payloadOffset + grown * stride);
    } catch {
      return false; // out of memory: the queue reports 'full' rather than fail
    }
    const head = core.get(HEAD);
    if (core.get(SIZE) > 0 && head > 0) {
      const moved = capacity - head;
      this.#bytes.copyWithin((grown - moved) * stride, head * stride, capacity * stride);
      core.set(HEAD, grown - moved);
    }
    core.set(CAPACITY, grown);
    return true;
  }

  /** Under the guard: a draining buffer with nothing left (or promised) stops. */
  #stopIfDrained(): void {
    const core = this.#core;
    if (core.get(STATE) === DRAINING && core.get(SIZE) === 0 && core.get(RESERVED_SPACE) === 0) {
      this.#stop();
    }
  }

  /** Under the guard. */
  #stop(): void {
    const core = this.#core;
    core.set(STATE, STOPPED);
    core.set(SIZE, 0);
    core.set(HEAD, 0);
    core.set(RESERVED_ITEMS, 0);
    core.set(RESERVED_SPACE, 0);
    core.wakeAll(PRODUCERS, WOKEN);
    core.wakeAll(CONSUMERS, WOKEN);
    core.wakeAll(DRAIN_WAITERS, GRANTED);
  }

  /** Adds `value` now if there is room: `'produced'`, `'full'` or `'stopped'`. */
  tryProduce(value: T): TryProduceResult {
    this.#check(value);
    const core = this.#core;
    core.lock();
    if (core.get(STATE) !== RUNNING) {
      core.unlock();
      return 'stopped';
    }
    if (core.get(SIZE) + core.get(RESERVED_SPACE) < core.get(CAPACITY) || this.#grow()) {
      this.#write(value);
      core.unlock();
      return 'produced';
    }
    core.unlock();
    return 'full';
  }

  /**
   * Adds `value`, waiting in line (FIFO) while the buffer is full. A bad item or bad options
   * throw `InvalidArgumentError` at the call.
   */
  produce(value: T, options?: WaitOptions): Promise<ProduceResult> {
    this.#check(value);
    const { signal, timeout } = readThreadWaitOptions(options);
    return this.#startProduce(value, signal, timeout);
  }

  async #startProduce(
    value: T,
    signal: StopLike | undefined,
    timeout: number | undefined,
  ): Promise<ProduceResult> {
    const core = this.#core;
    if (core.tryLockBriefly()) return this.#produce(value, signal, timeout);
    return core.lockAsync(() => this.#produce(value, signal, timeout));
  }

  /** The rest of `produce`, with the guard held. */
  #produce(
    value: T,
    signal: StopLike | undefined,
    timeout: number | undefined,
  ): ProduceResult | Promise<ProduceResult> {
    const core = this.#core;
    // The one precedence rule: the call's own stop first, then the buffer's state, then room.
    if (isStopRequested(signal)) {
      core.unlock();
      return 'cancelled';
    }
    if (core.get(STATE) !== RUNNING) {
      core.unlock();
      return 'stopped';
    }
    // Free cells that nobody was promised exist only while no producer waits.
    if (core.get(SIZE) + core.get(RESERVED_SPACE) < core.get(CAPACITY) || this.#grow()) {
      this.#write(value);
      core.unlock();
      return 'produced';
    }
    if (timeout === 0) {
      core.unlock();
      return 'timeout';
    }
    const slot = core.enqueue(PRODUCERS, 0);
    return waitOn(
      core,
      PRODUCERS,
      slot,
      signal,
      timeout,
      undefined,
      'threads RingBuffer.produce',
      (handed) => this.#claimSpace(handed, value),
    ).then(produced);
  }

  /** Takes the oldest item now: `{ ok: true, value }`, or `{ ok: false, error: 'empty' | 'stopped' }`. */
  tryConsume(): Expected<T, 'empty' | 'stopped'> {
    const core = this.#core;
    core.lock();
    if (core.get(SIZE) - core.get(RESERVED_ITEMS) > 0) {
      const value = this.#read();
      core.unlock();
      return ok(value);
    }
    const stopped = core.get(STATE) === STOPPED;
    core.unlock();
    return stopped ? errStopped : errEmpty;
  }

  /**
   * Takes the oldest item, waiting in line (FIFO) while the buffer is empty. Bad options throw
   * `InvalidArgumentError` at the call.
   */
  consume(options?: WaitOptions): Promise<Consumed<T>> {
    const { signal, timeout } = readThreadWaitOptions(options);
    return this.#startConsume(signal, timeout);
  }

  async #startConsume(
    signal: StopLike | undefined,
    timeout: number | undefined,
  ): Promise<Consumed<T>> {
    const core = this.#core;
    if (core.tryLockBriefly()) return this.#consume(signal, timeout);
    return core.lockAsync(() => this.#consume(signal, timeout));
  }

  /** The rest of `consume`, with the guard held. */
  #consume(
    signal: StopLike | undefined,
    timeout: number | undefined,
  ): Consumed<T> | Promise<Consumed<T>> {
    const core = this.#core;
    // The one precedence rule: the call's own stop first, then an item, then the state.
    if (isStopRequested(signal)) {
      core.unlock();
      return errCancelled;
    }
    // Items nobody was promised exist only while no consumer waits.
    if (core.get(SIZE) - core.get(RESERVED_ITEMS) > 0) {
      const value = this.#read();
      core.unlock();
      return ok(value);
    }
    if (core.get(STATE) === STOPPED) {
      core.unlock();
      return errStopped;
    }
    if (timeout === 0) {
      core.unlock();
      return errTimeout;
    }
    const slot = core.enqueue(CONSUMERS, 0);
    let value: T | undefined;
    return waitOn(
      core,
      CONSUMERS,
      slot,
      signal,
      timeout,
      undefined,
      'threads RingBuffer.consume',
      (handed) => {
        if (handed !== GRANTED) return handed;
        // An item was reserved for us; only a full shutdown can have dropped it since.
        if (core.get(STATE) === STOPPED) return WOKEN;
        core.set(RESERVED_ITEMS, core.get(RESERVED_ITEMS) - 1);
        value = this.#read();
        return GRANTED;
      },
    ).then((state): Consumed<T> => {
      if (state === GRANTED) return ok(value as T);
      if (state === TIMED_OUT) return errTimeout;
      if (state === CANCELLED) return errCancelled;
      return errStopped;
    });
  }

  /**
   * Under the guard, as a waiting producer claims its wake-up: writes `value` into the cell
   * reserved for it (even if a drain began since; a full stop dropped it).
   */
  #claimSpace(state: number, value: T): number {
    const core = this.#core;
    if (state !== GRANTED) return state;
    if (core.get(STATE) === STOPPED) return WOKEN;
    core.set(RESERVED_SPACE, core.get(RESERVED_SPACE) - 1);
    this.#write(value);
    return GRANTED;
  }

  /**
   * @internal Under the guard: an item or a cell reserved for a thread that ended before it
   * claimed it goes to the next waiter of its kind (or back to everyone).
   */
  reclaim(list: number, state: number): void {
    const core = this.#core;
    if (state !== GRANTED || core.get(STATE) === STOPPED) return;
    if (list === CONSUMERS) {
      core.set(RESERVED_ITEMS, core.get(RESERVED_ITEMS) - 1);
      if (core.wakeHead(CONSUMERS, GRANTED)) core.set(RESERVED_ITEMS, core.get(RESERVED_ITEMS) + 1);
    } else if (list === PRODUCERS) {
      core.set(RESERVED_SPACE, core.get(RESERVED_SPACE) - 1);
      if (core.get(STATE) !== RUNNING) this.#stopIfDrained();
      else if (core.wakeHead(PRODUCERS, GRANTED)) {
        core.set(RESERVED_SPACE, core.get(RESERVED_SPACE) + 1);
      }
    }
  }

  /** libcoro's name for `shutdown()`: wakes every waiter with `'stopped'` and stops. */
  notifyWaiters(): void {
    this.shutdown();
  }

  /**
   * Stops now on every thread: waiting producers resolve `'stopped'` (their values were not
   * added), waiting consumers `{ ok: false, error: 'stopped' }`, buffered items are dropped,
   * and later calls return `'stopped'` at once.
   */
  shutdown(): void {
    const core = this.#core;
    core.lock();
    if (core.get(STATE) !== STOPPED) this.#stop();
    core.unlock();
  }

  /**
   * Refuses new items (waiting and later producers get `'stopped'`), lets consumers on any
   * thread take what is buffered, then stops. Resolves once it has stopped.
   */
  async shutdownDrain(): Promise<void> {
    const core = this.#core;
    if (core.tryLockBriefly()) return this.#drain();
    return core.lockAsync(() => this.#drain());
  }

  /** The rest of `shutdownDrain`, with the guard held. */
  #drain(): Promise<void> | undefined {
    const core = this.#core;
    const state = core.get(STATE);
    if (state === STOPPED) {
      core.unlock();
      return;
    }
    if (state === RUNNING) {
      core.set(STATE, DRAINING);
      core.wakeAll(PRODUCERS, WOKEN);
      this.#stopIfDrained();
      if (core.get(STATE) === STOPPED) {
        core.unlock();
        return;
      }
    }
    const slot = core.enqueue(DRAIN_WAITERS, 0);
    return waitOn(
      core,
      DRAIN_WAITERS,
      slot,
      undefined,
      undefined,
      undefined,
      'threads RingBuffer.shutdownDrain',
    ).then(() => {});
  }

  /** Consumes items until the buffer stops. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    while (true) {
      const result = await this.consume();
      if (!result.ok) return;
      yield result.value;
    }
  }
}
