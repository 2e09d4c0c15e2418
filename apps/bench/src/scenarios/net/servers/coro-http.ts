// HTTP 200 OK on @coro/net: readSome, count "\r\n\r\n", writeAll a fixed response.
// Usage: node coro-http.ts PORT — prints "listening PORT" once ready.
import { IoScheduler } from '@coro/io';
import { tcp } from '@coro/net';
import { task } from '@coro/task';

const response = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n',
);
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
  const buffer = Buffer.allocUnsafe(16 * 1024);
  let matched = 0;
  for (;;) {
    const [status, bytes] = await client.readSome(buffer);
    if (!status.isOk()) break;
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
    if (count === 0) continue;
    const out =
      count === 1 ? response : Buffer.concat(Array.from({ length: count }, () => response));
    const [written] = await client.writeAll(out);
    if (!written.isOk()) break;
  }
  client.close();
});

for await (const client of server) scheduler.spawnDetached(serve(client));
