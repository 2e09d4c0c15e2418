// The client side of the echo scenarios, for every transport: the net group opens node:net
// sockets, the tls group node:tls ones, and both drive them with the same loads below (the
// same client for every contender of a group).
import type { Socket } from 'node:net';

/** Opens one connected (and, for TLS, handshaken) client socket. */
export type Open = () => Promise<Socket>;

/**
 * libcoro bench.cpp's echo shape: `connections` clients, each sending `messages` messages of
 * `size` bytes one at a time and waiting for each echo. Resolves with the elapsed ms.
 */
export async function echoLoad(
  open: Open,
  connections: number,
  messages: number,
  size = 36,
): Promise<number> {
  const sockets = await Promise.all(Array.from({ length: connections }, open));
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
export async function bulkLoad(open: Open, total: number): Promise<number> {
  const socket = await open();
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

/**
 * `total` connections, `concurrency` at a time: each opens, sends one byte, waits for its
 * echo and closes (over TLS: a full handshake each). Resolves with the elapsed ms.
 */
export async function connectLoad(open: Open, total: number, concurrency: number): Promise<number> {
  let started = 0;
  const one = async (): Promise<void> => {
    while (started < total) {
      started++;
      const socket = await open();
      await new Promise<void>((resolve, reject) => {
        socket.once('data', () => resolve());
        socket.once('error', reject);
        socket.write('h');
      });
      socket.destroy();
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, one));
  return performance.now() - start;
}
