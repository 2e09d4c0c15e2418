// HTTP 200 OK on @coro/net with a coroutine handler: the server of coro-http.ts, with each
// connection served by a coroutine task reading and writing through client.co (no promise per
// read or write). Usage: node coro-http-coroutine.ts PORT — prints "listening PORT" once ready.
import { IoScheduler } from '@coro/io';
import { tcp } from '@coro/net';
import { task } from '@coro/task';
import { coroutineConnection } from './http-connection.ts';

const scheduler = new IoScheduler();
const server = new tcp.Server(scheduler, {
  address: '127.0.0.1',
  port: Number(process.argv[2] ?? 0),
  backlog: 4096,
  noDelay: true,
  acceptors: 16,
});
if (!(await server.ready()).isOk()) process.exit(1);
console.log(`listening ${server.port}`);

const serve = task(function* (client: tcp.Client) {
  try {
    yield coroutineConnection(client);
  } finally {
    client.close();
  }
});

for await (const client of server) scheduler.spawnDetached(serve(client));
