// libcoro's http_200_ok_server: answer every HTTP request with an empty 200 OK. Each
// connection reads with readSome(), counts the requests by their blank line ("\r\n\r\n", which
// also answers pipelined requests) and writes one fixed response per request with writeAll().
//
// Bounded by default: a built-in client sends three requests on one keep-alive connection and
// prints the status lines. `--port 8888 --forever` serves until killed (try `curl -i` or `wrk`).
import { IoScheduler } from '@coro/io';
import { tcp } from '@coro/net';
import { syncWait, task, whenAll } from '@coro/task';
import { serverArgs } from './net/args.ts';

const response = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n',
);
const { port, forever } = serverArgs('http_200_ok_server');
const scheduler = new IoScheduler();
const server = new tcp.Server(scheduler, {
  address: '127.0.0.1',
  port,
  backlog: 4096,
  noDelay: true,
});
const listening = await server.ready();
if (!listening.isOk()) {
  console.error(`http_200_ok_server: cannot listen on port ${port}: ${listening}`);
  process.exit(1);
}

let requests = 0;
const onConnection = task(async (client: tcp.Client) => {
  const buffer = Buffer.allocUnsafe(16 * 1024);
  let matched = 0; // how much of "\r\n\r\n" the bytes so far end with
  let responses = Buffer.alloc(0);
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
    requests += count;
    if (count > 1 && responses.length !== count * response.length) {
      responses = Buffer.concat(Array.from({ length: count }, () => response));
    }
    const [written] = await client.writeAll(count === 1 ? response : responses);
    if (!written.isOk()) break;
  }
  client.close();
});

const acceptLoop = task(async () => {
  for await (const client of server) scheduler.spawnDetached(onConnection(client));
});

if (forever) {
  console.log(`http_200_ok_server: listening on ${server.localAddress}`);
  await syncWait(acceptLoop());
} else {
  console.log('http_200_ok_server: listening on 127.0.0.1');
  const client = task(async () => {
    await using connection = new tcp.Client(scheduler, { address: '127.0.0.1', port: server.port });
    if ((await connection.connect({ timeout: 5000 })) !== 'connected') return;
    const reply = Buffer.alloc(response.length);
    for (let i = 0; i < 3; i++) {
      await connection.writeAll(Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
      const [status, bytes] = await connection.readExact(reply, { timeout: 5000 });
      if (!status.isOk()) return;
      console.log(`client: ${Buffer.from(bytes).toString().split('\r\n')[0]}`);
    }
  });
  await syncWait(
    whenAll([
      acceptLoop(),
      task(async () => {
        await client();
        server.shutdown();
      })(),
    ]),
  );
  await scheduler.shutdown();
  console.log(`http_200_ok_server: served ${requests} requests`);
}
