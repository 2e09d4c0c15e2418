import type { ResourceLimits, TransferListItem, Worker } from 'node:worker_threads';
import type { PoolTask } from './job.ts';
import { MSG_READY, type WorkerBootData } from './protocol.ts';
import { startWorker } from './start-worker.ts';

/** Who hears what a thread says: the pool. */
export interface ThreadListener {
  _onMessage(thread: Thread, message: unknown[]): void;
  _onExit(thread: Thread, code: number): void;
}

/**
 * @internal One thread of the pool: its worker, its window of `concurrency` slots (a job's id
 * is its slot; the state of each slot lives in shared memory so that a job can be cancelled
 * before it starts), and the batch of jobs on its way to it. The dispatcher fills and empties
 * the window; the supervisor starts, watches and replaces threads.
 */
export class Thread {
  readonly index: number;
  readonly worker: Worker;
  readonly states: Int32Array;
  /** The job in each slot (a slot is held until the worker answers for it). */
  readonly jobs: (PoolTask<unknown> | undefined)[];
  readonly free: number[];
  inFlight = 0;
  /** The thread is up: it loaded the module, or it reported that it could not. */
  ready = false;
  /** It loaded the module: onThreadStart ran for it (and onThreadStop will, on exit). */
  started = false;
  exited = false;
  /** Set when the pool itself ends the thread (shutdown, terminate). */
  stopping = false;
  /** It sent results back at least once (a later crash is not a crash loop). */
  delivered = false;
  error: unknown = undefined;
  /** The next message: [OP_RUN, slot, name, argc, ...args, slot, …]. */
  outbox: unknown[] | undefined = undefined;
  outboxCount = 0;
  outTransfer: TransferListItem[] | undefined = undefined;
  busySince = 0;
  readonly exitPromise: Promise<void>;
  /** Resolves once the thread is up (or has died trying). */
  readonly readyPromise: Promise<void>;
  #markReady!: () => void;

  constructor(
    listener: ThreadListener,
    index: number,
    concurrency: number,
    module: string,
    resourceLimits: ResourceLimits | undefined,
  ) {
    this.index = index;
    this.readyPromise = new Promise((resolve) => {
      this.#markReady = resolve;
    });
    const slots = new SharedArrayBuffer(concurrency * 4);
    this.states = new Int32Array(slots);
    this.jobs = new Array(concurrency).fill(undefined);
    this.free = [];
    for (let s = concurrency - 1; s >= 0; s--) this.free.push(s);
    const boot: WorkerBootData = { module, threadIndex: index, slots };
    this.worker = startWorker({
      workerData: boot,
      ...(resourceLimits === undefined ? {} : { resourceLimits }),
    });
    // An idle pool does not keep the process alive; a thread holding jobs does, and so does
    // one that a shutdown waits for (see keepAlive).
    this.worker.unref();
    this.worker.on('message', (message: unknown[]) => listener._onMessage(this, message));
    this.worker.on('error', (error) => {
      this.error = error;
    });
    this.exitPromise = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        this.exited = true;
        listener._onExit(this, code);
        this.#markReady();
        resolve();
      });
    });
  }

  /** Records the thread's startup report ([MSG_READY] or [MSG_LOAD_FAILED, error]). */
  markUp(message: unknown[]): void {
    this.ready = true;
    this.started = message[0] === MSG_READY;
    this.#markReady();
  }

  /** Keeps the process alive until the thread exits: someone is waiting for it. */
  keepAlive(): void {
    if (!this.exited) this.worker.ref();
  }
}
