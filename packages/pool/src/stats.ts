import { performance } from 'node:perf_hooks';

/** Mean and 99th percentile of a duration, in milliseconds. */
export interface DurationStats {
  readonly mean: number;
  readonly p99: number;
}

/** What `pool.stats()` returns. */
export interface PoolStats {
  /** Jobs that returned a value. */
  readonly completed: number;
  /** Jobs that threw, or whose thread crashed. */
  readonly failed: number;
  /** Jobs stopped by a stop request, a signal, a timeout, `terminate()` or a shutdown's timeout. */
  readonly cancelled: number;
  /** Time from `run` to being sent to a thread. */
  readonly waitTime: DurationStats;
  /** Time from being sent to a thread to the result arriving back. */
  readonly runTime: DurationStats;
  /** Share of the pool's thread time spent holding at least one job, 0 … 1. */
  readonly utilization: number;
  /** Threads that crashed and were replaced. */
  readonly crashes: number;
}

/** Recent samples kept for the p99 figures. */
const SAMPLES = 1024;

/** A ring of the last samples of one duration, with their running sum. */
class DurationSampler {
  readonly #samples = new Float64Array(SAMPLES);
  #count = 0;
  #sum = 0;

  add(ms: number): void {
    this.#samples[this.#count % SAMPLES] = ms;
    this.#count++;
    this.#sum += ms;
  }

  read(): DurationStats {
    return { mean: this.#count === 0 ? 0 : this.#sum / this.#count, p99: this.#p99() };
  }

  #p99(): number {
    const n = Math.min(this.#count, SAMPLES);
    if (n === 0) return 0;
    const sorted = this.#samples.slice(0, n).sort();
    return sorted[Math.min(n - 1, Math.ceil(n * 0.99) - 1)]!;
  }
}

/** @internal The pool's counters and timings, behind `pool.stats()`. */
export class StatsSampler {
  readonly #createdAt = performance.now();
  completed = 0;
  failed = 0;
  cancelled = 0;
  crashes = 0;
  /** Thread time spent holding jobs, for threads that are idle now (busy ones add their own). */
  busyTime = 0;
  readonly wait = new DurationSampler();
  readonly run = new DurationSampler();

  /** The figures now; `busyNow` is the busy time of threads that hold jobs at the moment. */
  read(threadCount: number, busyNow: number, now: number): PoolStats {
    const elapsed = (now - this.#createdAt) * threadCount;
    const busy = this.busyTime + busyNow;
    return {
      completed: this.completed,
      failed: this.failed,
      cancelled: this.cancelled,
      waitTime: this.wait.read(),
      runTime: this.run.read(),
      utilization: elapsed <= 0 ? 0 : Math.min(1, busy / elapsed),
      crashes: this.crashes,
    };
  }
}
