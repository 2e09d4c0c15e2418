// libcoro's tcp_echo_server: accept connections and echo every byte back. Each connection reads
// with readSome() into its own buffer and writes the bytes back with writeAll(); unlike
// libcoro's example (which keeps spinning on a read error other than close), the connection
// ends cleanly on every error status.
//
// Bounded by default: a built-in client opens 10 connections, sends 100 messages on each,
// checks the echoes and the server exits. `--port 8888 --forever` serves until killed.
import { IoScheduler } from '@coro/io';
import { tcp } from '@coro/net';
import { syncWait, task, whenAll } from '@coro/task';
import { serverArgs } from './net/args.ts';

const { port, forever } = serverArgs('tcp_echo_server');
const scheduler = new IoScheduler();
const server = new tcp.Server(scheduler, { address: '127.0.0.1', port, backlog: 4096 });
const listening = await server.ready();
if (!listening.isOk()) {
  console.error(`tcp_echo_server: cannot listen on port ${port}: ${listening}`);
  process.exit(1);
}

let served = 0;
const onConnection = task(async (client: tcp.Client) => {
  const buffer = Buffer.allocUnsafe(16 * 1024);
  try {
    for (;;) {
      const [readStatus, bytes] = await client.readSome(buffer);
      if (!readStatus.isOk()) break; // closed, reset, or any other error: end the connection
      const [writeStatus] = await client.writeAll(bytes);
      if (!writeStatus.isOk()) break;
    }
  } finally {
    client.close();
    served++;
  }
});

const acceptLoop = task(async () => {
  for await (const client of server) scheduler.spawnDetached(onConnection(client));
});

if (forever) {
  console.log(`tcp_echo_server: listening on ${server.localAddress}`);
  await syncWait(acceptLoop());
} else {
  console.log('tcp_echo_server: listening on 127.0.0.1');
  const makeClient = task(async (id: number) => {
    await using client = new tcp.Client(scheduler, { address: '127.0.0.1', port: server.port });
    if ((await client.connect({ timeout: 5000 })) !== 'connected')
      return `client ${id}: connect failed`;
    const reply = Buffer.alloc(64);
    let echoed = 0;
    for (let i = 0; i < 100; i++) {
      const message = Buffer.from(`message ${i} from client ${id}`.padEnd(36, '.'));
      await client.writeAll(message, { timeout: 5000 });
      const [status, bytes] = await client.readExact(reply.subarray(0, message.length), {
        timeout: 5000,
      });
      if (status.isOk() && Buffer.from(bytes).equals(message)) echoed++;
    }
    return `client ${id}: ${echoed} messages echoed`;
  });
  const clients = Array.from({ length: 10 }, (_, id) => makeClient(id));
  const [, lines] = await syncWait(
    whenAll([
      acceptLoop(),
      task(async () => {
        const results = await whenAll(clients);
        server.shutdown(); // ends the accept loop
        return results;
      })(),
    ]),
  );
  for (const line of lines) console.log(line);
  await scheduler.shutdown(); // waits for every connection task
  console.log(`tcp_echo_server: served ${served} connections`);
}
