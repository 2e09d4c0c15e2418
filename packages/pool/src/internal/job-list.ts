import { JobState, type PoolTask } from './job.ts';

/**
 * The jobs that wait for a thread, in the order they were started: one list and one count for
 * every path that adds or takes a job (submit, dispatch, steal-driven refills, cancel,
 * timeout, crash, terminate). The first `maxQueue` jobs are the queue proper; any beyond it
 * are waiting for room (they came with `onFull: 'wait'`). Because both are one list, taking
 * any job off it — from the front to a thread, or from the middle by a cancel — moves the
 * boundary, and the first job waiting for room is admitted at once, in order. With
 * `maxQueue: 0` every job in the list is waiting for room, and goes straight to the first
 * thread that has a free slot.
 */
export class JobList {
  readonly maxQueue: number;
  head: PoolTask<unknown> | undefined = undefined;
  #tail: PoolTask<unknown> | undefined = undefined;
  /** Every job in the list, queued or waiting for room. */
  length = 0;

  constructor(maxQueue: number) {
    this.maxQueue = maxQueue;
  }

  /** Jobs in the queue proper (admitted). */
  get queued(): number {
    return Math.min(this.length, this.maxQueue);
  }

  /** Whether a job that does not wait for room may join. */
  get hasRoom(): boolean {
    return this.length < this.maxQueue;
  }

  /** Adds a job at the back. */
  push(job: PoolTask<unknown>): void {
    job._state = JobState.QUEUED;
    job._next = undefined;
    job._prev = this.#tail;
    if (this.#tail === undefined) this.head = job;
    else this.#tail._next = job;
    this.#tail = job;
    this.length++;
  }

  /** Takes the job at the front (the next to run), or `undefined`. */
  shift(): PoolTask<unknown> | undefined {
    const job = this.head;
    if (job !== undefined) this.remove(job);
    return job;
  }

  /** Takes a job out from wherever it is (it must be in the list). */
  remove(job: PoolTask<unknown>): void {
    if (job._prev === undefined) this.head = job._next;
    else job._prev._next = job._next;
    if (job._next === undefined) this.#tail = job._prev;
    else job._next._prev = job._prev;
    job._prev = job._next = undefined;
    this.length--;
  }

  /** Empties the list, returning its jobs in order. */
  takeAll(): PoolTask<unknown>[] {
    const jobs: PoolTask<unknown>[] = [];
    for (let job = this.shift(); job !== undefined; job = this.shift()) jobs.push(job);
    return jobs;
  }
}
