export {
  Client,
  type ClientOps,
  type ConnectStatus,
  type ReadResult,
  type SocketOp,
  type WriteResult,
} from './client.ts';
export type { AcceptedReadMode } from '../internal/accepted.ts';
export { Server, type ServerOptions } from './server.ts';
