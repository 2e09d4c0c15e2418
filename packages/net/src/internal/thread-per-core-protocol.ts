// What the main thread and the threads of a ThreadPerCore server tell each other. Connections
// and bytes are counted in shared memory (thread-per-core-stats.ts), never in messages.
import type { Socket } from 'node:net';

/** How connections reach the threads. */
export type ThreadPerCoreMode = 'reusePort' | 'handoff';

/** @internal What a thread is started with (its `workerData`). */
export interface ThreadBootData {
  readonly module: string;
  readonly threadIndex: number;
  readonly threadCount: number;
  readonly mode: ThreadPerCoreMode;
  readonly address: string;
  readonly port: number;
  readonly backlog: number;
  readonly acceptors: number;
  readonly noDelay: boolean;
  readonly stats: SharedArrayBuffer;
  readonly statsInterval: number;
  readonly data: unknown;
}

/** @internal An error as it crosses threads: enough to rebuild a readable one. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  readonly code: string | undefined;
}

/** @internal Main thread → thread. */
export type ToThread =
  | { readonly t: 'conn'; readonly socket: Socket }
  | { readonly t: 'drain' }
  | { readonly t: 'stop' };

/** @internal Thread → main thread. */
export type FromThread =
  | { readonly t: 'ready'; readonly port: number }
  | {
      readonly t: 'failed';
      readonly kind: 'module' | 'listen';
      readonly errno: string | undefined;
      readonly error: SerializedError;
    }
  | { readonly t: 'error'; readonly error: SerializedError }
  /** Every connection is over and onThreadStop has run. */
  | { readonly t: 'drained' }
  /** At a stop: how many connections it resets (sent even if their handlers never settle). */
  | { readonly t: 'stopped'; readonly forced: number };

/** @internal */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      stack: error.stack,
      code: typeof code === 'string' ? code : undefined,
    };
  }
  return { name: 'Error', message: String(error), stack: undefined, code: undefined };
}

/** @internal An `Error` carrying what a thread reported (for `cause` and `onError`). */
export function deserializeError(error: SerializedError): Error {
  const rebuilt = new Error(error.message);
  rebuilt.name = error.name;
  if (error.stack !== undefined) rebuilt.stack = error.stack;
  if (error.code !== undefined) (rebuilt as { code?: string }).code = error.code;
  return rebuilt;
}
