import type { IoScheduler } from '@coro/io';
import type { StopLike } from '@coro/task';
import type { ThreadPerCoreMode } from './internal/thread-per-core-protocol.ts';
import type { ThreadState } from './internal/thread-per-core-thread.ts';
import type { IpAddress } from './ip-address.ts';
import type { Client } from './tcp/client.ts';

export type { ThreadPerCoreMode, ThreadState };

/**
 * What every connection handler of a thread gets along with its `tcp.Client`: one object per
 * thread, shared by all of its connections.
 */
export interface ThreadContext {
  /** This thread's scheduler (each thread has its own). */
  readonly scheduler: IoScheduler;
  /** 0 … threadCount − 1; a replacement thread keeps the index of the one it replaces. */
  readonly threadIndex: number;
  /** How many threads the server runs. */
  readonly threadCount: number;
  /** The `data` option given to `serve()`, structured-cloned into the thread. */
  readonly data: unknown;
  /**
   * Aborted when a graceful shutdown begins: no new connections come; finish the request in
   * hand and return (for example, leave a keep-alive loop instead of waiting for the next
   * request).
   */
  readonly closing: AbortSignal;
  /** Aborted when the grace period has run out: the connection is being reset, stop now. */
  readonly signal: AbortSignal;
}

/**
 * The shape of a server module: `onConnection` is required, the rest optional. Each thread
 * imports the module once and calls `onConnection` for every connection it gets, on the
 * thread's own scheduler; the connection is closed when the returned promise settles (a
 * rejection is reported to `onError`, the thread keeps serving).
 *
 * @example
 * // http-200.ts
 * export async function onConnection(client: tcp.Client, { closing }: ThreadContext) { ... }
 */
export interface ServerModule {
  /** Serves one connection. Required. */
  onConnection(client: Client, context: ThreadContext): unknown;
  /** Runs once per thread before it takes connections; a throw fails the start. */
  onThreadStart?(context: ThreadContext): unknown;
  /** Runs once per thread after its last connection closed during shutdown. */
  onThreadStop?(context: ThreadContext): unknown;
}

/** Reported through `onRestart` when a thread died and a replacement is scheduled. */
export interface RestartEvent {
  readonly threadIndex: number;
  /** 1 for the first crash in a row, 2 for the next... (resets once a thread stays up). */
  readonly attempt: number;
  /** The back-off before the replacement starts, in ms. */
  readonly delay: number;
  /** The worker's exit code. */
  readonly exitCode: number;
  /** The uncaught error that ended the thread, when there was one. */
  readonly error: Error | undefined;
}

/** Reported through `onThreadReady` each time a thread (first or replacement) is serving. */
export interface ThreadReadyEvent {
  readonly threadIndex: number;
  /** Replacements this thread index has had so far (0 for the first start). */
  readonly restarts: number;
}

/** Options of `serve()` / `new ThreadPerCore()`. */
export interface ThreadPerCoreOptions {
  /** The server module (see `ServerModule`): a URL or an absolute path; TypeScript allowed. */
  readonly module: URL | string;
  /** Threads to run, default `os.availableParallelism()`. An integer ≥ 1. */
  readonly threads?: number | undefined;
  /** The address to listen on, default `'0.0.0.0'`; `'::'` for IPv6. */
  readonly address?: string | IpAddress | undefined;
  /** The port, default 0 (an ephemeral one, the same for every thread). */
  readonly port?: number | undefined;
  /** The kernel's queue of connections not yet accepted, per listener; default 511. */
  readonly backlog?: number | undefined;
  /**
   * Give every thread its own `SO_REUSEPORT` listener (default `true`; used only where it
   * works). `false` forces the handoff mode: one listener in the main thread moving accepted
   * sockets to the threads.
   */
  readonly reusePort?: boolean | undefined;
  /**
   * Listening sockets per thread in `'reusePort'` mode (`tcp.Server`'s `acceptors`), 1–64,
   * default 1: more accept a burst of new connections faster at a busy server.
   */
  readonly acceptors?: number | undefined;
  /** Set `TCP_NODELAY` on every connection. Default `false`. */
  readonly noDelay?: boolean | undefined;
  /** How long `close()` lets open connections finish before resetting them, ms; default 10 s. */
  readonly gracePeriod?: number | undefined;
  /**
   * Restart crashed threads (default `true`) with exponential back-off from `initialDelay`
   * (100 ms) to `maxDelay` (10 s); `false` leaves a crashed thread down.
   */
  readonly restart?: boolean | { initialDelay?: number; maxDelay?: number } | undefined;
  /** Called when a thread died and its replacement is scheduled. */
  readonly onRestart?: ((event: RestartEvent) => void) | undefined;
  /** Called whenever a thread is ready to serve (at start and after each restart). */
  readonly onThreadReady?: ((event: ThreadReadyEvent) => void) | undefined;
  /** Gets errors thrown by `onConnection` / `onThreadStop`; default `console.error`. */
  readonly onError?: ((error: Error, threadIndex: number) => void) | undefined;
  /** Close gracefully on SIGINT / SIGTERM (a second signal ends connections at once). */
  readonly handleSignals?: boolean | undefined;
  /** How often threads publish the byte counters of open connections, ms; default 250. */
  readonly statsInterval?: number | undefined;
  /** Start-up deadline in ms (`ready` rejects with `TimeoutError`); default none. */
  readonly timeout?: number | undefined;
  /** Stopping it closes the server (before ready: `ready` rejects with `CancelledError`). */
  readonly signal?: StopLike | undefined;
  /** Passed to every thread as `context.data` (structured clone). */
  readonly data?: unknown;
}

/** One thread's figures, read from shared memory while it runs. */
export interface ThreadStats {
  readonly threadIndex: number;
  readonly state: ThreadState;
  readonly restarts: number;
  /** Connections accepted by this thread index (over all its replacements). */
  readonly accepted: number;
  /** Connections open now. */
  readonly open: number;
  /** Bytes read / written (closed connections, plus open ones as of the last sample). */
  readonly bytesRead: number;
  readonly bytesWritten: number;
}

/** `stats()`: every thread's figures and their sums. */
export interface ThreadPerCoreStats {
  readonly mode: ThreadPerCoreMode | undefined;
  readonly threads: readonly ThreadStats[];
  readonly accepted: number;
  readonly open: number;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly restarts: number;
}

/** What `close()` resolves with. */
export interface CloseResult {
  /** Connections still open when the grace period ran out, reset by the shutdown. */
  readonly forced: number;
}
