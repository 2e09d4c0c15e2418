// The load the network scenarios put on a server, with plain node:net clients in the bench's
// own process (the same client for every contender).
import { connect, type Socket } from 'node:net';

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * libcoro bench.cpp's tcp echo shape: `connections` clients, each sending `messages` messages
 * of `size` bytes one at a time and waiting for each echo. Resolves with the elapsed ms.
 */
export async function echoLoad(
  port: number,
  connections: number,
  messages: number,
  size = 36,
): Promise<number> {
  const sockets = await Promise.all(Array.from({ length: connections }, () => open(port)));
  const message = Buffer.alloc(size, 'x');
  const start = performance.now();
  await Promise.all(
    sockets.map(
      (socket) =>
        new Promise<void>((resolve, reject) => {
          let sent = 1;
          let received = 0;
          socket.on('data', (bytes: Buffer) => {
            received += bytes.length;
            if (received < sent * size) return;
            if (sent === messages) {
              resolve();
              return;
            }
            sent++;
            socket.write(message);
          });
          socket.once('error', reject);
          socket.write(message);
        }),
    ),
  );
  const elapsed = performance.now() - start;
  for (const socket of sockets) socket.destroy();
  return elapsed;
}

/** Sends `total` bytes through an echo server and reads them back; resolves with the ms. */
export async function bulkLoad(port: number, total: number): Promise<number> {
  const socket = await open(port);
  const chunk = Buffer.alloc(1 << 20, 'b');
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    let received = 0;
    socket.on('data', (bytes: Buffer) => {
      received += bytes.length;
      if (received >= total) resolve();
    });
    socket.once('error', reject);
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += chunk.length;
        if (!socket.write(chunk)) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
  const elapsed = performance.now() - start;
  socket.destroy();
  return elapsed;
}
