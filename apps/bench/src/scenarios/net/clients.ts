// The load the network scenarios put on a server, with plain node:net clients in the bench's
// own process (the same client for every contender); the loads themselves are shared with the
// tls group (../common/echo-load.ts).
import { connect, type Socket } from 'node:net';
import * as load from '../common/echo-load.ts';

function opener(port: number): load.Open {
  return () =>
    new Promise<Socket>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.setNoDelay(true);
      socket.once('connect', () => resolve(socket));
      socket.once('error', reject);
    });
}

/** bench.cpp's tcp echo shape against 127.0.0.1:`port` (see `load.echoLoad`). */
export function echoLoad(
  port: number,
  connections: number,
  messages: number,
  size = 36,
): Promise<number> {
  return load.echoLoad(opener(port), connections, messages, size);
}

/** `total` bytes echoed through 127.0.0.1:`port` (see `load.bulkLoad`). */
export function bulkLoad(port: number, total: number): Promise<number> {
  return load.bulkLoad(opener(port), total);
}
