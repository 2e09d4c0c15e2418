// A TLS echo server and its clients: tcp_echo_server with tls.Server / tls.Client in place of
// tcp.Server / tcp.Client — the read and write calls are the same. The certificates are made
// on the spot with the openssl command-line tool (a test CA and a server certificate for
// localhost), so the example needs Debian's openssl package.
//
// Bounded by default: 5 clients that trust the CA each echo 100 messages, one client that
// trusts nothing but Node.js's bundled roots is refused, and the server exits.
// `--port 8443 --forever` serves until killed (it prints where the CA certificate is).
import { IoScheduler } from '@coro/io';
import { makeTestCertificates } from '@coro/test-certs';
import { syncWait, task, whenAll } from '@coro/task';
import { Context, type HandshakeFailure, tls } from '@coro/tls';
import { serverArgs } from './net/args.ts';

const { port, forever } = serverArgs('tls_echo_server');
const certs = makeTestCertificates();
process.on('exit', () => certs.cleanup());
// Killed (`--forever` runs until then), the process would skip 'exit': the CA's and the
// server's private keys would stay behind in the temporary directory.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    certs.cleanup();
    process.kill(process.pid, signal);
  });
}

const scheduler = new IoScheduler();
const dropped: HandshakeFailure[] = [];
const server = new tls.Server(scheduler, {
  address: '127.0.0.1',
  port,
  backlog: 4096,
  context: new Context({ cert: certs.server.cert, key: certs.server.key, alpn: ['coro-echo'] }),
  onHandshakeFailure: (failure) => dropped.push(failure),
});
const listening = await server.ready();
if (!listening.isOk()) {
  console.error(`tls_echo_server: cannot listen on port ${port}: ${listening}`);
  process.exit(1);
}

let served = 0;
const onConnection = task(async (client: tls.Client) => {
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
  // Only clients whose handshake completed arrive here; the others went to onHandshakeFailure.
  for await (const client of server) scheduler.spawnDetached(onConnection(client));
});

if (forever) {
  console.log(`tls_echo_server: listening on ${server.localAddress} (CA: ${certs.ca.certPath})`);
  await syncWait(acceptLoop());
} else {
  console.log('tls_echo_server: listening on 127.0.0.1');
  const trusting = new Context({ ca: certs.ca.cert, alpn: ['coro-echo'] });
  const makeClient = task(async (id: number, context: Context) => {
    const endpoint = { address: '127.0.0.1', port: server.port };
    await using client = new tls.Client(scheduler, endpoint, context, { serverName: 'localhost' });
    const status = await client.connect({ timeout: 10_000 });
    if (status !== 'connected') return `client ${id}: ${status} (${client.failure?.code})`;
    const reply = Buffer.alloc(64);
    let echoed = 0;
    for (let i = 0; i < 100; i++) {
      const message = Buffer.from(`message ${i} from client ${id}`.padEnd(36, '.'));
      await client.writeAll(message, { timeout: 10_000 });
      const [read, bytes] = await client.readExact(reply.subarray(0, message.length), {
        timeout: 10_000,
      });
      if (read.isOk() && Buffer.from(bytes).equals(message)) echoed++;
    }
    return `client ${id}: ${client.protocol}, ALPN ${client.alpnProtocol}, ${echoed} messages echoed`;
  });
  const clients = [
    ...Array.from({ length: 5 }, (_, id) => makeClient(id, trusting)),
    makeClient(5, new Context()), // trusts only the bundled roots: refuses the test CA
  ];
  const [, lines] = await syncWait(
    whenAll([
      acceptLoop(),
      task(async () => {
        const results = await whenAll(clients);
        // The refused client's connection ends on the server side too; wait for its report.
        while (dropped.length === 0) await scheduler.yieldFor(5);
        server.shutdown(); // ends the accept loop
        return results;
      })(),
    ]),
  );
  for (const line of lines) console.log(line);
  await scheduler.shutdown(); // waits for every connection task
  console.log(`tls_echo_server: served ${served} connections`);
  for (const failure of dropped)
    console.log(`tls_echo_server: dropped a handshake: ${failure.status}`);
}
