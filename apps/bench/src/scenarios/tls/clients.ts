// The load the TLS scenarios put on a server, with plain node:tls clients in the bench's own
// process (the same client for every contender). Full handshakes every time: no session
// tickets are reused.
import { connect, type TLSSocket } from 'node:tls';

function open(port: number, ca: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', ca, servername: 'localhost' });
    socket.setNoDelay(true);
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * `total` connections, `concurrency` at a time: each handshakes, sends one byte, waits for its
 * echo and closes. Resolves with the elapsed ms.
 */
export async function handshakeLoad(
  port: number,
  ca: string,
  total: number,
  concurrency: number,
): Promise<number> {
  let started = 0;
  const one = async (): Promise<void> => {
    while (started < total) {
      started++;
      const socket = await open(port, ca);
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

/** Sends `total` bytes through a TLS echo server and reads them back; resolves with the ms. */
export async function bulkLoad(port: number, ca: string, total: number): Promise<number> {
  const socket = await open(port, ca);
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
 * libcoro bench.cpp's echo shape over TLS: `connections` clients, each sending `messages`
 * messages of `size` bytes one at a time and waiting for each echo. Resolves with the ms.
 */
export async function echoLoad(
  port: number,
  ca: string,
  connections: number,
  messages: number,
  size = 36,
): Promise<number> {
  const sockets = await Promise.all(Array.from({ length: connections }, () => open(port, ca)));
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
            if (sent === messages) return resolve();
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
