// The load the TLS scenarios put on a server, with plain node:tls clients in the bench's own
// process (the same client for every contender); the loads themselves are shared with the net
// group (../common/echo-load.ts). Full handshakes every time: no session tickets are reused.
import { connect, type TLSSocket } from 'node:tls';
import * as load from '../common/echo-load.ts';

function opener(port: number, ca: string): load.Open {
  return () =>
    new Promise<TLSSocket>((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1', ca, servername: 'localhost' });
      socket.setNoDelay(true);
      socket.once('secureConnect', () => resolve(socket));
      socket.once('error', reject);
    });
}

/** `total` full handshakes, `concurrency` at a time, each echoing one byte; resolves with ms. */
export function handshakeLoad(
  port: number,
  ca: string,
  total: number,
  concurrency: number,
): Promise<number> {
  return load.connectLoad(opener(port, ca), total, concurrency);
}

/** `total` bytes echoed through a TLS echo server on `port`; resolves with the ms. */
export function bulkLoad(port: number, ca: string, total: number): Promise<number> {
  return load.bulkLoad(opener(port, ca), total);
}

/** bench.cpp's echo shape over TLS (see `load.echoLoad`); resolves with the ms. */
export function echoLoad(
  port: number,
  ca: string,
  connections: number,
  messages: number,
  size = 36,
): Promise<number> {
  return load.echoLoad(opener(port, ca), connections, messages, size);
}
