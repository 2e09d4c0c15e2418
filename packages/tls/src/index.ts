export type {
  CipherInfo,
  ClientOptions,
  ReadResult,
  WriteResult,
} from './client.ts';
export type { Connection } from './connection.ts';
export { Context, type ContextOptions, type PemSource, type TlsVersion } from './context.ts';
export { TlsBusyError, TlsContextError } from './errors.ts';
export type { HandshakeFailure, ServerOptions } from './server.ts';
export {
  type ConnectionStatus,
  describeTlsError,
  isConnected,
  type TlsFailure,
} from './status.ts';
export * as tls from './tls.ts';
