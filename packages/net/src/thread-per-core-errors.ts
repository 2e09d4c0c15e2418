import { CoroError } from '@coro/task';

/**
 * The server module given to `serve()` / `ThreadPerCore` could not be used: it failed to load,
 * it does not export an `onConnection` function, or its `onThreadStart` threw while the threads
 * were starting. Nothing is left running when `ready` rejects with it; `cause` is the error the
 * thread saw. Code `ERR_CORO_NET_SERVER_MODULE`.
 *
 * @example
 * await serve({ module: new URL('./empty.ts', import.meta.url) }).ready; // rejects
 */
export class ServerModuleError extends CoroError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { code: 'ERR_CORO_NET_SERVER_MODULE', cause: options?.cause });
  }
}

/**
 * Binding the listening socket failed (`EACCES`, `EADDRNOTAVAIL`, ...). `errno` is the
 * system error's name. Code `ERR_CORO_NET_LISTEN`.
 */
export class ListenError extends CoroError {
  /** The system error's name, for example `'EACCES'`. */
  readonly errno: string;

  constructor(message: string, options: { errno: string; cause?: unknown; code?: string }) {
    super(message, { code: options.code ?? 'ERR_CORO_NET_LISTEN', cause: options.cause });
    this.errno = options.errno;
  }
}

/**
 * The address and port are taken by a socket this server cannot share (another program, or a
 * listener without `SO_REUSEPORT`). Code `ERR_CORO_NET_ADDRESS_IN_USE`, `errno` `'EADDRINUSE'`.
 *
 * @example
 * try { await serve({ module, port: 80 }).ready }
 * catch (e) { if (e instanceof AddressInUseError) console.error('port 80 is taken') }
 */
export class AddressInUseError extends ListenError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, {
      errno: 'EADDRINUSE',
      code: 'ERR_CORO_NET_ADDRESS_IN_USE',
      cause: options?.cause,
    });
  }
}

/**
 * This Node.js can neither bind several listeners to one port (`reusePort`, Node.js ≥ 22.12 /
 * 23.1 on Linux and a few other systems) nor transfer an accepted `net.Socket` to a worker
 * thread, so connections cannot be spread over threads. Code
 * `ERR_CORO_NET_THREAD_PER_CORE_UNSUPPORTED`.
 */
export class ThreadPerCoreUnsupportedError extends CoroError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { code: 'ERR_CORO_NET_THREAD_PER_CORE_UNSUPPORTED', cause: options?.cause });
  }
}
