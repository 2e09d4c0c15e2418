// TLS echo on @coro/tls: readSome, writeAll. Usage: node coro-tls-echo.ts PORT CERT KEY
import { IoScheduler } from '@coro/io';
import { task } from '@coro/task';
import { Context, tls } from '@coro/tls';

const [port = '0', cert, key] = process.argv.slice(2);
const scheduler = new IoScheduler();
const server = new tls.Server(scheduler, {
  address: '127.0.0.1',
  port: Number(port),
  backlog: 4096,
  noDelay: true,
  context: new Context({ cert, key }),
});
if (!(await server.ready()).isOk()) process.exit(1);
console.log(`listening ${server.port}`);

// Read buffers are reused from one connection to the next (a free list): a fresh 64 KiB
// buffer per connection costs a malloc'd ArrayBuffer, its external-memory accounting and its
// share of the garbage collections that triggers — about 10 % of the server's CPU per
// handshake here, where each connection echoes one byte. See @coro/tls's README, "Performance".
const spare: Buffer[] = [];

const serve = task(async (client: tls.Client) => {
  const buffer = spare.pop() ?? Buffer.allocUnsafe(64 * 1024);
  for (;;) {
    const [status, bytes] = await client.readSome(buffer);
    if (!status.isOk()) break;
    const [written] = await client.writeAll(bytes);
    if (!written.isOk()) break;
  }
  client.close();
  spare.push(buffer);
});

for await (const client of server) scheduler.spawnDetached(serve(client));
