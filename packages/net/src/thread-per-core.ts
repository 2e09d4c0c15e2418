import {
  CancelledError,
  isStopRequested,
  onStop,
  type StopRegistration,
  TimeoutError,
} from '@coro/task';
import { reusePortSupported, socketTransferSupported } from './internal/thread-per-core-detect.ts';
import { HandoffListener } from './internal/thread-per-core-handoff.ts';
import {
  readThreadPerCoreOptions,
  type ThreadPerCoreConfig,
  checkDuration,
} from './internal/thread-per-core-options.ts';
import type { ThreadBootData, ThreadPerCoreMode } from './internal/thread-per-core-protocol.ts';
import {
  ACCEPTED,
  BYTES_READ,
  BYTES_WRITTEN,
  OPEN,
  SharedStats,
} from './internal/thread-per-core-stats.ts';
import { SupervisedThread, type ThreadEvents } from './internal/thread-per-core-thread.ts';
import { after } from './internal/thread-per-core-timer.ts';
import {
  AddressInUseError,
  ListenError,
  ServerModuleError,
  ThreadPerCoreUnsupportedError,
} from './thread-per-core-errors.ts';

import type {
  CloseResult,
  ThreadPerCoreOptions,
  ThreadPerCoreStats,
  ThreadStats,
} from './thread-per-core-types.ts';

type Phase = 'starting' | 'running' | 'closing' | 'closed';

/** After the grace period, how long threads get to reset their connections and report. */
const STOP_WAIT_MS = 2000;

function listenError(errno: string | undefined, error: Error, where: string): ListenError {
  if (errno === 'EADDRINUSE') {
    return new AddressInUseError(`${where} is in use`, { cause: error });
  }
  return new ListenError(`cannot listen on ${where}: ${error.message}`, {
    errno: errno ?? 'unknown',
    cause: error,
  });
}

/**
 * libcoro's one-scheduler-per-core server: `threads` worker threads, each with its own
 * `IoScheduler`, serving one port, supervised from the calling thread. In `'reusePort'` mode
 * each thread has its own `SO_REUSEPORT` listener and the kernel spreads connections; in
 * `'handoff'` mode (where reusePort is unavailable, or `reusePort: false`) one listener here
 * moves accepted sockets to the thread with the fewest open connections.
 *
 * Bad options throw at the call (`InvalidArgumentError`, `InvalidAddressError`). `ready`
 * resolves with the port once every thread serves, or rejects — `ServerModuleError`,
 * `AddressInUseError`, `ListenError`, `ThreadPerCoreUnsupportedError`, `TimeoutError`,
 * `CancelledError` — with nothing left running.
 *
 * @example
 * const server = new ThreadPerCore({ module: new URL('./http-200.ts', import.meta.url), port: 8888 });
 * console.log(`listening on ${await server.ready} (${server.mode})`);
 * process.on('SIGINT', () => server.close());
 */
export class ThreadPerCore implements AsyncDisposable {
  /** Resolves with the port every thread serves, once they all do. */
  readonly ready: Promise<number>;
  readonly #config: ThreadPerCoreConfig;
  readonly #stats: SharedStats;
  readonly #threads: SupervisedThread[] = [];
  readonly #onError: (error: Error, threadIndex: number) => void;
  readonly #options: ThreadPerCoreOptions;
  #phase: Phase = 'starting';
  #mode: ThreadPerCoreMode | undefined;
  #port = 0;
  #handoff: HandoffListener | undefined;
  #abortStart: ((error: Error) => void) | undefined;
  #startWaiters = new Map<
    SupervisedThread,
    { resolve(port: number): void; reject(e: Error): void }
  >();
  #closed: Promise<CloseResult> | undefined;
  /** A SIGINT / SIGTERM (or the `signal` option) has asked to close: the next one cuts it short. */
  #signalled = false;
  #stopNow: (() => void) | undefined;
  #registration: StopRegistration | undefined;
  #signalHandler: (() => void) | undefined;

