// TCP echo on plain node:net: 'data' events and write(), pausing while the peer does not read.
// Usage: node net-echo.ts PORT
import { createServer } from 'node:net';

const server = createServer({ noDelay: true }, (socket) => {
  socket.on('data', (bytes: Buffer) => {
    if (!socket.write(bytes)) {
      socket.pause();
      socket.once('drain', () => socket.resume());
    }
  });
  socket.on('end', () => socket.end());
  socket.on('error', () => socket.destroy());
});
server.listen({ host: '127.0.0.1', port: Number(process.argv[2] ?? 0), backlog: 4096 }, () => {
  console.log(`listening ${(server.address() as { port: number }).port}`);
});
