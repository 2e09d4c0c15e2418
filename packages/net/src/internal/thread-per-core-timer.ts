// Node.js timers take at most 2^31 − 1 ms; longer durations are chained. Infinity never fires.
const MAX_TIMER = 2 ** 31 - 1;

/** @internal Calls `callback` after `ms`; returns a function that cancels it. */
export function after(ms: number, callback: () => void): () => void {
  if (ms === Infinity) return () => {};
  let timer: NodeJS.Timeout | undefined;
  let remaining = ms;
  const arm = (): void => {
    const step = Math.min(remaining, MAX_TIMER);
    remaining -= step;
    timer = setTimeout(remaining > 0 ? arm : callback, step);
  };
  arm();
  return () => clearTimeout(timer);
}
