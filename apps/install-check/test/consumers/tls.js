// @coro/tls as an installed package: a TLS echo between tls.Server and tls.Client, the client
// verifying the server's self-signed certificate (cert.pem, made by the test with openssl)
// through its Context's ca; a client that does not trust it must be refused.
import { IoScheduler } from '@coro/io';
import { syncWait, task } from '@coro/task';
import { Context, tls } from '@coro/tls';

const deadline = { timeout: 5000 };
const scheduler = new IoScheduler();
const result = {};
const failures = [];

const server = new tls.Server(scheduler, {
  address: '127.0.0.1',
  port: 0,
  context: new Context({ cert: 'cert.pem', key: 'key.pem' }),
  handshakeTimeout: 5000,
  onHandshakeFailure: (failure) => failures.push(failure.status),
});
result.listen = (await server.ready()).kind;

// The echo loop of the README: it ends when the client closes. (Closing from the server's side
// first, right after its write, left both lingering closes waiting 10 s for the other's FIN.)
const echo = task(async () => {
  const accepted = await server.accept(deadline);
  if (!accepted.ok) return `accept: ${accepted.error.kind}`;
  const peer = accepted.value;
  const buffer = Buffer.alloc(64);
  let echoed = 0;
  for (;;) {
    const [status, bytes] = await peer.readSome(buffer, deadline);
    if (!status.isOk()) {
      await peer[Symbol.asyncDispose]();
      return { echoed, end: status.kind };
    }
    const [written] = await peer.writeAll(bytes, deadline);
    if (written.isOk()) echoed += bytes.length;
  }
});
const serverSide = echo().start();

const address = { address: '127.0.0.1', port: server.port };
const client = new tls.Client(scheduler, address, new Context({ ca: 'cert.pem' }), {
  serverName: 'localhost',
});
result.connect = await client.connect(deadline);
result.protocol = client.protocol;
result.peerSubject = client.peerCertificate?.subject;
const message = Buffer.from('ping over tls');
const [sent] = await client.writeAll(message, deadline);
const [read, reply] = await client.readExact(Buffer.alloc(message.length), deadline);
result.tls = [sent.kind, read.kind, Buffer.from(reply).toString()];
await client[Symbol.asyncDispose]();
result.server = await serverSide;

// Without the certificate in its ca, a client (trusting only the bundled roots) must refuse it.
const untrusting = new tls.Client(scheduler, address, new Context(), { serverName: 'localhost' });
result.untrustedConnect = await untrusting.connect(deadline);
result.untrustedCode = untrusting.failure?.code;
await untrusting[Symbol.asyncDispose]();

await server.shutdown();
await syncWait(scheduler.shutdown(), deadline);
console.log(JSON.stringify(result));
