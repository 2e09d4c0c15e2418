import type { tcp } from '@coro/net';

/**
 * The calls `tcp.Client` and `tls.Client` share: write a routine against `Connection` and it
 * serves TCP and TLS connections alike (both classes have private state, so a parameter typed
 * `tcp.Client` accepts only TCP clients).
 *
 * @example
 * async function echo(client: Connection) {
 *   const buffer = Buffer.alloc(16 * 1024);
 *   for (;;) {
 *     const [status, bytes] = await client.readSome(buffer);
 *     if (!status.isOk() || !(await client.writeAll(bytes))[0].isOk()) break;
 *   }
 *   client.close();
 * }
 */
export type Connection = Pick<
  tcp.Client,
  | 'readSome'
  | 'readExact'
  | 'writeSome'
  | 'writeAll'
  | 'recv'
  | 'send'
  | 'poll'
  | 'shutdown'
  | 'close'
  | 'reset'
  | 'setNoDelay'
  | 'setKeepAlive'
  | 'isConnected'
  | 'localAddress'
  | 'peerAddress'
  | 'co'
  | typeof Symbol.asyncDispose
>;
