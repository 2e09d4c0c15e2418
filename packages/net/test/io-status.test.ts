import { describe, expect, it } from 'vitest';
import { IoStatus, IpAddress, isIoOk, SocketAddress } from '../src/index.ts';

function osError(code: string): Error {
  return Object.assign(new Error(code), { code, errno: -1 });
}

describe('shared constants', () => {
  it('cannot be replaced at run time: code comparing statuses and addresses relies on them', () => {
    const timeout = IoStatus.timeout;
    const loopback = IpAddress.ipv4Loopback;
    // Module code is strict: assigning a read-only property throws.
    expect(() => {
      (IoStatus as { timeout: unknown }).timeout = IoStatus.ok;
    }).toThrow(TypeError);
    expect(() => {
      (IpAddress as { ipv4Loopback: unknown }).ipv4Loopback = IpAddress.ipv6Loopback;
    }).toThrow(TypeError);
    expect(() => {
      (SocketAddress as unknown as { parse: unknown }).parse = () => undefined;
    }).toThrow(TypeError);
    expect(IoStatus.timeout).toBe(timeout);
    expect(IpAddress.ipv4Loopback).toBe(loopback);
  });
});

describe('IoStatus', () => {
  it('maps errno names to libcoro kinds and keeps the errno', () => {
    const cases: [string, string][] = [
      ['ECONNRESET', 'connectionReset'],
      ['ECONNREFUSED', 'connectionRefused'],
      ['EPIPE', 'closed'],
      ['ETIMEDOUT', 'timeout'],
      ['EAGAIN', 'wouldBlock'],
      ['EMSGSIZE', 'messageTooBig'],
      ['EHOSTUNREACH', 'native'],
      ['EADDRINUSE', 'native'],
      ['EAI_AGAIN', 'native'],
      // Node.js's own codes are not OS errors (ERR_* starts with an E too).
      ['ERR_SOCKET_CONNECTION_TIMEOUT', 'timeout'],
      ['ERR_STREAM_PREMATURE_CLOSE', 'closed'],
      ['ERR_SOCKET_CLOSED_BEFORE_CONNECTION', 'closed'],
      ['ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC', 'unknown'],
      ['ERR_INVALID_ARG_TYPE', 'unknown'],
    ];
    for (const [code, kind] of cases) {
      const status = IoStatus.fromError(osError(code));
      expect(status.kind, code).toBe(kind);
      expect(status.errno, code).toBe(code);
      expect(status.cause?.message).toBe(code);
      expect(status.isOk()).toBe(false);
    }
    expect(IoStatus.fromError(osError('EHOSTUNREACH')).toString()).toBe('native(EHOSTUNREACH)');
    expect(IoStatus.fromError(new Error('x')).kind).toBe('unknown');
    expect(IoStatus.fromError('text').kind).toBe('unknown');
  });

  it('has shared constants and predicates', () => {
    expect(IoStatus.ok.isOk()).toBe(true);
    expect(isIoOk(IoStatus.ok)).toBe(true);
    expect(isIoOk(IoStatus.closed)).toBe(false);
    expect(IoStatus.closed.isClosed()).toBe(true);
    expect(IoStatus.timeout.isTimeout()).toBe(true);
    expect(IoStatus.wouldBlock.isWouldBlock()).toBe(true);
    expect(IoStatus.cancelled.isCancelled()).toBe(true);
    expect(IoStatus.fromError(osError('ECONNRESET')).isConnectionReset()).toBe(true);
    expect(IoStatus.fromError(osError('ECONNREFUSED')).isConnectionRefused()).toBe(true);
    expect(IoStatus.udpNotBound.kind).toBe('udpNotBound');
    expect(IoStatus.messageTooBig.kind).toBe('messageTooBig');
    expect(IoStatus.pollingError.kind).toBe('pollingError');
    expect(Object.isFrozen(IoStatus.ok)).toBe(true);
    // Made for one failure, with its errno and cause: frozen too (one shape for every status).
    const reset = IoStatus.fromError(osError('ECONNRESET'));
    expect(Object.isFrozen(reset)).toBe(true);
    expect(() => {
      (reset as { kind: string }).kind = 'ok';
    }).toThrow(TypeError);
    expect(String(IoStatus.timeout)).toBe('timeout');
  });
});
