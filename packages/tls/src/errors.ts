import { CoroError } from '@coro/task';

/**
 * Thrown by `new Context(...)` when its certificates or key cannot be used: text that is not
 * PEM, a file that cannot be read, a key that does not match its certificate, a wrong
 * passphrase, a cipher list OpenSSL does not know. The OpenSSL error, when there is one, is the
 * `cause`. Code `ERR_CORO_TLS_CONTEXT`.
 *
 * @example
 * new Context({ cert: serverPem, key: someOtherKey }); // throws TlsContextError
 */
export class TlsContextError extends CoroError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { code: 'ERR_CORO_TLS_CONTEXT', cause: options?.cause });
  }
}

/**
 * Thrown at the call when a second operation of the same kind starts while one is pending on
 * the same client: two reads, two writes or two connects. One read and one write may run at
 * the same time. Code `ERR_CORO_TLS_BUSY`.
 */
export class TlsBusyError extends CoroError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { code: 'ERR_CORO_TLS_BUSY', cause: options?.cause });
  }
}
