/** The longest delay a Node.js timer takes; longer ones fire after 1 ms with a warning. */
const MAX_DELAY = 2 ** 31 - 1;

/** A cancellable timer that also works for delays beyond 2³¹−1 ms (re-armed at the limit). */
export interface LongTimer {
  clear(): void;
}

class ChainedTimer implements LongTimer {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #remaining: number;
  readonly #callback: () => void;

  constructor(callback: () => void, ms: number) {
    this.#callback = callback;
    this.#remaining = ms;
    this.#timer = this.#arm();
  }

  #arm(): ReturnType<typeof setTimeout> {
    const delay = Math.min(this.#remaining, MAX_DELAY);
    this.#remaining -= delay;
    return setTimeout(() => {
      if (this.#remaining > 0) this.#timer = this.#arm();
      else {
        this.#timer = undefined;
        this.#callback();
      }
    }, delay);
  }

  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

class PlainTimer implements LongTimer {
  readonly #timer: ReturnType<typeof setTimeout>;

  constructor(callback: () => void, ms: number) {
    this.#timer = setTimeout(callback, ms);
  }

  clear(): void {
    clearTimeout(this.#timer);
  }
}

/** Calls `callback` once `ms` (finite, ≥ 0) have passed, unless cleared first. */
export function startTimer(callback: () => void, ms: number): LongTimer {
  return ms <= MAX_DELAY ? new PlainTimer(callback, ms) : new ChainedTimer(callback, ms);
}
