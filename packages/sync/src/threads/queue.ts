import type { Expected, WaitOptions } from '@coro/task';
import type { SharedHandle } from './core.ts';
import { RingBuffer, type RingBufferOptions, type SharedItem } from './ring-buffer.ts';

// Lets `Queue.from` hand an attached ring to the constructor (private fields are set there).
let attaching: RingBuffer<SharedItem> | undefined;

/** Default capacity of a shared `Queue`. */
const DEFAULT_CAPACITY = 1024;

/**
 * A FIFO queue between threads whose `push` never waits: the thread-safe twin of `Queue`.
 * Shared memory cannot grow without bound, so this queue is **bounded** (`capacity`, default
 * 1024 items): `push` returns `'full'` instead of buffering past it, and a producer that must
 * not drop items should use `RingBuffer.produce` (which waits) instead. It carries numbers, or
 * byte strings with `{ slotBytes }`. `pop` waits while it is empty; consumers on all threads
 * are served FIFO. Send it to workers and rebuild it there with `Queue.from`.
 *
 * Statuses: `push` → `'produced' | 'full' | 'stopped'`; `pop` → `{ ok: true, value }` or
 * `{ ok: false, error: 'stopped' | 'timeout' | 'cancelled' }`; `tryPop` → `'empty' | 'stopped'`.
 *
 * @example
 * const jobs = new Queue<Uint8Array>(256, { slotBytes: 64 });
 * jobs.push(new TextEncoder().encode('hello'));
 * const job = await Queue.from<Uint8Array>(workerData.jobs).pop({ timeout: 1000 });
 */
export class Queue<T extends SharedItem = number> implements AsyncIterable<T> {
  /** The shared memory holding this queue; what a structured clone carries. */
  readonly buffer: SharedArrayBuffer;
  readonly #ring: RingBuffer<T>;

  /** A queue of at most `capacity` items (default 1024). */
  constructor(capacity: number = DEFAULT_CAPACITY, options?: RingBufferOptions) {
    this.#ring = (attaching as RingBuffer<T> | undefined) ?? new RingBuffer<T>(capacity, options);
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

  /** The most items it holds. */
  get capacity(): number {
    return this.#ring.capacity;
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

  /** @internal Free waiter slots: for leak tests. */
  get _freeSlots(): number {
    return this.#ring._freeSlots;
  }

  /** Appends `value`, waking the oldest waiting consumer: `'produced'`, `'full'` or `'stopped'`. */
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
