// s_client's own reports and the echoed bytes share its stdout and may interleave, so the
// echo is looked for anywhere in the output (the input itself is never printed).
// Real peers: `openssl s_client` against the coro server, `openssl s_server` against the coro
// client (Debian's openssl package, listed in .ci/apt-packages).
import { IoScheduler } from '@coro/io';
import { makeTestCertificates, type TestCertificates } from '@coro/test-certs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Context, type HandshakeFailure, tls } from '../src/index.ts';
import { closeAll, closedPort, openssl, waitForOutput } from './utils/peers.ts';

let certs: TestCertificates;
const scheduler = new IoScheduler();
const cleanups: (() => void)[] = [];
beforeAll(() => {
  certs = makeTestCertificates();
});
afterAll(() => certs.cleanup());
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
  closeAll();
});

/** A coro echo server: every accepted client gets its bytes back until it closes. */
async function echoServer(context: Context) {
  const failures: HandshakeFailure[] = [];
  const server = new tls.Server(scheduler, {
    address: '127.0.0.1',
    context,
    onHandshakeFailure: (f) => failures.push(f),
  });
  cleanups.push(() => server.close());
  await server.ready();
  const peers: tls.Client[] = [];
  const loop = (async () => {
    for await (const client of server) {
      peers.push(client);
      (async () => {
        const buffer = Buffer.alloc(4096);
        for (;;) {
          const [status, view] = await client.readSome(buffer);
          if (!status.isOk()) break;
          if (!(await client.writeAll(view))[0].isOk()) break;
        }
        client.close();
      })();
    }
  })();
  cleanups.push(() => {
    for (const p of peers) p.close();
  });
  return { server, failures, loop };
}

const serverContext = () =>
  new Context({ cert: certs.server.cert, key: certs.server.key, alpn: ['coro/1', 'http/1.1'] });

