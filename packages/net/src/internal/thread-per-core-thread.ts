// One supervised thread of a ThreadPerCore server: the worker it currently runs, its state, and
// its restart count. The supervisor (thread-per-core.ts) decides; this class only starts,
// talks to and stops one worker at a time, and reports what the worker did.
import type { Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import {
  deserializeError,
  type FromThread,
  type ThreadBootData,
  type ToThread,
} from './thread-per-core-protocol.ts';

/** Where a supervised thread is in its life. */
export type ThreadState = 'starting' | 'ready' | 'restarting' | 'draining' | 'stopped';

/** @internal What a thread reports to its supervisor. */
export interface ThreadEvents {
  ready(thread: SupervisedThread, port: number): void;
  failed(
    thread: SupervisedThread,
    kind: 'module' | 'listen',
    errno: string | undefined,
    error: Error,
  ): void;
  error(thread: SupervisedThread, error: Error): void;
  drained(thread: SupervisedThread): void;
  exit(
    thread: SupervisedThread,
    exitCode: number,
    error: Error | undefined,
    expected: boolean,
  ): void;
}

const workerUrl = new URL(
  import.meta.url.endsWith('.ts') ? './thread-per-core-worker.ts' : './thread-per-core-worker.js',
  import.meta.url,
);

/** Flags that only make sense for a main script given on the command line. */
const MAIN_SCRIPT_FLAGS = ['-e', '--eval', '-p', '--print', '--input-type'];

function workerExecArgv(): string[] | undefined {
  const argv = process.execArgv;
  const kept: string[] = [];
  let dropped = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (MAIN_SCRIPT_FLAGS.includes(arg)) {
      i++;
      dropped = true;
    } else if (/^--(input-type|eval|print)=/.test(arg)) dropped = true;
    else kept.push(arg);
  }
  return dropped ? kept : undefined;
}

/** @internal */
export class SupervisedThread {
  readonly index: number;
  state: ThreadState = 'stopped';
  /** Replacements started after a crash, over the server's life. */
  restarts = 0;
  /** Crashes since the thread last stayed up for a while (drives the back-off). */
  consecutiveCrashes = 0;
  /** When the current worker reported ready (`performance.now()`), or -1. */
  readyAt = -1;
  /** How long the last worker that exited had been serving (ms since its ready), 0 if never. */
  uptime = 0;
  /**
   * Connections the current worker reset at the end of a shutdown: its report, or (when it
   * was terminated before reporting) the open count it had then.
   */
  forced: number | undefined;
  /** A pending restart. */
  restartTimer: (() => void) | undefined;
  #worker: Worker | undefined;
  #expectedExit = false;
  #error: Error | undefined;
  #exited: Promise<void> = Promise.resolve();
  readonly #events: ThreadEvents;

  constructor(index: number, events: ThreadEvents) {
    this.index = index;
    this.#events = events;
  }

  /** Whether a worker is running (starting, serving or draining). */
  get alive(): boolean {
    return this.#worker !== undefined;
  }

  /** Resolves once the current worker (if any) has exited. */
  get exited(): Promise<void> {
    return this.#exited;
  }

  /** Starts a worker with `boot`. */
  start(boot: ThreadBootData): void {
    this.state = 'starting';
    this.readyAt = -1;
    this.forced = undefined;
    this.#expectedExit = false;
    this.#error = undefined;
    const execArgv = workerExecArgv();
    const options = { workerData: boot, ...(execArgv === undefined ? {} : { execArgv }) };
    const worker = new Worker(workerUrl, options);
    this.#worker = worker;
    this.#exited = new Promise((resolve) => {
      worker.on('exit', (exitCode) => {
        if (this.#worker === worker) this.#worker = undefined;
        const expected = this.#expectedExit;
        this.state = 'stopped';
        this.uptime = this.readyAt < 0 ? 0 : performance.now() - this.readyAt;
        this.readyAt = -1;
        resolve();
        this.#events.exit(this, exitCode, this.#error, expected);
      });
    });
    worker.on('error', (error) => {
      this.#error = error;
    });
    worker.on('message', (message: FromThread) => this.#onMessage(message));
  }

  #onMessage(message: FromThread): void {
    switch (message.t) {
      case 'ready':
        this.state = 'ready';
        this.readyAt = performance.now();
        this.#events.ready(this, message.port);
        break;
      case 'failed':
        this.#events.failed(this, message.kind, message.errno, deserializeError(message.error));
        break;
      case 'error':
        this.#events.error(this, deserializeError(message.error));
        break;
      case 'drained':
        this.#events.drained(this);
        break;
      case 'stopped':
        this.forced = message.forced;
        break;
    }
  }

  /** Moves an accepted socket to this thread; false when it could not be sent. */
  hand(socket: Socket): boolean {
    const worker = this.#worker;
    if (worker === undefined) return false;
    try {
      worker.postMessage({ t: 'conn', socket } satisfies ToThread, [socket as never]);
      return true;
    } catch {
      return false;
    }
  }

  /** Asks the worker to stop accepting and finish its connections. */
  drain(): void {
    if (this.#worker === undefined) return;
    this.state = 'draining';
    this.#worker.postMessage({ t: 'drain' } satisfies ToThread);
  }

  /** Asks the worker to end its remaining connections now. */
  stop(): void {
    this.#worker?.postMessage({ t: 'stop' } satisfies ToThread);
  }

  /**
   * Ends the worker at once. Its exit is reported as expected, unless `failure` is given: then
   * it is reported as a crash with that error (so that a running server restarts it).
   */
  terminate(failure?: Error): Promise<void> {
    const worker = this.#worker;
    if (worker === undefined) return Promise.resolve();
    if (failure === undefined) this.#expectedExit = true;
    else this.#error = failure;
    void worker.terminate();
    return this.#exited;
  }
}
