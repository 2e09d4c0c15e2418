// HTTP 200 OK on node:net under `cluster`, as a Node.js user scales a server over cores today:
// the primary forks one worker per core (or argv[3]) and hands them connections round-robin
// (cluster's default scheduling on Linux). Each worker runs the obvious node:net server of
// ../net/servers/net-http.ts. Usage: node cluster-http.ts PORT [WORKERS]
import cluster from 'node:cluster';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';

const response = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n',
);
const port = Number(process.argv[2] ?? 0);

if (cluster.isPrimary) {
  const workers = Number(process.argv[3] ?? availableParallelism());
  let listening = 0;
  // Workers that listen with the same arguments share the primary's one handle, port 0 too.
  for (let i = 0; i < workers; i++) {
    cluster.fork().on('message', (message: { port: number }) => {
      if (++listening === workers) console.log(`listening ${message.port}`);
    });
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.kill();
      process.exit(0);
    });
  }
} else {
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
  server.on('error', (error) => {
    console.error(error);
    process.exit(1);
  });
  server.listen({ host: '127.0.0.1', port, backlog: 4096 }, () => {
    process.send?.({ port: (server.address() as { port: number }).port });
  });
}
