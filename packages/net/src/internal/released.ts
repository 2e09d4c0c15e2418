/**
 * @internal Resolves once libuv has released every handle closed before the call. libuv frees
 * a closed handle in the close phase at the end of a turn of the event loop, which comes after
 * its check phase (setImmediate); Node.js emits a `net.Server`'s or a UDP socket's `'close'`
 * before that, on the next tick. An immediate queued from inside an immediate runs in the next
 * turn, after the close phase of the turn the first one ran in.
 */
export function handlesReleased(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}
