import { performance } from 'node:perf_hooks';
import { PoolClosedError, WorkerCrashedError } from '../errors.ts';
import type { PoolConfig } from '../options.ts';
import type { StatsSampler } from '../stats.ts';
import type { Dispatcher } from './dispatcher.ts';
import { settleError } from './job.ts';
import type { JobList } from './job-list.ts';
import { MSG_LOAD_FAILED, MSG_READY } from './protocol.ts';
import { Thread, type ThreadListener } from './thread.ts';

/** The longest delay before restarting a thread that keeps crashing. */
const MAX_RETRY_DELAY_MS = 2000;

/**
 * @internal Starts the pool's threads and watches them: announces a thread once it has loaded
 * the module (`onThreadStart`), and when one dies without being asked to, fails the jobs it
 * held with `WorkerCrashedError`, then replaces it — at once the first time, with a growing
 * delay when it keeps dying, and only while there is work for it.
 */
export class Supervisor implements ThreadListener {
  readonly #config: PoolConfig;
  readonly #dispatcher: Dispatcher;
  readonly #jobs: JobList;
  readonly #stats: StatsSampler;
  readonly #threads: (Thread | undefined)[];
  /** Consecutive crashes per thread index, and when a crashed thread may be started again. */
  readonly #crashes: number[];
  readonly #retryAt: number[];
  #retryTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** Thread indexes with no thread (crashed, waiting to be restarted). */
  #dead = 0;
  /**
   * 'open'; 'closing' once shutdown() began (a crashed thread is replaced only if jobs still
   * wait, and kept alive: the shutdown waits for it); 'stopped' once threads are being ended.
   */
  mode: 'open' | 'closing' | 'stopped' = 'open';

  constructor(config: PoolConfig, dispatcher: Dispatcher, jobs: JobList, stats: StatsSampler) {
    this.#config = config;
    this.#dispatcher = dispatcher;
    this.#jobs = jobs;
    this.#stats = stats;
    this.#threads = dispatcher.threads;
    this.#crashes = new Array(config.threadCount).fill(0);
    this.#retryAt = new Array(config.threadCount).fill(0);
    dispatcher.onQueued = () => {
      // The list only holds jobs while every live thread is full; with a crashed thread not
      // yet replaced, it may be time to restart it.
      if (this.#dead > 0) this.#ensureCapacity();
    };
    for (let i = 0; i < config.threadCount; i++) this.#threads[i] = this.#start(i);
  }

  #start(index: number): Thread {
    const config = this.#config;
    const thread = new Thread(
      this,
      index,
      config.concurrency,
      config.module,
      config.resourceLimits,
    );
    if (this.mode !== 'open') thread.keepAlive();
    return thread;
  }

  /** @internal A message from a thread: results, or its startup report. */
  _onMessage(thread: Thread, message: unknown[]): void {
    const first = message[0] as number;
    if (first >= 0) {
      this.#dispatcher.receive(thread, message);
      return;
    }
    if (first === MSG_READY || first === MSG_LOAD_FAILED) {
      thread.markUp(message);
      // A thread whose module failed to load still answers jobs (with ModuleLoadError), but it
      // never started: no onThreadStart, and so no onThreadStop.
      if (thread.started) this.#call(this.#config.onThreadStart, thread.index);
      this.#dispatcher.threadUp(thread);
    }
  }

  /** @internal A thread exited: expected (shutdown, terminate) or a crash. */
  _onExit(thread: Thread, code: number): void {
    const crashed = !thread.stopping;
    const error = crashed
      ? new WorkerCrashedError(
          `worker thread ${thread.index} ${thread.error === undefined ? `exited with code ${code}` : 'crashed'} while running this job`,
          { threadIndex: thread.index, exitCode: code, cause: thread.error },
        )
      : new PoolClosedError('the thread pool was terminated');
    for (const job of this.#dispatcher.evict(thread)) {
      settleError(job, error, crashed ? 'failed' : 'cancelled', this.#stats);
    }
    if (thread.started) this.#call(this.#config.onThreadStop, thread.index);
    if (crashed) this.#onCrash(thread, error as WorkerCrashedError);
    this.#dispatcher.onSettled();
  }

  #onCrash(thread: Thread, error: WorkerCrashedError): void {
    this.#stats.crashes++;
    const index = thread.index;
    if (thread.delivered) this.#crashes[index] = 0;
    const crashes = ++this.#crashes[index]!;
    if (this.#threads[index] === thread) {
      this.#threads[index] = undefined;
      this.#dead++;
    }
    if (this.mode === 'stopped') return;
    // The first crash is replaced at once; a thread that keeps dying (a module that exits
    // while loading, say) is restarted with a growing delay, and only when there is work.
    this.#retryAt[index] =
      crashes <= 1 ? 0 : performance.now() + Math.min(MAX_RETRY_DELAY_MS, 50 * 2 ** (crashes - 1));
    if (crashes <= 1 && (this.mode === 'open' || this.#jobs.length > 0)) this.#respawn(index);
    else if (crashes > 1 && !thread.ready && !this.#anyReady()) {
      // Threads keep dying before the module has even loaded, and none is up: the queued jobs
      // would only trickle into dying threads one restart at a time. Fail them now.
      for (const job of this.#jobs.takeAll()) settleError(job, error, 'failed', this.#stats);
    }
    this.#ensureCapacity();
  }

  /** Starts a replacement thread at an index left empty by a crash. */
  #respawn(index: number): void {
    this.#threads[index] = this.#start(index);
    this.#dead--;
  }

  #anyReady(): boolean {
    for (const thread of this.#threads) {
      if (thread !== undefined && thread.ready && !thread.exited) return true;
    }
    return false;
  }

  /** With work queued: restart crashed threads whose delay has passed, or plan to. */
  #ensureCapacity(): void {
    if (this.#jobs.head === undefined || this.mode === 'stopped') return;
    const now = performance.now();
    let nextRetry = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.#config.threadCount; i++) {
      if (this.#threads[i] !== undefined) continue;
      const at = this.#retryAt[i]!;
      if (at <= now) this.#respawn(i);
      else nextRetry = Math.min(nextRetry, at);
    }
    this.#dispatcher.dispatchQueued();
    if (
      this.#jobs.head !== undefined &&
      nextRetry !== Number.POSITIVE_INFINITY &&
      this.#retryTimer === undefined
    ) {
      this.#retryTimer = setTimeout(
        () => {
          this.#retryTimer = undefined;
          this.#ensureCapacity();
        },
        Math.max(1, nextRetry - now),
      );
    }
  }

  /** No more restarts: the threads are being ended. */
  stopRestarts(): void {
    this.mode = 'stopped';
    if (this.#retryTimer !== undefined) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
    }
  }

  #call(callback: ((threadIndex: number) => void) | undefined, index: number): void {
    if (callback === undefined) return;
    try {
      callback(index);
    } catch (error) {
      this.#config.onError(error);
    }
  }
}
