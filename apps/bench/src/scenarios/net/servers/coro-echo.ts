// TCP echo on @coro/net: readSome, writeAll. Each connection is served by an async function, or
// with `coroutine` by a coroutine task on client.co (no promise per read or write).
// Usage: node coro-echo.ts PORT [coroutine] — prints "listening PORT" once ready.
import { IoScheduler } from '@coro/io';
import { tcp } from '@coro/net';
import { task } from '@coro/task';

const scheduler = new IoScheduler();
const server = new tcp.Server(scheduler, {
  address: '127.0.0.1',
  port: Number(process.argv[2] ?? 0),
  backlog: 4096,
  noDelay: true,
});
if (!(await server.ready()).isOk()) process.exit(1);
console.log(`listening ${server.port}`);

const serve =
  process.argv[3] === 'coroutine'
    ? task(function* (client: tcp.Client) {
        const buffer = Buffer.allocUnsafe(64 * 1024);
        const io = client.co;
        try {
          for (;;) {
            const [status, bytes] = yield* io.readSome(buffer);
            if (!status.isOk()) return;
            const [written] = yield* io.writeAll(bytes);
            if (!written.isOk()) return;
          }
        } finally {
          client.close();
        }
      })
    : task(async (client: tcp.Client) => {
        const buffer = Buffer.allocUnsafe(64 * 1024);
        for (;;) {
          const [status, bytes] = await client.readSome(buffer);
          if (!status.isOk()) break;
          const [written] = await client.writeAll(bytes);
          if (!written.isOk()) break;
        }
        client.close();
      });

for await (const client of server) scheduler.spawnDetached(serve(client));
