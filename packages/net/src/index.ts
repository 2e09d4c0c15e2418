export { AcceptQueue, type AcceptQueueOptions } from './accept-queue.ts';
export { type ListenOptions, Listeners, type ListenersOptions } from './listeners.ts';
export { InvalidAddressError, SocketBusyError } from './errors.ts';
export { IoStatus, type IoStatusKind, isIoOk } from './io-status.ts';
export { IpAddress, type IpFamily } from './ip-address.ts';
export { type Endpoint, SocketAddress } from './socket-address.ts';
export * as tcp from './tcp/index.ts';
export * as udp from './udp/index.ts';
export * as dns from './dns/index.ts';
export { serve, ThreadPerCore } from './thread-per-core.ts';
export type {
  CloseResult,
  RestartEvent,
  ServerModule,
  ThreadContext,
  ThreadPerCoreMode,
  ThreadPerCoreOptions,
  ThreadPerCoreStats,
  ThreadReadyEvent,
  ThreadState,
  ThreadStats,
} from './thread-per-core-types.ts';
export {
  AddressInUseError,
  ListenError,
  ServerModuleError,
  ThreadPerCoreUnsupportedError,
} from './thread-per-core-errors.ts';
