/**
 * The exclusive hold of a thread lock — a `Mutex`, or the writer side of a `SharedMutex` — kept
 * in three consecutive fields of the primitive's shared memory: whether it is held, the
 * holder's `THREAD_TAG`, and the hold's ticket. A new hold gets a new ticket, so a
 * `ScopedLock` releases only the hold it took, never a later one of the same thread.
 *
 * Methods named "under the guard" read and write plain fields; the others read atomically.
 *
 * @internal
 */
import { type SharedCore, THREAD_TAG } from './core.ts';

/** Field offsets from the hold's first field. */
const HELD = 0;
const OWNER = 1;
const TICKET = 2;

/** How many fields an exclusive hold takes. */
export const EXCLUSIVE_HOLD_FIELDS = 3;

export class ExclusiveHold {
  readonly #core: SharedCore;
  readonly #base: number;

  /** The hold kept in fields `base`, `base + 1` and `base + 2` of `core`. */
  constructor(core: SharedCore, base: number) {
    this.#core = core;
    this.#base = base;
  }

  /** Whether some thread holds it (atomic read, no guard). */
  get isHeld(): boolean {
    return this.#core.load(this.#base + HELD) === 1;
  }

  /** Under the guard: whether some thread holds it. */
  get held(): boolean {
    return this.#core.get(this.#base + HELD) === 1;
  }

  /** Under the guard: whether this thread holds it. */
  get heldHere(): boolean {
    const core = this.#core;
    return core.get(this.#base + HELD) === 1 && core.get(this.#base + OWNER) === THREAD_TAG;
  }

  /** Under the guard: the current hold's ticket. */
  get ticket(): number {
    return this.#core.get(this.#base + TICKET);
  }

  /** Under the guard: whether this thread holds it with the hold `ticket`. */
  isHold(ticket: number): boolean {
    return this.heldHere && this.#core.get(this.#base + TICKET) === ticket;
  }

  /** Whether this thread holds it with the hold `ticket` (atomic reads, no guard). */
  isHoldNow(ticket: number): boolean {
    const core = this.#core;
    return (
      core.load(this.#base + HELD) === 1 &&
      core.load(this.#base + OWNER) === THREAD_TAG &&
      core.load(this.#base + TICKET) === ticket
    );
  }

  /** Under the guard: it becomes `owner`'s (a `THREAD_TAG`), as a new hold; returns its ticket. */
  take(owner: number): number {
    const core = this.#core;
    const ticket = (core.get(this.#base + TICKET) + 1) | 0;
    core.set(this.#base + HELD, 1);
    core.set(this.#base + OWNER, owner);
    core.set(this.#base + TICKET, ticket);
    return ticket;
  }

  /** Under the guard: nobody holds it any more. */
  clear(): void {
    this.#core.set(this.#base + HELD, 0);
    this.#core.set(this.#base + OWNER, 0);
  }
}
