// HTTP 200 OK on node:http. Usage: node node-http.ts PORT
import { createServer } from 'node:http';

const server = createServer((_request, response) => {
  response.writeHead(200, { 'Content-Length': '0' });
  response.end();
});
server.keepAliveTimeout = 60_000;
server.listen({ host: '127.0.0.1', port: Number(process.argv[2] ?? 0), backlog: 4096 }, () => {
  console.log(`listening ${(server.address() as { port: number }).port}`);
});