  /** Starts the threads at once; see `ready`. Bad options throw here, before anything runs. */
  constructor(options: ThreadPerCoreOptions) {
    this.#config = readThreadPerCoreOptions(options);
    this.#options = options;
    this.#onError = options.onError ?? defaultOnError;
    this.#stats = new SharedStats(this.#config.threads);
    const events: ThreadEvents = {
      ready: (thread, port) => this.#threadReady(thread, port),
      failed: (thread, kind, errno, error) => this.#threadFailed(thread, kind, errno, error),
      error: (thread, error) => this.#report(error, thread.index),
      drained: (thread) => void thread.terminate(),
      exit: (thread, exitCode, error, expected) =>
        this.#threadExited(thread, exitCode, error, expected),
    };
    for (let i = 0; i < this.#config.threads; i++) {
      this.#threads.push(new SupervisedThread(i, events));
    }
    this.ready = this.#start();
    if (this.#config.handleSignals) this.#handleSignals();
    const signal = this.#config.signal;
    if (signal !== undefined) {
      if (isStopRequested(signal)) void this.close();
      else
        this.#registration = onStop(signal, () => {
          this.#signalled = true;
          void this.close();
        });
    }
  }

  /** How connections reach the threads, once chosen (at start-up); `undefined` before. */
  get mode(): ThreadPerCoreMode | undefined {
    return this.#mode;
  }

  /** The port served, once `ready`; 0 before. */
  get port(): number {
    return this.#phase === 'starting' ? 0 : this.#port;
  }

  /** The address served, as given (normalised). */
  get address(): string {
    return this.#config.address;
  }

  /** How many threads the server runs. */
  get threadCount(): number {
    return this.#config.threads;
  }

  /**
   * Every thread's counters, read from shared memory without stopping anything. Byte counts
   * of open connections are as of their thread's last sample (`statsInterval`).
   */
  stats(): ThreadPerCoreStats {
    const threads: ThreadStats[] = [];
    let accepted = 0;
    let open = 0;
    let bytesRead = 0;
    let bytesWritten = 0;
    let restarts = 0;
    for (const thread of this.#threads) {
      const i = thread.index;
      const entry: ThreadStats = {
        threadIndex: i,
        state: thread.state,
        restarts: thread.restarts,
        accepted: this.#stats.get(i, ACCEPTED),
        open: this.#stats.get(i, OPEN),
        bytesRead: this.#stats.get(i, BYTES_READ),
        bytesWritten: this.#stats.get(i, BYTES_WRITTEN),
      };
      threads.push(entry);
      accepted += entry.accepted;
      open += entry.open;
      bytesRead += entry.bytesRead;
      bytesWritten += entry.bytesWritten;
      restarts += entry.restarts;
    }
    return { mode: this.#mode, threads, accepted, open, bytesRead, bytesWritten, restarts };
  }

  /**
   * Shuts down gracefully: stops accepting, lets open connections finish for `gracePeriod` ms
   * (default: the server's option), then resets those left, and resolves once every thread
   * has ended, with how many connections were reset. Calling it again returns the same
   * promise. Before `ready`, it makes `ready` reject with `CancelledError`.
   */
  close(options?: { gracePeriod?: number }): Promise<CloseResult> {
    if (this.#closed !== undefined) return this.#closed;
    const gracePeriod =
      options?.gracePeriod === undefined
        ? this.#config.gracePeriod
        : checkDuration(options.gracePeriod, 'close: gracePeriod');
    this.#closed = this.#close(gracePeriod);
    return this.#closed;
  }

  /** `close()` with the default grace period. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #start(): Promise<number> {
    const stopped = new Promise<never>((_, reject) => {
      this.#abortStart = reject;
    });
    const cancelTimer = after(this.#config.timeout, () =>
      this.#abortStart?.(
        new TimeoutError(`serve: the threads were not ready within ${this.#config.timeout} ms`),
      ),
    );
    const starting = this.#startAll();
    starting.catch(() => {});
    try {
      const port = await Promise.race([starting, stopped]);
      this.#phase = 'running';
      return port;
    } catch (error) {
      this.#phase = 'closing';
      await this.#teardown();
      this.#phase = 'closed';
      this.#unregister();
      throw error;
    } finally {
      this.#abortStart = undefined;
      cancelTimer();
    }
  }

  async #startAll(): Promise<number> {
    const config = this.#config;
    this.#mode = await this.#chooseMode();
    this.#checkStarting();
    if (this.#mode === 'handoff') {
      this.#port = await this.#listen();
      this.#checkStarting();
      await Promise.all(this.#threads.map((thread) => this.#startThread(thread, this.#port)));
      return this.#port;
    }
    const [first, ...rest] = this.#threads;
    this.#port = await this.#startThread(first!, config.port);
    this.#checkStarting();
    await Promise.all(rest.map((thread) => this.#startThread(thread, this.#port)));
    return this.#port;
  }

  #checkStarting(): void {
    if (this.#phase !== 'starting') throw new CancelledError('serve: closed while starting');
  }

  async #chooseMode(): Promise<ThreadPerCoreMode> {
    if (this.#config.reusePort && (await reusePortSupported())) return 'reusePort';
    if (await socketTransferSupported()) return 'handoff';
    throw new ThreadPerCoreUnsupportedError(
      this.#config.reusePort
        ? `serve: this Node.js (${process.version}, ${process.platform}) has neither reusePort nor transferable sockets`
        : `serve: reusePort is off and this Node.js (${process.version}) cannot transfer sockets to threads`,
    );
  }

  #boot(thread: SupervisedThread, port: number): ThreadBootData {
    const config = this.#config;
    return {
      module: config.module,
      threadIndex: thread.index,
      threadCount: config.threads,
      mode: this.#mode!,
      address: config.address,
      port,
      backlog: config.backlog,
      acceptors: config.acceptors,
      noDelay: config.noDelay,
      stats: this.#stats.buffer,
      statsInterval: config.statsInterval,
      data: config.data,
    };
  }

  /** Starts a thread for the first time; resolves with the port it reports. */
  #startThread(thread: SupervisedThread, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#startWaiters.set(thread, { resolve, reject });
      thread.start(this.#boot(thread, port));
    });
  }

  #where(): string {
    const address = this.#config.address;
    const host = address.includes(':') ? `[${address}]` : address;
    return `${host}:${this.#port === 0 ? this.#config.port : this.#port}`;
  }

  async #listen(): Promise<number> {
    const config = this.#config;
    const handoff = new HandoffListener(this.#threads, this.#stats, (error) =>
      this.#report(error, -1),
    );
    this.#handoff = handoff;
    try {
      return await handoff.listen(config.address, config.port, config.backlog);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw listenError(code, error as Error, this.#where());
    }
  }

  #threadReady(thread: SupervisedThread, port: number): void {
    if (this.#port !== 0 && port !== this.#port) {
      // Cannot happen with SO_REUSEPORT; a thread on another port would serve nobody.
      this.#threadFailed(
        thread,
        'listen',
        undefined,
        new Error(`thread ${thread.index} listens on port ${port}, not ${this.#port}`),
      );
      return;
    }
    const waiter = this.#startWaiters.get(thread);
    if (waiter !== undefined) {
      this.#startWaiters.delete(thread);
      waiter.resolve(port);
    }
    if (this.#phase === 'closing') {
      thread.drain();
      return;
    }
    this.#handoff?.flush();
    const onThreadReady = this.#options.onThreadReady;
    if (onThreadReady !== undefined) {
      try {
        onThreadReady({ threadIndex: thread.index, restarts: thread.restarts });
      } catch (error) {
        this.#report(error as Error, thread.index);
      }
    }
  }

  #threadFailed(
    thread: SupervisedThread,
    kind: 'module' | 'listen',
    errno: string | undefined,
    error: Error,
  ): void {
    const waiter = this.#startWaiters.get(thread);
    if (waiter !== undefined) {
      this.#startWaiters.delete(thread);
      waiter.reject(
        kind === 'listen'
          ? listenError(errno, error, this.#where())
          : new ServerModuleError(`serve: the server module failed: ${error.message}`, {
              cause: error,
            }),
      );
      void thread.terminate();
      return;
    }
    // A replacement that cannot start: ending it as a crash restarts it with more back-off.
    void thread.terminate(error);
  }

  #threadExited(
    thread: SupervisedThread,
    exitCode: number,
    error: Error | undefined,
    expected: boolean,
  ): void {
    // Its connections died with it.
    this.#stats.set(thread.index, OPEN, 0);
    const waiter = this.#startWaiters.get(thread);
    if (waiter !== undefined) {
      this.#startWaiters.delete(thread);
      waiter.reject(
        new ServerModuleError(
          `serve: thread ${thread.index} exited (code ${exitCode}) before it was ready${
            error === undefined ? '' : `: ${error.message}`
          }`,
          { cause: error },
        ),
      );
      return;
    }
    if (expected) return;
    // A thread that dies after its ready while the others are still starting is replaced as
    // one that dies later is (`ready` does not wait for the replacement).
    if (this.#phase === 'closing' || this.#phase === 'closed') {
      // Died during a close (not ended by it): not restarted, but reported, as a crash with
      // restart: false is.
      if (error !== undefined || exitCode !== 0) {
        this.#report(
          error ?? new Error(`thread ${thread.index} exited with code ${exitCode}`),
          thread.index,
        );
      }
      return;
    }
    const restart = this.#config.restart;
    if (restart === false) {
      this.#report(
        error ?? new Error(`thread ${thread.index} exited with code ${exitCode}`),
        thread.index,
      );
      // Nobody will serve the port again: handoff mode stops accepting (the sockets it holds
      // for a thread are closed), as the kernel refuses connections once the last reusePort
      // listener is gone, instead of holding every new client open until close().
      if (this.#threads.every((other) => !other.alive)) this.#stopAccepting();
      return;
    }
    // Measured from the worker's ready report to its exit (0 if it never got ready).
    if (thread.uptime >= restart.maxDelay) thread.consecutiveCrashes = 0;
    thread.consecutiveCrashes++;
    const attempt = thread.consecutiveCrashes;
    const delay = Math.min(restart.maxDelay, restart.initialDelay * 2 ** (attempt - 1));
    thread.state = 'restarting';
    thread.restartTimer = after(delay, () => {
      thread.restartTimer = undefined;
      if (this.#phase === 'closing' || this.#phase === 'closed') return;
      thread.restarts++;
      try {
        thread.start(this.#boot(thread, this.#port));
      } catch (startError) {
        // new Worker() itself failed (out of resources...): back off and try again.
        this.#threadExited(thread, -1, startError as Error, false);
      }
    });
    const onRestart = this.#options.onRestart;
    if (onRestart === undefined) {
      this.#report(
        error ?? new Error(`thread ${thread.index} exited with code ${exitCode}`),
        thread.index,
      );
    } else {
      try {
        onRestart({ threadIndex: thread.index, attempt, delay, exitCode, error });
      } catch (callbackError) {
        this.#report(callbackError as Error, thread.index);
      }
    }
  }

  #report(error: Error, threadIndex: number): void {
    try {
      this.#onError(error, threadIndex);
    } catch {
      // A throwing error callback must not take the supervisor down.
    }
  }

  async #close(gracePeriod: number): Promise<CloseResult> {
    if (this.#phase === 'starting') {
      this.#phase = 'closing';
      this.#abortStart?.(new CancelledError('serve: closed before the threads were ready'));
      await this.ready.catch(() => {});
      return { forced: 0 };
    }
    if (this.#phase === 'closed') return { forced: 0 };
    this.#phase = 'closing';
    this.#unregister();
    this.#stopAccepting();
    for (const thread of this.#threads) {
      thread.restartTimer?.();
      thread.restartTimer = undefined;
      if (thread.state === 'ready') thread.drain();
      else if (thread.state === 'starting') void thread.terminate();
      else if (thread.state === 'restarting') thread.state = 'stopped';
    }
    let cancelStopWait = (): void => {};
    const stopNow = (): void => {
      this.#stopNow = undefined;
      for (const thread of this.#threads) if (thread.alive) thread.stop();
      cancelStopWait = after(STOP_WAIT_MS, () => {
        for (const thread of this.#threads) {
          // Handlers that ignore both `closing` and `signal` never settle: the thread is ended
          // without onThreadStop. Its reset connections still count (its report, or failing
          // that the open count it publishes).
          if (thread.alive && thread.forced === undefined) {
            thread.forced = this.#stats.get(thread.index, OPEN);
          }
          void thread.terminate();
        }
      });
    };
    this.#stopNow = stopNow;
    const cancelGrace = after(gracePeriod, () => this.#stopNow?.());
    await Promise.all(this.#threads.map((thread) => thread.exited));
    cancelGrace();
    cancelStopWait();
    this.#stopNow = undefined;
    this.#phase = 'closed';
    let forced = 0;
    for (const thread of this.#threads) forced += thread.forced ?? 0;
    return { forced };
  }

  #stopAccepting(): void {
    this.#handoff?.close();
  }

  async #teardown(): Promise<void> {
    this.#stopAccepting();
    for (const thread of this.#threads) {
      thread.restartTimer?.();
      thread.restartTimer = undefined;
      if (thread.state === 'restarting') thread.state = 'stopped';
    }
    for (const [thread, waiter] of this.#startWaiters) {
      this.#startWaiters.delete(thread);
      waiter.reject(new CancelledError('serve: start-up abandoned'));
    }
    await Promise.all(this.#threads.map((thread) => thread.terminate()));
  }

  #handleSignals(): void {
    // Only a second signal cuts the grace period short: one that arrives during a close() the
    // program started is the first.
    const handler = (): void => {
      if (this.#signalled) this.#stopNow?.();
      else {
        this.#signalled = true;
        void this.close();
      }
    };
    this.#signalHandler = handler;
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  }

  #unregister(): void {
    this.#registration?.unregister();
    this.#registration = undefined;
    const handler = this.#signalHandler;
    if (handler !== undefined) {
      // Keep listening while closing so that a second signal can cut the grace period short.
      void this.#closedOrReady().then(() => {
        process.removeListener('SIGINT', handler);
        process.removeListener('SIGTERM', handler);
      });
      this.#signalHandler = undefined;
    }
  }

  async #closedOrReady(): Promise<void> {
    await this.ready.catch(() => {});
    if (this.#closed !== undefined) await this.#closed;
  }
}

function defaultOnError(error: Error, threadIndex: number): void {
  console.error(`coro: thread-per-core server, thread ${threadIndex}:`, error);
}

/**
 * Starts a thread-per-core server: `new ThreadPerCore(options)`. See `ThreadPerCore`.
 *
 * @example
 * const server = serve({ module: new URL('./http-200.ts', import.meta.url), port: 8888, handleSignals: true });
 * const port = await server.ready;
 */
export function serve(options: ThreadPerCoreOptions): ThreadPerCore {
  return new ThreadPerCore(options);
}
