/** What a `ScheduledCall` controls: its pending timer entry. */
interface CallHandle {
  readonly pending: boolean;
  cancel(): boolean;
}

/**
 * A callback pending on a scheduler's timer heap, made by `scheduler.callAfter(ms, fn)`.
 * `cancel()` removes it at once; `using` cancels it at the end of the scope.
 *
 * @example
 * using deadline = scheduler.callAfter(5_000, () => socket.destroy(new Error('too slow')));
 * await handshake(socket);
 */
export class ScheduledCall implements Disposable {
  readonly #handle: CallHandle;

  /** @internal Use `scheduler.callAfter()`. */
  constructor(handle: CallHandle) {
    this.#handle = handle;
  }

  /** Whether the call is still pending (neither run nor cancelled). */
  get pending(): boolean {
    return this.#handle.pending;
  }

  /** Removes the call. Returns `true` if it was still pending. */
  cancel(): boolean {
    return this.#handle.cancel();
  }

  /** Cancels the call (the end of a `using` scope). */
  [Symbol.dispose](): void {
    this.#handle.cancel();
  }
}
