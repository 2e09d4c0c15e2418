import {
  type Expected,
  isStopRequested,
  ok,
  readWaitOptions,
  type StopLike,
  type WaitOptions,
} from '@coro/task';
import { checkCount } from './internal/check.ts';
import {
  errCancelled,
  errEmpty,
  errStopped,
  errTimeout,
  ITERATE,
  resolvedCancelled,
  resolvedErrCancelled,
  resolvedErrStopped,
  resolvedErrTimeout,
  resolvedIterDone,
  resolvedTimeout,
  resolvedVoid,
} from './internal/resolved.ts';
import { ChannelIterator } from './internal/channel-iterator.ts';
import { WaitList } from './internal/waiter.ts';
import { type Consumed, deliverToConsumer, wakeConsumersStopped } from './internal/consumers.ts';

/** What `produce()` resolves with. */
export type ProduceResult = 'produced' | 'stopped' | 'timeout' | 'cancelled';
/** What `tryProduce()` returns. */
export type TryProduceResult = 'produced' | 'full' | 'stopped';

const resolvedProduced: Promise<'produced'> = Promise.resolve('produced');
const resolvedStopped: Promise<'stopped'> = Promise.resolve('stopped');

/** The largest capacity: the longest array JavaScript can make. */
const MAX_CAPACITY = 2 ** 32 - 1;

const RUNNING = 0;
const DRAINING = 1;
const STOPPED = 2;

/**
 * libcoro's `coro::ring_buffer`: a bounded multi-producer, multi-consumer channel of `capacity`
 * items. `produce()` waits while it is full, `consume()` while it is empty; both serve their
 * waiters first come, first served, and every produced item is consumed exactly once, in order.
 *
 * `shutdown()` stops it now (waiters resolve `'stopped'`, buffered items are dropped);
 * `shutdownDrain()` refuses new items but lets consumers take what is left, then stops. The
 * buffer is async-iterable; the loop ends when it stops.
 *
 * @example
 * const rb = new RingBuffer<number>(16);
 * void (async () => { for (let i = 0; i < 100; i++) await rb.produce(i); await rb.shutdownDrain() })();
 * for await (const value of rb) console.log(value);   // 0 … 99, then the loop ends
 */
export class RingBuffer<T> implements AsyncIterable<T> {
  readonly #capacity: number;
  readonly #items: (T | undefined)[];
  #head = 0;
  #size = 0;
  #state = RUNNING;
  /** Producers waiting for space; each waiter's data is its value. */
  readonly #producers = new WaitList<ProduceResult>('RingBuffer.produce', 'timeout', 'cancelled');
  /** Consumers waiting for an item (only while the buffer is empty). */
  readonly #consumers = new WaitList<Consumed<T>>('RingBuffer.consume', errTimeout, errCancelled);
  #drained: (() => void) | undefined = undefined;
  #drainedPromise: Promise<void> | undefined = undefined;

  /** Throws `InvalidArgumentError` unless `capacity` is an integer in `1..2³²−1`. */
  constructor(capacity: number) {
    this.#capacity = checkCount(capacity, 'RingBuffer capacity', 1, MAX_CAPACITY);
    this.#items = new Array<T | undefined>(capacity);
  }

  /** How many items it holds at most. */
  get capacity(): number {
    return this.#capacity;
  }

  /** How many items it holds now. */
  get size(): number {
    return this.#size;
  }

  get isEmpty(): boolean {
    return this.#size === 0;
  }

  get isFull(): boolean {
    return this.#size === this.#capacity;
  }

  /** Whether it has stopped (`shutdown()`, or `shutdownDrain()` once drained). */
  get isStopped(): boolean {
    return this.#state === STOPPED;
  }

  /** Waiting producers plus waiting consumers: for tests and diagnostics. */
  get waiterCount(): number {
    return this.#producers.length + this.#consumers.length;
  }

  /**
   * Adds `value`, waiting while the buffer is full: `'produced'`, or `'stopped'` if it is shut
   * down (or draining) before the value got in. With `{ timeout }` / `{ signal }` also
   * `'timeout'` / `'cancelled'` (the value was not added).
   */
  produce(value: T): Promise<'produced' | 'stopped'>;
  produce(value: T, options: WaitOptions | undefined): Promise<ProduceResult>;
  produce(value: T, options?: WaitOptions): Promise<ProduceResult> {
    let signal: ReturnType<typeof readWaitOptions>['signal'];
    let timeout: number | undefined;
    if (options !== undefined) {
      ({ signal, timeout } = readWaitOptions(options));
      // An already-stopped signal answers first, shut down or not (the precedence rule).
      if (isStopRequested(signal)) return resolvedCancelled;
    }
    const status = this.tryProduce(value);
    if (status === 'produced') return resolvedProduced;
    if (status === 'stopped') return resolvedStopped;
    if (timeout === 0) return resolvedTimeout;
    return this.#producers.enqueue(value, signal, timeout);
  }

