import {
  type Expected,
  isStopRequested,
  ok,
  readWaitOptions,
  type StopLike,
  type WaitOptions,
} from '@coro/task';
import { Deque } from './internal/deque.ts';
import {
  errCancelled,
  errEmpty,
  errStopped,
  errTimeout,
  ITERATE,
  resolvedErrCancelled,
  resolvedErrStopped,
  resolvedErrTimeout,
  resolvedIterDone,
  resolvedVoid,
} from './internal/resolved.ts';
import { ChannelIterator } from './internal/channel-iterator.ts';
import { WaitList } from './internal/waiter.ts';
import { type Consumed, deliverToConsumer, wakeConsumersStopped } from './internal/consumers.ts';

const RUNNING = 0;
const DRAINING = 1;
const STOPPED = 2;

/**
 * libcoro's `coro::queue`: an unbounded multi-producer, multi-consumer FIFO. `push()` never
 * waits; `pop()` waits while it is empty, consumers served first come, first served, and each
 * item goes to exactly one consumer, in order.
 *
 * `shutdown()` stops it now (waiting consumers get `'stopped'`, queued items are dropped);
 * `shutdownDrain()` refuses new items, lets consumers take what is left, then stops. The queue
 * is async-iterable; the loop ends when it stops.
 *
 * @example
 * const jobs = new Queue<string>();
 * jobs.push('a'); jobs.push('b');
 * const job = await jobs.pop();               // { ok: true, value: 'a' }
 * void jobs.shutdownDrain();
 * for await (const j of jobs) console.log(j); // 'b', then the loop ends
 */
export class Queue<T> implements AsyncIterable<T> {
  readonly #items = new Deque<T>();
  #state = RUNNING;
  readonly #consumers = new WaitList<Consumed<T>>('Queue.pop', errTimeout, errCancelled);
  #drained: (() => void) | undefined = undefined;
  #drainedPromise: Promise<void> | undefined = undefined;

  /** How many items are queued. */
  get size(): number {
    return this.#items.size;
  }

  get isEmpty(): boolean {
    return this.#items.size === 0;
  }

  /** Whether it has stopped (`shutdown()`, or `shutdownDrain()` once drained). */
  get isStopped(): boolean {
    return this.#state === STOPPED;
  }

  /** How many `pop()` calls are waiting: for tests and diagnostics. */
  get waiterCount(): number {
    return this.#consumers.length;
  }

  /**
   * Adds `value` (to a waiting consumer directly if there is one): `'produced'`, or `'stopped'`
   * after `shutdown()` / `shutdownDrain()` (the value was not added).
   */
  push(value: T): 'produced' | 'stopped' {
    if (this.#state !== RUNNING) return 'stopped';
    if (!deliverToConsumer(this.#consumers, value)) this.#items.push(value);
    return 'produced';
  }

  /**
   * Takes the oldest item, waiting while it is empty: `{ ok: true, value }`, or
   * `{ ok: false, error: 'stopped' }` once stopped (or draining and empty). With `{ timeout }` /
   * `{ signal }` also `error: 'timeout'` / `'cancelled'`.
   */
  pop(): Promise<Expected<T, 'stopped'>>;
  pop(options: WaitOptions | undefined): Promise<Expected<T, 'stopped' | 'timeout' | 'cancelled'>>;
  pop(options?: WaitOptions): Promise<Expected<T, 'stopped' | 'timeout' | 'cancelled'>> {
    let signal: ReturnType<typeof readWaitOptions>['signal'];
    let timeout: number | undefined;
    if (options !== undefined) {
      ({ signal, timeout } = readWaitOptions(options));
      if (isStopRequested(signal)) return resolvedErrCancelled;
    }
    if (this.#items.size !== 0) return Promise.resolve(ok(this.#take()));
    if (this.#state !== RUNNING) return resolvedErrStopped;
    if (timeout === 0) return resolvedErrTimeout;
    return this.#consumers.enqueue(undefined, signal, timeout) as Promise<
      Expected<T, 'stopped' | 'timeout' | 'cancelled'>
    >;
  }

  /** Takes the oldest item if there is one: `{ ok: true, value }`, or error `'empty'` / `'stopped'`. */
  tryPop(): Expected<T, 'empty' | 'stopped'> {
    if (this.#items.size !== 0) return ok(this.#take());
    return this.#state === RUNNING ? errEmpty : errStopped;
  }

  #size(): number {
    return this.#items.size;
  }

  #take(): T {
    const value = this.#items.shift();
    if (this.#items.size === 0 && this.#state === DRAINING) this.#stop();
    return value;
  }

  /**
   * Stops now: waiting consumers resolve `{ ok: false, error: 'stopped' }`, queued items are
   * dropped, and later calls return `'stopped'` at once.
   */
  shutdown(): void {
    if (this.#state === STOPPED) return;
    this.#items.clear();
    this.#stop();
  }

  /** Refuses new items, lets consumers take what is queued, then stops. Resolves once stopped. */
  shutdownDrain(): Promise<void> {
    if (this.#state === STOPPED) return resolvedVoid;
    if (this.#state === RUNNING) {
      this.#state = DRAINING;
      if (this.#items.size === 0) {
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
    if (this.#consumers.length !== 0) wakeConsumersStopped(this.#consumers);
    this.#drained?.();
    this.#drained = undefined;
  }

  /**
   * Takes items until the queue stops (a `break` or `return()` ends the loop and leaves the
   * queue running). The same as `iterate()`.
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
   * then resolves done and nothing more is taken (the queue keeps running).
   *
   * @example
   * for await (const item of channel.iterate({ signal: ctx.signal })) handle(item);
   */
  iterate(options?: { readonly signal?: WaitOptions['signal'] }): AsyncIterableIterator<T> {
    const { signal } = readWaitOptions(options);
    return new ChannelIterator<T>(this.#nextResult, this.#consumers as WaitList<unknown>, signal);
  }

  readonly #nextResult = (signal: StopLike | undefined): Promise<IteratorResult<T, undefined>> => {
    if (this.#size() !== 0) return Promise.resolve({ done: false, value: this.#take() });
    if (this.#state !== RUNNING) return resolvedIterDone;
    return this.#consumers.enqueue(ITERATE, signal, undefined) as Promise<
      IteratorResult<T, undefined>
    >;
  };
}
