// The `tls` namespace: `new tls.Context(...)`, `new tls.Client(...)`, `new tls.Server(...)`,
// as `@coro/net` has `tcp.Client` and `tcp.Server`.
export {
  type CipherInfo,
  Client,
  type ClientOptions,
  type ReadResult,
  type WriteResult,
} from './client.ts';
export { Context, type ContextOptions, type PemSource, type TlsVersion } from './context.ts';
export { type HandshakeFailure, Server, type ServerOptions } from './server.ts';
