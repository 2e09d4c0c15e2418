export { InvalidAddressError, SocketBusyError } from './errors.ts';
export { IoStatus, type IoStatusKind, isIoOk } from './io-status.ts';
export { IpAddress, type IpFamily } from './ip-address.ts';
export { type Endpoint, SocketAddress } from './socket-address.ts';
export * as tcp from './tcp/index.ts';
export * as udp from './udp/index.ts';
export * as dns from './dns/index.ts';
