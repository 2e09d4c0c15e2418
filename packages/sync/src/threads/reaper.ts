/**
 * Looks after grants that were handed to a waiter but not yet claimed (see `core.ts`), in the
 * background of this thread's **parked waits**: while a wait of this thread is parked on a
 * primitive, one unref'd timer per thread peeks at the primitive's claims count (a plain read)
 * every `PEEK_MS` and probes the unclaimed grants as they fall due, under the primitive's
 * guard. A primitive none of this thread's waits is parked on is dropped without being touched:
 * a thread whose calls have all returned leaves shared memory alone. Calls look after due
 * grants themselves when they take the guard.
 *
 * @internal
 */
import type { SharedCore } from './core.ts';

const watched = new Set<SharedCore>();
let timer: ReturnType<typeof setTimeout> | undefined;
let armedFor = Number.POSITIVE_INFINITY;

/** Starts watching `core`'s unclaimed grants on this thread. */
export function watch(core: SharedCore): void {
  core.watched = true;
  watched.add(core);
  arm(10);
}

function arm(ms: number): void {
  const delay = Math.max(1, ms);
  const at = performance.now() + delay;
  if (timer !== undefined && at >= armedFor) return;
  if (timer !== undefined) clearTimeout(timer);
  armedFor = at;
  timer = setTimeout(sweep, delay);
  timer.unref();
}

function sweep(): void {
  timer = undefined;
  armedFor = Number.POSITIVE_INFINITY;
  let next = -1;
  for (const core of watched) {
    let due: number;
    try {
      due = core.sweep();
    } catch {
      due = -1; // abandoned: nothing more to do here
    }
    if (due === -1) {
      watched.delete(core);
      core.watched = false;
    } else if (next === -1 || due < next) next = due;
  }
  if (next !== -1) arm(next);
}
