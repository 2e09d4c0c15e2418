// tls.Server's `acceptors` (@coro/net's Listeners): several listening sockets on one port, one
// set of session-ticket keys; and ready() settling when shutdown() comes first.
import { connect as nodeTlsConnect, type TLSSocket } from 'node:tls';
import { IoScheduler } from '@coro/io';
import { makeTestCertificates, type TestCertificates } from '@coro/test-certs';
import { InvalidArgumentError } from '@coro/task';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Context, tls } from '../src/index.ts';

let certs: TestCertificates;
let serverContext: Context;
const scheduler = new IoScheduler();
const servers: tls.Server[] = [];
beforeAll(() => {
  certs = makeTestCertificates();
  serverContext = new Context({ cert: certs.server.cert, key: certs.server.key });
});
afterAll(() => certs.cleanup());
afterEach(() => {
  for (const server of servers.splice(0)) server.shutdown();
});

function makeServer(options: Partial<tls.ServerOptions>): tls.Server {
  const server = new tls.Server(scheduler, {
    address: '127.0.0.1',
    context: serverContext,
    ...options,
  });
  servers.push(server);
  return server;
}

// One handshake with node:tls, offering `session` for resumption; resolves once the connection
// is closed, with the session ticket the server sent.
function handshake(
  port: number,
  session: Buffer | undefined,
): Promise<{ reused: boolean; session: Buffer | undefined }> {
  return new Promise((resolve, reject) => {
    let ticket: Buffer | undefined;
    let reused = false;
    const socket: TLSSocket = nodeTlsConnect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca: certs.ca.cert,
      session,
    });
    // TLS 1.3 sends the session ticket after the handshake, ahead of the server's first byte
    // of data: once that byte is here, so is the ticket.
    socket.on('session', (data: Buffer) => {
      ticket = data;
    });
    socket.once('data', () => socket.end());
    socket.once('secureConnect', () => {
      reused = socket.isSessionReused();
    });
    socket.once('error', reject);
    socket.once('close', () => resolve({ reused, session: ticket }));
  });
}

describe('tls.Server acceptors', () => {
  it('serves handshakes over 3 acceptors on one port, and resumes sessions across them', async () => {
    const server = makeServer({ acceptors: 3 });
    expect((await server.ready()).isOk()).toBe(true);
    expect(server.acceptors).toBe(3);
    const serving = (async () => {
      for await (const client of server) {
        // One byte, then until the client ends.
        void client
          .writeAll(Buffer.from('x'))
          .then(() => client.readSome(Buffer.alloc(16)))
          .then(() => client.close());
      }
    })();
    const first = await handshake(server.port, undefined);
    expect(first.reused).toBe(false);
    expect(first.session).toBeDefined();
    // 12 more connections, spread over the three listening sockets by the kernel: the chance
    // that all land on the first one is (1/3)^12 ≈ 2·10⁻⁶. Each resumes the first session,
    // which only works if every acceptor holds the same ticket keys.
    for (let i = 0; i < 12; i++) {
      const again = await handshake(server.port, first.session);
      expect(again.reused, `connection ${i} resumed the session`).toBe(true);
    }
    expect(server.handshakes).toBe(13);
    server.shutdown();
    await serving;
  });

  it('ready() settles with closed when shutdown() comes before listening (1 or 4 acceptors)', async () => {
    for (const acceptors of [1, 4]) {
      const server = makeServer({ acceptors });
      server.shutdown();
      const status = await server.ready();
      expect(status.kind).toBe('closed');
      const accepted = await server.accept();
      expect(accepted.ok).toBe(false);
    }
  });

  it('rejects bad acceptor counts and acceptors with reusePort: false', () => {
    for (const acceptors of [0, 65, 2.5, '3' as never]) {
      expect(() => makeServer({ acceptors }), String(acceptors)).toThrow(InvalidArgumentError);
    }
    expect(() => makeServer({ acceptors: 2, reusePort: false })).toThrow(InvalidArgumentError);
  });
});
