import type { IoScheduler, ScheduledCall } from '@coro/io';
import {
  type Expected,
  err,
  InvalidArgumentError,
  isStopRequested,
  ok,
  onStop,
  type StopRegistration,
  type WaitOptions,
} from '@coro/task';
import { checkDeadline, checkScheduler, readOptions } from './internal/options.ts';
import { IoStatus } from './io-status.ts';

/** What an `AcceptQueue` does with its items: how one is handed out, how one is dropped. */
export interface AcceptQueueOptions<Item, Value> {
  /**
   * Turns an item into what `accept()` resolves with, at the moment it is handed out (to a
   * waiting `accept()` or to the next one). `tcp.Server` wraps its connection in a
   * `tcp.Client` here.
   */
  readonly deliver: (item: Item) => Value;
  /** Closes an item that nobody accepted, when the queue is closed. */
  readonly discard: (item: Item) => void;
}

interface AcceptWaiter<Value> {
  resolve: (result: Expected<Value, IoStatus>) => void;
  timer: ScheduledCall | undefined;
  registration: StopRegistration | undefined;
}

/**
 * The accept side of a listener, shared by `tcp.Server` and `@coro/tls`'s `tls.Server`: a FIFO
 * of connections nobody took yet and a FIFO of `accept()` calls waiting for one, each under its
 * own `{ timeout, signal }`. Feed it from a Node.js server's connection event with `push()`; a
 * connection that dies while queued leaves with `remove()`. `fail(status)` reports a listener
 * that could not listen, `close()` ends it (pending and later `accept()`s get `closed`).
 *
 * @example
 * const queue = new AcceptQueue(scheduler, {
 *   deliver: (socket: Socket) => socket,
 *   discard: (socket) => socket.destroy(),
 * });
 * nodeServer.on('connection', (socket) => {
 *   if (queue.push(socket)) socket.once('close', () => queue.remove(socket));
 * });
 * const next = await queue.accept({ timeout: 1000 }); // { ok: true, value: socket } | { ok: false, error }
 */
export class AcceptQueue<Item, Value = Item> {
  readonly #scheduler: IoScheduler;
  readonly #deliver: (item: Item) => Value;
  readonly #discard: (item: Item) => void;
  readonly #items: Item[] = [];
  readonly #waiters: AcceptWaiter<Value>[] = [];
  #failure: IoStatus | undefined;
  #closed = false;

  /** A queue whose timeouts run on `scheduler`. Bad arguments throw `InvalidArgumentError`. */
  constructor(scheduler: IoScheduler, options: AcceptQueueOptions<Item, Value>) {
    this.#scheduler = checkScheduler(scheduler, 'AcceptQueue');
    if (
      options === null ||
      typeof options !== 'object' ||
      typeof options.deliver !== 'function' ||
      typeof options.discard !== 'function'
    ) {
      throw new InvalidArgumentError('AcceptQueue expects { deliver, discard } functions');
    }
    this.#deliver = options.deliver;
    this.#discard = options.discard;
  }

  /** Items queued that no `accept()` took yet. */
  get pending(): number {
    return this.#items.length;
  }

  /** Whether `close()` was called. */
  get isClosed(): boolean {
    return this.#closed;
  }

  /**
   * Hands `item` to the oldest waiting `accept()`, or queues it. Returns `true` when it was
   * queued (the caller may then watch it and `remove()` it if it dies), `false` when it was
   * handed out, or discarded because the queue is closed. A `deliver` that throws makes `push`
   * throw, with the item neither handed out nor queued and every waiter still waiting.
   */
  push(item: Item): boolean {
    if (this.#closed) {
      this.#discard(item);
      return false;
    }
    const waiter = this.#waiters[0];
    if (waiter === undefined) {
      this.#items.push(item);
      return true;
    }
    // Delivered before the waiter is taken: a deliver that throws leaves the waiter waiting
    // (under its own deadline), and the exception goes to the caller, who still has the item.
    const value = this.#deliver(item);
    this.#waiters.shift();
    this.#settle(waiter, ok(value));
    return false;
  }

  /** Takes a queued `item` out (it died before anyone accepted it). Whether it was queued. */
  remove(item: Item): boolean {
    const index = this.#items.indexOf(item);
    if (index < 0) return false;
    this.#items.splice(index, 1);
    return true;
  }

  /**
   * The next item: `{ ok: true, value }`, or `{ ok: false, error }` with `closed` (after
   * `close()`), the status given to `fail()`, `timeout`, or `cancelled`. Bad options throw
   * `InvalidArgumentError` at the call. A `deliver` that throws for a queued item makes
   * `accept` throw, and that item is discarded.
   */
  accept(options?: WaitOptions): Promise<Expected<Value, IoStatus>> {
    const { signal, timeout } = readOptions(options);
    if (this.#closed) return Promise.resolve(err(IoStatus.closed));
    if (this.#items.length > 0) {
      const item = this.#items.shift()!;
      let value: Value;
      try {
        value = this.#deliver(item);
      } catch (error) {
        // Nobody can take an item its deliver refuses: it is closed as a queued item would be
        // at close(), not dropped with nobody to close it, and the exception goes to the caller.
        this.#discard(item);
        throw error;
      }
      return Promise.resolve(ok(value));
    }
    const failure = this.#failure;
    if (failure !== undefined) return Promise.resolve(err(failure));
    if (isStopRequested(signal)) return Promise.resolve(err(IoStatus.cancelled));
    if (timeout === 0) return Promise.resolve(err(IoStatus.timeout));
    checkDeadline(this.#scheduler, timeout, 'accept');
    return new Promise((resolve) => {
      const waiter: AcceptWaiter<Value> = { resolve, timer: undefined, registration: undefined };
      this.#waiters.push(waiter);
      if (timeout !== undefined) {
        waiter.timer = this.#scheduler.callAfter(timeout, () =>
          this.#giveUp(waiter, IoStatus.timeout),
        );
      }
      if (signal !== undefined) {
        waiter.registration = onStop(signal, () => this.#giveUp(waiter, IoStatus.cancelled));
      }
    });
  }

  /**
   * The listener failed (a bind error such as `native(EADDRINUSE)`): waiting `accept()`s
   * resolve with `status`, and so do later ones once nothing is queued. The first failure
   * stays.
   */
  fail(status: IoStatus): void {
    if (this.#failure !== undefined || this.#closed) return;
    this.#failure = status;
    this.#failAll(status);
  }

  /** Ends the queue: queued items are discarded, pending and later `accept()`s get `closed`. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const item of this.#items.splice(0)) this.#discard(item);
    this.#failAll(IoStatus.closed);
  }

  #giveUp(waiter: AcceptWaiter<Value>, status: IoStatus): void {
    const index = this.#waiters.indexOf(waiter);
    if (index < 0) return;
    this.#waiters.splice(index, 1);
    this.#settle(waiter, err(status));
  }

  #settle(waiter: AcceptWaiter<Value>, result: Expected<Value, IoStatus>): void {
    waiter.timer?.cancel();
    waiter.registration?.unregister();
    waiter.resolve(result);
  }

  #failAll(status: IoStatus): void {
    for (const waiter of this.#waiters.splice(0)) this.#settle(waiter, err(status));
  }
}
