// libcoro's http_200_ok_server as libcoro runs it for its figures: one scheduler per core, all
// accepting on one port. Each worker thread runs http_200_ok_server_threads/connection.ts on its
// own IoScheduler with its own SO_REUSEPORT listener (or, where that is unavailable, takes the
// sockets one listener in the main thread accepts); the main thread supervises them.
//
// Bounded by default: a built-in client makes four keep-alive connections of three requests
// each, then the server shuts down gracefully. `--port 8888 --forever [--threads N]` serves
// until SIGINT/SIGTERM (try `curl -i` or `wrk`).
import { availableParallelism } from 'node:os';
import { IoScheduler } from '@coro/io';
import { serve, tcp } from '@coro/net';
import { syncWait, task, whenAll } from '@coro/task';
import { serverArgs } from './net/args.ts';

const { port, forever, threads } = serverArgs('http_200_ok_server_threads', process.argv.slice(2), {
  threads: availableParallelism(),
});

const server = serve({
  module: new URL('./http_200_ok_server_threads/connection.ts', import.meta.url),
  threads,
  address: '127.0.0.1',
  port,
  backlog: 4096,
  noDelay: true,
  handleSignals: forever,
});
const bound = await server.ready.catch((error: Error) => {
  console.error(`http_200_ok_server_threads: ${error.message}`);
  process.exit(1);
});

if (forever) {
  console.log(
    `http_200_ok_server_threads: listening on 127.0.0.1:${bound} (${threads} threads, ${server.mode})`,
  );
} else {
  console.log(`http_200_ok_server_threads: one thread per core, ${server.mode} mode`);
  const scheduler = new IoScheduler();
  const request = Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  const reply = Buffer.alloc(
    'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n'.length,
  );
  const connection = task(async (): Promise<number> => {
    await using client = new tcp.Client(scheduler, { address: '127.0.0.1', port: bound });
    if ((await client.connect({ timeout: 10_000 })) !== 'connected') return 0;
    let ok = 0;
    for (let i = 0; i < 3; i++) {
      await client.writeAll(request, { timeout: 10_000 });
      const [status, bytes] = await client.readExact(reply, { timeout: 10_000 });
      if (status.isOk() && Buffer.from(bytes).toString().startsWith('HTTP/1.1 200 OK')) ok++;
    }
    return ok;
  });
  const answers = await syncWait(whenAll([connection(), connection(), connection(), connection()]));
  console.log(`client: ${answers.reduce((a, b) => a + b, 0)} × HTTP/1.1 200 OK on 4 connections`);
  await server.close();
  await scheduler.shutdown();
  const stats = server.stats();
  console.log(`http_200_ok_server_threads: ${stats.accepted} connections served, shut down`);
}
