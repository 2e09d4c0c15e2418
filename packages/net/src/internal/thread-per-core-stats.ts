// The counters every thread of a ThreadPerCore server publishes, in one SharedArrayBuffer: each
// thread writes only its own row, the main thread reads any row at any time with Atomics. No
// message is sent per connection or per byte.

/** Counters per thread, in this order. */
export const ACCEPTED = 0;
export const OPEN = 1;
export const BYTES_READ = 2;
export const BYTES_WRITTEN = 3;
const FIELDS = 4;

/** @internal The shared counters of every thread (main-thread and worker side). */
export class SharedStats {
  readonly buffer: SharedArrayBuffer;
  readonly #cells: BigInt64Array;

  constructor(threads: number, buffer?: SharedArrayBuffer) {
    this.buffer = buffer ?? new SharedArrayBuffer(threads * FIELDS * 8);
    this.#cells = new BigInt64Array(this.buffer);
  }

  /** Adds `by` to one counter of thread `thread`. */
  add(thread: number, field: number, by: bigint): void {
    Atomics.add(this.#cells, thread * FIELDS + field, by);
  }

  /** Sets one counter of thread `thread`. */
  set(thread: number, field: number, value: number): void {
    Atomics.store(this.#cells, thread * FIELDS + field, BigInt(value));
  }

  /** Reads one counter of thread `thread`. */
  get(thread: number, field: number): number {
    return Number(Atomics.load(this.#cells, thread * FIELDS + field));
  }
}
