import { type Expected, refuseUnknownOptions, type WaitOptions } from '@coro/task';
import type { SharedHandle } from './core.ts';
import {
  growableRing,
  RingBuffer,
  type RingBufferOptions,
  type SharedItem,
} from './ring-buffer.ts';

/** Options of a shared `Queue`. */
export interface QueueOptions extends RingBufferOptions {
  /** Items it has room for at first (default 64); it grows by doubling. */
  readonly initialCapacity?: number | undefined;
  /**
   * The most items it may hold (default 65,536): shared memory for this many is reserved as
   * address space up front and committed as the queue grows. `push` returns `'full'` beyond it.
   */
  readonly maxCapacity?: number | undefined;
}

/** Every key of `QueueOptions`: the compiler keeps it in step with the interface. */
const queueOptionKeys: Readonly<Record<keyof QueueOptions, true>> = {
  initialCapacity: true,
  maxCapacity: true,
  slotBytes: true,
  maxWaiters: true,
};

// Lets `Queue.from` hand an attached ring to the constructor (private fields are set there).
let attaching: RingBuffer<SharedItem> | undefined;

const DEFAULT_INITIAL_CAPACITY = 64;
const DEFAULT_MAX_CAPACITY = 65_536;

/**
 * A FIFO queue between threads whose `push` never waits: the thread-safe twin of `Queue`. It
 * lives in a growable `SharedArrayBuffer` that doubles in place as items pile up (every thread
 * sees the growth), from `initialCapacity` (default 64) up to `maxCapacity` (default 65,536):
 * shared memory cannot grow without bound, so past `maxCapacity` `push` returns `'full'`
 * instead of buffering (a producer that must not drop items can use `RingBuffer.produce`, which
 * waits). It carries numbers, or byte strings with `{ slotBytes }`. `pop` waits while it is
 * empty; consumers on all threads are served FIFO. Send it to workers and rebuild it there with
 * `Queue.from`.
 *
 * Statuses: `push` → `'produced' | 'full' | 'stopped'`; `pop` → `{ ok: true, value }` or
 * `{ ok: false, error: 'stopped' | 'timeout' | 'cancelled' }`; `tryPop` → `'empty' | 'stopped'`.
 *
 * @example
 * const jobs = new Queue<Uint8Array>({ slotBytes: 64 });
 * jobs.push(new TextEncoder().encode('hello'));
 * const job = await Queue.from<Uint8Array>(workerData.jobs).pop({ timeout: 1000 });
 */
export class Queue<T extends SharedItem = number> implements AsyncIterable<T> {
  /** The shared memory holding this queue; what a structured clone carries. */
  readonly buffer: SharedArrayBuffer;
  readonly #ring: RingBuffer<T>;

  /** An empty queue (see `QueueOptions` for its capacity, item kind and waiter slots). */
  constructor(options?: QueueOptions) {
    refuseUnknownOptions(options, queueOptionKeys, 'threads Queue');
    this.#ring =
      (attaching as RingBuffer<T> | undefined) ??
      growableRing<T>(
        options?.initialCapacity ??
          Math.min(DEFAULT_INITIAL_CAPACITY, options?.maxCapacity ?? DEFAULT_MAX_CAPACITY),
        options?.maxCapacity ?? DEFAULT_MAX_CAPACITY,
        options,
      );
    attaching = undefined;
    this.buffer = this.#ring.buffer;
  }

  /** Rebuilds the queue on this thread from itself, its structured clone or its buffer. */
  static from<T extends SharedItem = number>(handle: Queue<T> | SharedHandle): Queue<T> {
    if (handle instanceof Queue) return handle;
    attaching = RingBuffer.from<T>(handle) as RingBuffer<SharedItem>;
    return new Queue<T>();
  }

  /** Items queued now. */
  get size(): number {
    return this.#ring.size;
  }

  /** Items it has room for now (it grows up to `maxCapacity`). */
  get capacity(): number {
    return this.#ring.capacity;
  }

  /** The most items it may hold. */
  get maxCapacity(): number {
    return this.#ring._maxCapacity;
  }

  /** Whether no item is queued. */
  get isEmpty(): boolean {
    return this.#ring.isEmpty;
  }

  /** Whether it has stopped (`shutdown()`, or `shutdownDrain()` once drained). */
  get isStopped(): boolean {
    return this.#ring.isStopped;
  }

  /** Consumers waiting (on all threads): for tests and diagnostics. */
  get waiterCount(): number {
    return this.#ring.waiterCount;
  }

  /** @internal Whether a thread is inside an operation on it: for tests that kill threads. */
  get _guardHeld(): boolean {
    return this.#ring._guardHeld;
  }

  /** @internal Free waiter slots: for leak tests. */
  get _freeSlots(): number {
    return this.#ring._freeSlots;
  }

  /**
   * Appends `value` (growing the queue if needed), waking the oldest waiting consumer:
   * `'produced'`, `'full'` (at `maxCapacity`) or `'stopped'`.
   */
  push(value: T): 'produced' | 'full' | 'stopped' {
    return this.#ring.tryProduce(value);
  }

  /** Takes the oldest item, waiting while the queue is empty. */
  pop(options?: WaitOptions): Promise<Expected<T, 'stopped' | 'timeout' | 'cancelled'>> {
    return this.#ring.consume(options);
  }

  /** Takes the oldest item now, or `{ ok: false, error: 'empty' | 'stopped' }`. */
  tryPop(): Expected<T, 'empty' | 'stopped'> {
    return this.#ring.tryConsume();
  }

  /** Stops now: waiting consumers get `'stopped'`, queued items are dropped. */
  shutdown(): void {
    this.#ring.shutdown();
  }

  /** Refuses new items, lets consumers take what is queued, then stops; resolves when stopped. */
  shutdownDrain(): Promise<void> {
    return this.#ring.shutdownDrain();
  }

  /** Pops items until the queue stops. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.#ring[Symbol.asyncIterator]();
  }
}