  /** Adds `value` if there is room: `'produced'`, `'full'` or `'stopped'`. Never waits. */
  tryProduce(value: T): TryProduceResult {
    if (this.#state !== RUNNING) return 'stopped';
    // A waiting consumer means the buffer is empty: hand the value straight over.
    if (deliverToConsumer(this.#consumers, value)) return 'produced';
    if (this.#size === this.#capacity) return 'full';
    this.#items[(this.#head + this.#size) % this.#capacity] = value;
    this.#size++;
    return 'produced';
  }

  /**
   * Takes the oldest item, waiting while the buffer is empty: `{ ok: true, value }`, or
   * `{ ok: false, error: 'stopped' }` once it has stopped (or is draining and empty). With
   * `{ timeout }` / `{ signal }` also `error: 'timeout'` / `'cancelled'`.
   */
  consume(): Promise<Expected<T, 'stopped'>>;
  consume(
    options: WaitOptions | undefined,
  ): Promise<Expected<T, 'stopped' | 'timeout' | 'cancelled'>>;
  consume(options?: WaitOptions): Promise<Expected<T, 'stopped' | 'timeout' | 'cancelled'>> {
    let signal: ReturnType<typeof readWaitOptions>['signal'];
    let timeout: number | undefined;
    if (options !== undefined) {
      ({ signal, timeout } = readWaitOptions(options));
      if (isStopRequested(signal)) return resolvedErrCancelled;
    }
    if (this.#size !== 0) return Promise.resolve(ok(this.#take()));
    if (this.#state !== RUNNING) return resolvedErrStopped;
    if (timeout === 0) return resolvedErrTimeout;
    return this.#consumers.enqueue(undefined, signal, timeout) as Promise<
      Expected<T, 'stopped' | 'timeout' | 'cancelled'>
    >;
  }

  /** Takes the oldest item if there is one: `{ ok: true, value }`, or error `'empty'` / `'stopped'`. */
  tryConsume(): Expected<T, 'empty' | 'stopped'> {
    if (this.#size !== 0) return ok(this.#take());
    return this.#state === RUNNING ? errEmpty : errStopped;
  }

  #take(): T {
    const items = this.#items;
    const value = items[this.#head] as T;
    const producers = this.#producers;
    const producer = producers.head;
    if (producer !== undefined) {
      // The slot just freed goes to the oldest waiting producer: its value takes the tail.
      items[this.#head] = producer.data as T;
      this.#head = (this.#head + 1) % this.#capacity;
      producers.grant(producer, 'produced');
    } else {
      items[this.#head] = undefined;
      this.#head = (this.#head + 1) % this.#capacity;
      this.#size--;
      if (this.#size === 0 && this.#state === DRAINING) this.#stop();
    }
    return value;
  }

  /** libcoro's name for `shutdown()`: wakes every waiter with `'stopped'` and stops. */
  notifyWaiters(): void {
    this.shutdown();
  }

  /**
   * Stops now: waiting producers resolve `'stopped'` (their values were not added), waiting
   * consumers `{ ok: false, error: 'stopped' }`, buffered items are dropped, and later calls
   * return `'stopped'` at once.
   */
  shutdown(): void {
    if (this.#state === STOPPED) return;
    this.#items.fill(undefined);
    this.#head = 0;
    this.#size = 0;
    this.#stop();
  }

  /**
   * Refuses new items (waiting and later producers get `'stopped'`), lets consumers take what is
   * buffered, then stops. Resolves once it has stopped.
   */
  shutdownDrain(): Promise<void> {
    if (this.#state === STOPPED) return resolvedVoid;
    if (this.#state === RUNNING) {
      this.#state = DRAINING;
      if (this.#producers.length !== 0) this.#producers.grantAll('stopped');
      if (this.#size === 0) {
        this.#stop();
        return resolvedVoid;
      }
    }
    this.#drainedPromise ??= new Promise<void>((resolve) => {
      this.#drained = resolve;
    });
    return this.#drainedPromise;
  }

  #stop(): void {
    this.#state = STOPPED;
    if (this.#producers.length !== 0) this.#producers.grantAll('stopped');
    if (this.#consumers.length !== 0) wakeConsumersStopped(this.#consumers);
    this.#drained?.();
    this.#drained = undefined;
  }

  /**
   * Takes items until the buffer stops (a `break` or `return()` ends the loop and leaves the
   * buffer running). The same as `iterate()`.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return new ChannelIterator<T>(
      this.#nextResult,
      this.#consumers as WaitList<unknown>,
      undefined,
    );
  }

  /**
   * An async iterator over the items that also ends when `signal` stops: a pending `next()`
   * then resolves done and nothing more is taken (the buffer keeps running).
   *
   * @example
   * for await (const item of channel.iterate({ signal: ctx.signal })) handle(item);
   */
  iterate(options?: { readonly signal?: WaitOptions['signal'] }): AsyncIterableIterator<T> {
    const { signal } = readWaitOptions(options);
    return new ChannelIterator<T>(this.#nextResult, this.#consumers as WaitList<unknown>, signal);
  }

  readonly #nextResult = (signal: StopLike | undefined): Promise<IteratorResult<T, undefined>> => {
    if (this.#size !== 0) return Promise.resolve({ done: false, value: this.#take() });
    if (this.#state !== RUNNING) return resolvedIterDone;
    return this.#consumers.enqueue(ITERATE, signal, undefined) as Promise<
      IteratorResult<T, undefined>
    >;
  };
}
