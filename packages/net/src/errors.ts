import { CoroError } from '@coro/task';

/**
 * Thrown at the call for an address that cannot be used: text that is not an IPv4 or IPv6
 * address, a port that is not an integer in 0–65535, bytes of the wrong length.
 * Code `ERR_CORO_INVALID_ADDRESS`.
 *
 * @example
 * IpAddress.parse('256.0.0.1'); // throws InvalidAddressError
 */
export class InvalidAddressError extends CoroError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { code: 'ERR_CORO_INVALID_ADDRESS', cause: options?.cause });
  }
}

/**
 * Thrown at the call when a second operation of the same kind is started while one is pending
 * on the same socket: two reads, two writes, two connects, or two receives. One read and one
 * write may run at the same time. Code `ERR_CORO_NET_BUSY`.
 */
export class SocketBusyError extends CoroError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { code: 'ERR_CORO_NET_BUSY', cause: options?.cause });
  }
}
