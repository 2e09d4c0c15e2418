// HTTP 200 OK on plain node:net, written the obvious way: 'data' events, count "\r\n\r\n",
// write() the response. Usage: node net-http.ts PORT
import { createServer } from 'node:net';

const response = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n',
);
const server = createServer({ noDelay: true }, (socket) => {
  let matched = 0;
  socket.on('data', (bytes: Buffer) => {
    let count = 0;
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i];
      if (byte === (matched % 2 === 0 ? 13 : 10)) matched++;
      else matched = byte === 13 ? 1 : 0;
      if (matched === 4) {
        count++;
        matched = 0;
      }
    }
    for (let i = 0; i < count; i++) socket.write(response);
  });
  socket.on('error', () => socket.destroy());
});
server.listen({ host: '127.0.0.1', port: Number(process.argv[2] ?? 0), backlog: 4096 }, () => {
  console.log(`listening ${(server.address() as { port: number }).port}`);
});
