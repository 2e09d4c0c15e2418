export {
  Client,
  type ConnectStatus,
  type ReadResult,
  type WriteResult,
} from './client.ts';
export { Server, type ServerOptions } from './server.ts';
