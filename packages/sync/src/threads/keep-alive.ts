/**
 * A pending `Atomics.waitAsync` does not keep a thread's event loop alive, so a worker whose
 * only work is waiting for a lock held elsewhere would simply exit. While any wait of this
 * thread is parked, one ref'd interval timer (made once, toggled with ref/unref) keeps it
 * alive, the way a pending socket read would.
 *
 * @internal
 */
let parkedCount = 0;
let keepAlive: ReturnType<typeof setInterval> | undefined;

/** A wait of this thread starts: keep the thread alive until the matching `releaseAlive`. */
export function holdAlive(): void {
  if (parkedCount++ !== 0) return;
  if (keepAlive === undefined) keepAlive = setInterval(() => {}, 0x3fffffff);
  else keepAlive.ref();
}

/** A wait of this thread ended. */
export function releaseAlive(): void {
  if (--parkedCount === 0) keepAlive?.unref();
}
