import { performance } from 'node:perf_hooks';
import type { TransferListItem } from 'node:worker_threads';
import { DataCloneError, PoolQueueFullError } from '../errors.ts';
import type { StatsSampler } from '../stats.ts';
import { JobState, MOVED, type PoolTask, settleError, settleValue } from './job.ts';
import type { JobList } from './job-list.ts';
import {
  deserializeError,
  OP_CANCEL,
  OP_RUN,
  type SerializedError,
  SLOT_CANCELLED,
  SLOT_PENDING,
  SLOT_STOP,
  STATUS_ERROR,
  STATUS_OK,
} from './protocol.ts';
import type { Thread } from './thread.ts';

/**
 * @internal Moves jobs between the job list and the threads' windows: picks a thread for each
 * job, batches jobs into one message per thread and turn, reads the results back, refills a
 * thread's window as it empties, and lets an idle thread steal jobs that have not started on a
 * busy one. It owns the count of jobs held by threads (`inFlight`); the job list owns the
 * count of jobs waiting.
 */
export class Dispatcher {
  /** The pool's threads by index (`undefined`: crashed, not replaced yet). Shared with the supervisor. */
  readonly threads: (Thread | undefined)[];
  readonly #jobs: JobList;
  readonly #stats: StatsSampler;
  readonly #concurrency: number;
  /**
   * Jobs per message at most: half a window, so that a thread with a full window gets a steady
   * stream (one batch runs while the next is on its way) rather than one huge message.
   */
  readonly #batch: number;
  /** Jobs held by threads (sent, or about to be, and not answered for). */
  inFlight = 0;
  /** Called when a job had to be queued (to restart a crashed thread, maybe). */
  onQueued: () => void = noop;
  /** Called when jobs may have finished (to resolve a draining shutdown). */
  onSettled: () => void = noop;

  #dirty: Thread[] = [];
  #flushQueued = false;
  readonly #flushBound = () => this.#flush();

  constructor(
    threads: (Thread | undefined)[],
    jobs: JobList,
    stats: StatsSampler,
    concurrency: number,
  ) {
    this.threads = threads;
    this.#jobs = jobs;
    this.#stats = stats;
    this.#concurrency = concurrency;
    this.#batch = Math.max(1, concurrency >> 1);
  }

  /** Takes a started job: to a thread with a free slot, else into the job list. */
  submit(job: PoolTask<unknown>): void {
    const jobs = this.#jobs;
    if (jobs.length === 0) {
      const thread = this.pick();
      if (thread !== undefined) {
        this.#assign(thread, job);
        return;
      }
    }
    if (!jobs.hasRoom && job._options?.onFull !== 'wait') {
      settleError(job, new PoolQueueFullError(jobs.maxQueue), undefined, this.#stats);
      return;
    }
    jobs.push(job);
    this.onQueued();
  }

  /** A thread that can take a job now: the least loaded ready one, else a starting one. */
  pick(): Thread | undefined {
    const limit = this.#concurrency;
    let best: Thread | undefined;
    let bestLoad = limit;
    let starting: Thread | undefined;
    let startingLoad = limit;
    const threads = this.threads;
    for (let i = 0; i < threads.length; i++) {
      const thread = threads[i];
      if (thread === undefined || thread.exited || thread.stopping) continue;
      const load = thread.inFlight;
      if (thread.ready) {
        if (load < bestLoad) {
          best = thread;
          bestLoad = load;
          if (load === 0) break;
        }
      } else if (load < startingLoad) {
        starting = thread;
        startingLoad = load;
      }
    }
    return best ?? starting;
  }

  /** Hands queued jobs to every thread that has room (after a thread came back). */
  dispatchQueued(): void {
    const jobs = this.#jobs;
    for (let thread = this.pick(); thread !== undefined && jobs.head !== undefined; ) {
      this.#assign(thread, jobs.shift()!);
      thread = this.pick();
    }
  }

  #assign(thread: Thread, job: PoolTask<unknown>): void {
    const slot = thread.free.pop()!;
    thread.jobs[slot] = job;
    Atomics.store(thread.states, slot, SLOT_PENDING);
    job._state = JobState.DISPATCHED;
    job._thread = thread;
    job._slot = slot;
    if (thread.inFlight++ === 0) {
      thread.busySince = performance.now();
      thread.worker.ref();
    }
    this.inFlight++;
    let outbox = thread.outbox;
    if (outbox === undefined) {
      outbox = thread.outbox = [OP_RUN];
      thread.outboxCount = 0;
      this.#dirty.push(thread);
      if (!this.#flushQueued) {
        this.#flushQueued = true;
        queueMicrotask(this.#flushBound);
      }
    }
    // Flat: [slot, name, argc, ...args]. No array per job in the message.
    const args = job._jobArgs;
    const argc = args.length;
    outbox.push(slot, job._fn, argc);
    for (let k = 0; k < argc; k++) outbox.push(args[k]);
    thread.outboxCount++;
    const transfer = job._options?.transfer;
    if (transfer !== undefined && transfer.length > 0) {
      (thread.outTransfer ??= []).push(...transfer);
    }
    // Send full batches right away so that a thread with a deep window is never starved
    // waiting for one huge message.
    if (thread.outboxCount >= this.#batch) this.#send(thread);
  }

  #flush(): void {
    this.#flushQueued = false;
    const dirty = this.#dirty;
    if (dirty.length === 0) return;
    this.#dirty = [];
    for (let i = 0; i < dirty.length; i++) {
      const thread = dirty[i]!;
      if (thread.outbox !== undefined) this.#send(thread);
    }
  }

  #send(thread: Thread): void {
    const outbox = thread.outbox!;
    const transfer = thread.outTransfer;
    thread.outbox = undefined;
    thread.outTransfer = undefined;
    if (thread.exited) return;
    const now = performance.now();
    const wait = this.#stats.wait;
    for (let i = 1; i < outbox.length; i += 3 + (outbox[i + 2] as number)) {
      const job = thread.jobs[outbox[i] as number]!;
      if (job === MOVED) continue;
      job._sentAt = now;
      wait.add(now - job._queuedAt);
    }
    try {
      if (transfer === undefined) thread.worker.postMessage(outbox);
      else thread.worker.postMessage(outbox, transfer);
    } catch {
      this.#sendOneByOne(thread, outbox);
    }
  }

