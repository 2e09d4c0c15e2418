// TCP echo on @coro/net: readSome, writeAll. Usage: node coro-echo.ts PORT
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

const serve = task(async (client: tcp.Client) => {
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