describe('openssl s_client against tls.Server', () => {
  it('handshakes, verifies, agrees on ALPN and gets its line echoed', async () => {
    const { server } = await echoServer(serverContext());
    const client = openssl([
      's_client',
      '-connect',
      `127.0.0.1:${server.port}`,
      '-servername',
      'localhost',
      '-CAfile',
      certs.ca.certPath,
      '-verify_return_error',
      '-alpn',
      'coro/1',
      '-ign_eof',
    ]);
    client.child.stdin!.write('hello from s_client\n');
    await waitForOutput(client.output, /hello from s_client\n/, 's_client echo');
    client.child.stdin!.end();
    const out = client.output();
    expect(out).toMatch(/Verify return code: 0 \(ok\)/);
    expect(out).toMatch(/ALPN protocol: coro\/1/);
    expect(out).toMatch(/TLSv1\.3/);
    client.child.kill();
  });

  it('TLS 1.2 s_client works too', async () => {
    const { server } = await echoServer(serverContext());
    const client = openssl([
      's_client',
      '-connect',
      `127.0.0.1:${server.port}`,
      '-CAfile',
      certs.ca.certPath,
      '-tls1_2',
      '-verify_return_error',
      '-ign_eof',
    ]);
    client.child.stdin!.write('twelve\n');
    await waitForOutput(client.output, /twelve\n/, 's_client 1.2 echo');
    expect(client.output()).toMatch(/Protocol\s*: TLSv1\.2/);
    client.child.kill();
  });

  it('mutual TLS: s_client with the client certificate is accepted and seen', async () => {
    const context = new Context({
      cert: certs.server.cert,
      key: certs.server.key,
      ca: certs.ca.cert,
      verifyPeer: true,
    });
    const { server } = await echoServer(context);
    const client = openssl([
      's_client',
      '-connect',
      `127.0.0.1:${server.port}`,
      '-CAfile',
      certs.ca.certPath,
      '-cert',
      certs.client.certPath,
      '-key',
      certs.client.keyPath,
      '-ign_eof',
    ]);
    client.child.stdin!.write('with cert\n');
    await waitForOutput(client.output, /with cert\n/, 's_client mTLS echo');
    client.child.kill();
  });

  it('mutual TLS: s_client without a certificate is dropped, reported as certificateInvalid', async () => {
    const context = new Context({
      cert: certs.server.cert,
      key: certs.server.key,
      ca: certs.ca.cert,
      verifyPeer: true,
    });
    const { server, failures } = await echoServer(context);
    const client = openssl([
      's_client',
      '-connect',
      `127.0.0.1:${server.port}`,
      '-CAfile',
      certs.ca.certPath,
      '-tls1_2',
    ]);
    client.child.stdin!.end();
    await client.exited;
    while (failures.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(failures[0]!.status).toBe('certificateInvalid');
    expect(server.pending).toBe(0);
  });
});

describe('tls.Client against openssl s_server', () => {
  /** Starts s_server on a free port with `args`; resolves once it accepts. */
  async function sServer(args: string[]) {
    const port = await closedPort();
    const server = openssl(['s_server', '-accept', String(port), ...args]);
    await waitForOutput(server.output, /ACCEPT/, 's_server start');
    return { port, server };
  }

  it('connects, verifies s_server, and gets lines back reversed (-rev)', async () => {
    const { port } = await sServer([
      '-cert',
      certs.server.certPath,
      '-key',
      certs.server.keyPath,
      '-rev',
      '-alpn',
      'coro/1',
    ]);
    const client = new tls.Client(
      scheduler,
      { address: '127.0.0.1', port },
      new Context({ ca: certs.ca.cert, alpn: ['coro/1'] }),
      { serverName: 'localhost' },
    );
    cleanups.push(() => client.close());
    expect(await client.connect({ timeout: 15_000 })).toBe('connected');
    expect(client.alpnProtocol).toBe('coro/1');
    expect(client.protocol).toBe('TLSv1.3');
    await client.writeAll(Buffer.from('hello openssl\n'));
    const [status, view] = await client.readExact(Buffer.alloc(14), { timeout: 15_000 });
    expect(status.kind).toBe('ok');
    expect(Buffer.from(view).toString()).toBe('lssnepo olleh\n');
  });

  it('mutual TLS: s_server -Verify accepts the client certificate', async () => {
    const { port, server } = await sServer([
      '-cert',
      certs.server.certPath,
      '-key',
      certs.server.keyPath,
      '-CAfile',
      certs.ca.certPath,
      '-Verify',
      '1',
      '-verify_return_error',
      '-rev',
    ]);
    const context = new Context({
      ca: certs.ca.cert,
      cert: certs.client.cert,
      key: certs.client.key,
    });
    const client = new tls.Client(scheduler, { address: '127.0.0.1', port }, context);
    cleanups.push(() => client.close());
    expect(await client.connect({ timeout: 15_000 })).toBe('connected');
    await client.writeAll(Buffer.from('abc\n'));
    const [status, view] = await client.readExact(Buffer.alloc(4), { timeout: 15_000 });
    expect([status.kind, Buffer.from(view).toString()]).toEqual(['ok', 'cba\n']);
    expect(server.output()).toMatch(/coro test client/);
  });

  it('statuses from s_server: expired and self-signed certificates, no common protocol', async () => {
    const cases = [
      [
        ['-cert', certs.expired.certPath, '-key', certs.expired.keyPath],
        {},
        'certificateExpired',
        'CERT_HAS_EXPIRED',
      ],
      [
        ['-cert', certs.selfSigned.certPath, '-key', certs.selfSigned.keyPath],
        {},
        'certificateInvalid',
        'DEPTH_ZERO_SELF_SIGNED_CERT',
      ],
      [
        ['-cert', certs.server.certPath, '-key', certs.server.keyPath, '-tls1_3'],
        { maxVersion: 'TLSv1.2' },
        'protocolError',
        undefined,
      ],
    ] as const;
    for (const [args, extra, expected, code] of cases) {
      const { port } = await sServer([...args]);
      const client = new tls.Client(
        scheduler,
        { address: '127.0.0.1', port },
        new Context({ ca: certs.ca.cert, ...extra }),
      );
      expect(await client.connect({ timeout: 15_000 }), expected).toBe(expected);
      if (code !== undefined) expect(client.failure?.code).toBe(code);
      closeAll();
    }
  });
});