  /** After a batch failed to clone: send each job alone so that only the bad ones fail. */
  #sendOneByOne(thread: Thread, outbox: unknown[]): void {
    for (let i = 1; i < outbox.length; i += 3 + (outbox[i + 2] as number)) {
      const slot = outbox[i] as number;
      const job = thread.jobs[slot]!;
      if (job === MOVED) {
        this.#release(thread, slot); // nothing to send: its job went to another thread
        continue;
      }
      const transfer = job._options?.transfer;
      try {
        thread.worker.postMessage(
          outbox.slice(i - 1, i + 3 + (outbox[i + 2] as number)).fill(OP_RUN, 0, 1),
          transfer === undefined ? undefined : (transfer as TransferListItem[]),
        );
      } catch (error) {
        this.#release(thread, slot);
        if (job._state === JobState.DISPATCHED) {
          settleError(
            job,
            new DataCloneError(
              `the arguments of job '${job._fn}' could not be sent to a worker thread: ${(error as Error).message}`,
              { cause: error },
            ),
            'failed',
            this.#stats,
          );
        }
      }
    }
    this.#refill(thread);
  }

  /** Results from a thread: [slot, status, value, …]. */
  receive(thread: Thread, message: unknown[]): void {
    const now = performance.now();
    const jobs = thread.jobs;
    const free = thread.free;
    const stats = this.#stats;
    const n = message.length;
    let moved = 0;
    for (let i = 0; i < n; i += 3) {
      const slot = message[i] as number;
      const job = jobs[slot]!;
      jobs[slot] = undefined;
      free.push(slot);
      if (job._state !== JobState.DISPATCHED) {
        // Settled already (cancelled), or moved to another thread before it started.
        if (job === MOVED) moved++;
        continue;
      }
      stats.run.add(now - job._sentAt);
      const status = message[i + 1];
      if (status === STATUS_OK) settleValue(job, message[i + 2], stats);
      else if (status === STATUS_ERROR) {
        settleError(job, deserializeError(message[i + 2] as SerializedError), 'failed', stats);
      }
    }
    thread.delivered = true;
    const count = n / 3;
    this.inFlight -= count - moved;
    thread.inFlight -= count;
    this.#refill(thread);
  }

  /** A thread came up: if it has nothing to do, it takes work from one still loading, or busy. */
  threadUp(thread: Thread): void {
    if (thread.inFlight === 0 && this.#jobs.head === undefined) this.#steal(thread);
  }

  /** Frees a slot the worker will never answer for. */
  #release(thread: Thread, slot: number): void {
    if (thread.jobs[slot] !== MOVED) this.inFlight--;
    thread.jobs[slot] = undefined;
    thread.free.push(slot);
    thread.inFlight--;
  }

  /** Gives a thread queued work for its free slots; notices idleness and a finished drain. */
  #refill(thread: Thread): void {
    if (!thread.exited && !thread.stopping) {
      const jobs = this.#jobs;
      while (jobs.head !== undefined && thread.inFlight < this.#concurrency) {
        this.#assign(thread, jobs.shift()!);
      }
      if (thread.inFlight === 0 && thread.ready) this.#steal(thread);
    }
    if (thread.inFlight === 0 && !thread.exited) {
      this.#stats.busyTime += performance.now() - thread.busySince;
      if (!thread.stopping) thread.worker.unref();
    }
    this.onSettled();
  }

  /**
   * An idle thread takes over jobs that wait, not yet started, on the busiest other thread
   * (behind a long synchronous job, or on a thread still loading the module). Taking one back is
   * a compare-and-swap on its slot state, so it either runs where it was or here, never twice.
   * This is what makes a deep `concurrentTasksPerWorker` window safe for uneven jobs.
   */
  #steal(thief: Thread): void {
    let victim: Thread | undefined;
    let most = 1;
    for (const thread of this.threads) {
      if (thread !== undefined && thread !== thief && !thread.exited && thread.inFlight > most) {
        victim = thread;
        most = thread.inFlight;
      }
    }
    if (victim === undefined) return;
    let budget = Math.min(this.#concurrency, most >> 1);
    const jobs = victim.jobs;
    const states = victim.states;
    // From the highest slot down: those were handed out last, so they would run last there.
    for (let slot = jobs.length - 1; slot >= 0 && budget > 0; slot--) {
      const job = jobs[slot];
      if (job === undefined || job._state !== JobState.DISPATCHED) continue;
      // Transferred buffers are already on their way to the victim: they cannot go elsewhere.
      if (job._options?.transfer !== undefined && job._options.transfer.length > 0) continue;
      if (Atomics.compareExchange(states, slot, SLOT_PENDING, SLOT_CANCELLED) !== SLOT_PENDING) {
        continue;
      }
      jobs[slot] = MOVED;
      this.inFlight--;
      this.#assign(thief, job);
      budget--;
    }
  }

  /**
   * Takes a cancelled job back: out of the job list, or out of its thread (a job that has not
   * started never will; a running one is asked to stop). True if the job was still pending.
   */
  withdraw(job: PoolTask<unknown>): boolean {
    switch (job._state) {
      case JobState.QUEUED:
        this.#jobs.remove(job);
        return true;
      case JobState.DISPATCHED: {
        const thread = job._thread!;
        const slot = job._slot;
        if (
          Atomics.compareExchange(thread.states, slot, SLOT_PENDING, SLOT_CANCELLED) !==
          SLOT_PENDING
        ) {
          Atomics.store(thread.states, slot, SLOT_STOP);
          if (!thread.exited) thread.worker.postMessage([OP_CANCEL, slot]);
        }
        // The slot stays held until the worker answers for it.
        return true;
      }
      case JobState.NEW:
        // Not submitted yet (a signal that fired during submit): nothing holds it.
        return true;
      default:
        return false;
    }
  }

  /**
   * A thread exited: forgets its slots and returns the jobs that were still pending on it, in
   * slot order, for the caller to settle.
   */
  evict(thread: Thread): PoolTask<unknown>[] {
    const pending: PoolTask<unknown>[] = [];
    const jobs = thread.jobs;
    for (let slot = 0; slot < jobs.length; slot++) {
      const job = jobs[slot];
      if (job === undefined) continue;
      jobs[slot] = undefined;
      if (job === MOVED) continue;
      this.inFlight--;
      if (job._state === JobState.DISPATCHED) pending.push(job);
    }
    if (thread.inFlight > 0) this.#stats.busyTime += performance.now() - thread.busySince;
    thread.inFlight = 0;
    return pending;
  }

  /** The jobs that threads hold and that have not settled, by thread and slot. */
  heldJobs(): PoolTask<unknown>[] {
    const held: PoolTask<unknown>[] = [];
    for (const thread of this.threads) {
      if (thread === undefined) continue;
      for (const job of thread.jobs) {
        if (job !== undefined && job._state === JobState.DISPATCHED) held.push(job);
      }
    }
    return held;
  }

  /** Busy time of the threads that hold jobs right now, for the stats. */
  busyNow(now: number): number {
    let busy = 0;
    for (const thread of this.threads) {
      if (thread !== undefined && thread.inFlight > 0 && !thread.exited) {
        busy += now - thread.busySince;
      }
    }
    return busy;
  }
}

function noop(): void {}
