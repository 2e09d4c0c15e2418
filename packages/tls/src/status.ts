/**
 * The outcome of `Client.connect()`, and the reason a `Server` dropped a client whose handshake
 * did not complete. libcoro's `connection_status` where it applies, plus what a Node.js user
 * needs to act on:
 * - `'connected'`: TCP connected and the TLS handshake completed (and the peer was verified).
 * - `'refused'`: nobody listens at the address (`ECONNREFUSED`).
 * - `'timeout'`: the deadline ran out before the handshake completed.
 * - `'cancelled'`: the `signal` stopped first.
 * - `'invalidAddress'`: the address cannot be connected to (a host name that does not resolve,
 *   an address of no usable family).
 * - `'contextRequired'`: (servers) the server has no default context, and the client asked by
 *   SNI for a name no context serves, or sent no SNI name at all; `code` is
 *   `'ERR_CORO_TLS_CONTEXT_REQUIRED'` (OpenSSL's own reason, if any, is the `error`'s `cause`).
 * - `'certificateExpired'`: the peer's certificate has expired (`CERT_HAS_EXPIRED`).
 * - `'certificateInvalid'`: the peer's certificate was refused: `code` holds the X.509 reason
 *   (`DEPTH_ZERO_SELF_SIGNED_CERT`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE`,
 *   `SELF_SIGNED_CERT_IN_CHAIN`, `CERT_NOT_YET_VALID`…), or a client sent none to a server that
 *   requires one (`ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE`).
 * - `'hostnameMismatch'`: the certificate is valid but not for the name asked for.
 * - `'protocolError'`: the peer does not speak TLS, or no TLS version or ALPN protocol is
 *   common to both sides.
 * - `'handshakeFailed'`: the peer refused the handshake with a TLS alert (no shared cipher, our
 *   certificate refused, …); `code` holds OpenSSL's reason.
 * - `'unexpectedClose'`: the peer closed or reset the connection during the handshake.
 * - `'error'`: anything else; the failure's `error` says what.
 */
export type ConnectionStatus =
  | 'connected'
  | 'refused'
  | 'timeout'
  | 'cancelled'
  | 'invalidAddress'
  | 'contextRequired'
  | 'certificateExpired'
  | 'certificateInvalid'
  | 'hostnameMismatch'
  | 'protocolError'
  | 'handshakeFailed'
  | 'unexpectedClose'
  | 'error';

/**
 * Why a connection failed: its status, the code kept from Node.js or OpenSSL (the X.509 code
 * for certificate failures, such as `'CERT_HAS_EXPIRED'`; an errno name such as
 * `'ECONNREFUSED'`; an OpenSSL reason such as `'ERR_SSL_NO_SHARED_CIPHER'`), and the error
 * itself when there was one.
 */
export interface TlsFailure {
  readonly status: Exclude<ConnectionStatus, 'connected'>;
  readonly code: string | undefined;
  readonly message: string;
  readonly error: Error | undefined;
}

/** True for `'connected'`. */
export function isConnected(status: ConnectionStatus): status is 'connected' {
  return status === 'connected';
}

const x509Codes = new Set([
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'HOSTNAME_MISMATCH',
  'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE',
  'ERR_SSL_CERTIFICATE_VERIFY_FAILED',
]);

const protocolCodes = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_UNSUPPORTED_PROTOCOL',
  'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
  'ERR_SSL_NO_PROTOCOLS_AVAILABLE',
  'ERR_SSL_VERSION_TOO_LOW',
  'ERR_SSL_VERSION_TOO_HIGH',
  'ERR_SSL_NO_APPLICATION_PROTOCOL',
  'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL',
  'ERR_SSL_HTTP_REQUEST',
  'ERR_SSL_HTTPS_PROXY_REQUEST',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_RECORD_LENGTH_MISMATCH',
  'ERR_SSL_LENGTH_TOO_SHORT',
  'ERR_SSL_UNEXPECTED_MESSAGE',
  'ERR_SSL_UNEXPECTED_RECORD',
  'ERR_SSL_UNKNOWN_PROTOCOL',
  'ERR_SSL_RECORD_LAYER_FAILURE',
  'ERR_SSL_BAD_PACKET_LENGTH',
  'ERR_SSL_TLSV1_ALERT_DECODE_ERROR',
  'ERR_SSL_SSLV3_ALERT_UNEXPECTED_MESSAGE',
  'ERR_SSL_UNSAFE_LEGACY_RENEGOTIATION_DISABLED',
]);

const closeCodes = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);
const addressCodes = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EAI_FAIL',
  'EAFNOSUPPORT',
  'EADDRNOTAVAIL',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ERR_INVALID_IP_ADDRESS',
  'ERR_SOCKET_BAD_PORT',
  'ERR_INVALID_ADDRESS_FAMILY',
]);

/**
 * Maps an error from `node:tls` / `node:net` (its `code`) to a `ConnectionStatus`, keeping the
 * code. Exposed so that code handling raw `node:tls` errors can report them the same way.
 *
 * @example
 * socket.on('error', (e) => console.log(describeTlsError(e).status)); // 'certificateExpired'
 */
export function describeTlsError(error: unknown): TlsFailure {
  const err = error instanceof Error ? error : new Error(String(error));
  const code = (err as { code?: unknown }).code;
  const c = typeof code === 'string' ? code : undefined;
  return { status: statusOfCode(c, err), code: c, message: err.message, error: err };
}

function statusOfCode(code: string | undefined, error: Error): TlsFailure['status'] {
  if (code === undefined) return 'error';
  if (code === 'CERT_HAS_EXPIRED') return 'certificateExpired';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'hostnameMismatch';
  if (x509Codes.has(code)) return 'certificateInvalid';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ETIMEDOUT' || code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return 'timeout';
  if (code === 'ABORT_ERR') return 'cancelled';
  if (closeCodes.has(code)) return 'unexpectedClose';
  if (addressCodes.has(code)) return 'invalidAddress';
  if (protocolCodes.has(code)) return 'protocolError';
  // Every other alert the peer sent, and OpenSSL's own handshake refusals.
  if (code.startsWith('ERR_SSL_')) return 'handshakeFailed';
  if (code.startsWith('ERR_TLS_')) return 'handshakeFailed';
  return error.name === 'AbortError' ? 'cancelled' : 'error';
}

/** @internal A failure that did not come from an error. */
export function failure(
  status: TlsFailure['status'],
  message: string,
  code?: string,
  error?: Error,
): TlsFailure {
  return { status, code, message, error };
}
