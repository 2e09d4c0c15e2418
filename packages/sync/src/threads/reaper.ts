/**
 * Looks after grants that were handed to a waiter but not yet claimed (see `core.ts`): every
 * thread that granted something, or that found unclaimed grants when it took a guard, watches
 * that primitive, and one unref'd timer per thread probes the grants as they fall due, until
 * none is left to probe. Probing and passing on happen under the primitive's guard.
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
      if (!core.tryLockBriefly()) {
        due = 1; // busy: look again soon
      } else {
        try {
          due = core.reap();
        } finally {
          core.unlock();
        }
      }
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
