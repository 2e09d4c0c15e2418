// TLS echo on plain node:tls, written the obvious way: 'data' events and write(), pausing
// while the peer does not read. Usage: node node-tls-echo.ts PORT CERT KEY
import { readFileSync } from 'node:fs';
import { createServer } from 'node:tls';

const [port = '0', cert, key] = process.argv.slice(2);
const server = createServer({ cert: readFileSync(cert!), key: readFileSync(key!) }, (socket) => {
  socket.setNoDelay(true);
  socket.on('data', (bytes: Buffer) => {
    if (!socket.write(bytes)) {
      socket.pause();
      socket.once('drain', () => socket.resume());
    }
  });
  socket.on('end', () => socket.end());
  socket.on('error', () => socket.destroy());
});
server.on('tlsClientError', () => {});
server.listen({ host: '127.0.0.1', port: Number(port), backlog: 4096 }, () => {
  console.log(`listening ${(server.address() as { port: number }).port}`);
});
