// HTTP 200 OK on @coro/net: readSome, count "\r\n\r\n", writeAll a fixed response. Sixteen
// acceptors, because wrk opens all its connections at once: with one, libuv takes one of them per
// turn of the (busy) event loop and the last wait 1–2 s (see @coro/net's README, `acceptors`).
// Each connection is served by an async function, or with `coroutine` by a coroutine task on
// client.co (no promise per read or write).
// Usage: node coro-http.ts PORT [coroutine] — prints "listening PORT" once ready.
import { IoScheduler } from '@coro/io';
import { tcp } from '@coro/net';
import { task } from '@coro/task';
import { coroutineConnection, onConnection } from './http-connection.ts';

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

const serve =
  process.argv[3] === 'coroutine'
    ? task(function* (client: tcp.Client) {
        try {
          yield coroutineConnection(client);
        } finally {
          client.close();
        }
      })
    : task(async (client: tcp.Client) => {
        await onConnection(client);
        client.close();
      });

for await (const client of server) scheduler.spawnDetached(serve(client));
