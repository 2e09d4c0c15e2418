// Feature detection for the two ways a ThreadPerCore server spreads connections over threads.
// Both probe the real thing on loopback once per process, since a version number says nothing
// about the kernel (SO_REUSEPORT) and Node.js ignores listen options it does not know.
import { createConnection, createServer, type Server, Socket } from 'node:net';
import { MessageChannel } from 'node:worker_threads';

let reusePortProbe: Promise<boolean> | undefined;
let transferProbe: Promise<boolean> | undefined;

function listen(server: Server, port: number, reusePort: boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const onError = (): void => resolve(false);
    server.once('error', onError);
    try {
      server.listen({ host: '127.0.0.1', port, reusePort, exclusive: true }, () => {
        server.removeListener('error', onError);
        resolve(true);
      });
    } catch {
      // ERR_OPTION_NOT_SUPPORTED where the system has no SO_REUSEPORT.
      resolve(false);
    }
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) resolve();
    else server.close(() => resolve());
  });
}

async function probeReusePort(): Promise<boolean> {
  const first = createServer();
  const second = createServer();
  try {
    if (!(await listen(first, 0, true))) return false;
    const address = first.address();
    if (address === null || typeof address !== 'object') return false;
    return await listen(second, address.port, true);
  } finally {
    await close(second);
    await close(first);
  }
}

/**
 * @internal Whether two listeners can bind the same port with `reusePort` (Node.js ≥ 22.12 /
 * 23.1, on a system with `SO_REUSEPORT`). Probed once on 127.0.0.1.
 */
export function reusePortSupported(): Promise<boolean> {
  reusePortProbe ??= probeReusePort().catch(() => false);
  return reusePortProbe;
}

async function probeTransfer(): Promise<boolean> {
  const server = createServer({ pauseOnConnect: true });
  const { port1, port2 } = new MessageChannel();
  let client: Socket | undefined;
  let accepted: Socket | undefined;
  try {
    if (!(await listen(server, 0, false))) return false;
    const address = server.address();
    if (address === null || typeof address !== 'object') return false;
    const connection = new Promise<Socket>((resolve) => server.once('connection', resolve));
    client = createConnection({ host: '127.0.0.1', port: address.port });
    client.on('error', () => {});
    accepted = await connection;
    const received = new Promise<unknown>((resolve) => port2.once('message', resolve));
    try {
      port1.postMessage(accepted, [accepted as never]);
    } catch {
      return false; // DataCloneError: sockets are not transferable on this Node.js
    }
    const socket = await received;
    const ok = socket instanceof Socket;
    if (ok) socket.destroy();
    return ok;
  } finally {
    accepted?.destroy();
    client?.destroy();
    port1.close();
    await close(server);
  }
}

/**
 * @internal Whether an accepted `net.Socket` can be moved to another thread with
 * `postMessage(socket, [socket])`. Probed once with a real loopback connection.
 */
export function socketTransferSupported(): Promise<boolean> {
  transferProbe ??= probeTransfer().catch(() => false);
  return transferProbe;
}
