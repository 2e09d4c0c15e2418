export {
  Client,
  type ConnectStatus,
  type ReadResult,
  type WriteResult,
} from './client.ts';
export type { AcceptedReadMode } from '../internal/accepted.ts';
export { Server, type ServerOptions } from './server.ts';
