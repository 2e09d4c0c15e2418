// Every ConnectionStatus of tls.Client.connect, each against a real peer on 127.0.0.1.
import { IoScheduler } from '@coro/io';
import { InvalidAddressError } from '@coro/net';
import { makeTestCertificates, type TestCertificates } from '@coro/test-certs';
import { InvalidArgumentError, StopSource } from '@coro/task';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Context, describeTlsError, TlsBusyError, tls } from '../src/index.ts';
import { closeAll, closedPort, nodeTlsServer, tcpServer } from './utils/peers.ts';

let certs: TestCertificates;
let trusting: Context;
const scheduler = new IoScheduler();
beforeAll(() => {
  certs = makeTestCertificates();
  trusting = new Context({ ca: certs.ca.cert });
});
afterAll(() => certs.cleanup());
afterEach(() => closeAll());

const local = (port: number) => ({ address: '127.0.0.1', port });

async function connectTo(
  serverOptions: Parameters<typeof nodeTlsServer>[0],
  context = trusting,
  clientOptions?: tls.ClientOptions,
) {
  const { port, clientErrors } = await nodeTlsServer(serverOptions);
  const client = new tls.Client(scheduler, local(port), context, clientOptions);
  const status = await client.connect({ timeout: 15_000 });
  return { client, status, clientErrors };
}

describe('tls.Client.connect statuses', () => {
  it("'connected' with the server verified, and the handshake's facts", async () => {
    const { client, status } = await connectTo(
      { key: certs.server.key, cert: certs.server.cert, ALPNProtocols: ['coro/1'] },
      new Context({ ca: certs.ca.cert, alpn: ['coro/2', 'coro/1'] }),
    );
    expect(status).toBe('connected');
    expect(client.isConnected).toBe(true);
    expect(client.failure).toBeUndefined();
    expect(client.alpnProtocol).toBe('coro/1');
    expect(client.protocol).toBe('TLSv1.3');
    expect(client.cipher?.name).toMatch(/^TLS_/);
    expect(client.peerCertificate?.subject).toBe('CN=localhost');
    expect(client.peerAddress?.toString()).toBe(`127.0.0.1:${client.remote!.port}`);
    expect(await client.connect()).toBe('connected'); // already connected
    client.close();
  });

  it("'connected' by host name, sent as SNI and verified", async () => {
    let sni!: (name: string | false | null) => void;
    const seen = new Promise<string | false | null>((resolve) => (sni = resolve));
    const { port } = await nodeTlsServer({ key: certs.server.key, cert: certs.server.cert }, (s) =>
      sni(s.servername),
    );
    const client = new tls.Client(scheduler, local(port), trusting, { serverName: 'localhost' });
    expect(await client.connect({ timeout: 15_000 })).toBe('connected');
    // TLS 1.3: the client is done before the server has seen its Finished.
    expect(await seen).toBe('localhost');
    client.close();
  });

  it("'certificateExpired' with CERT_HAS_EXPIRED kept", async () => {
    const { client, status } = await connectTo({
      key: certs.expired.key,
      cert: certs.expired.cert,
    });
    expect(status).toBe('certificateExpired');
    expect(client.failure?.code).toBe('CERT_HAS_EXPIRED');
    expect(client.isConnected).toBe(false);
  });

  it("'certificateInvalid' with the X.509 code kept, for each way a chain fails", async () => {
    const cases = [
      [certs.selfSigned, undefined, 'DEPTH_ZERO_SELF_SIGNED_CERT'],
      [certs.untrusted, undefined, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
      [certs.server, certs.serverChain, 'SELF_SIGNED_CERT_IN_CHAIN'],
    ] as const;
    for (const [identity, chain, code] of cases) {
      // The last case trusts only Node.js's bundled roots, not the test CA.
      const context = chain === undefined ? trusting : new Context();
      const { client, status } = await connectTo(
        { key: identity.key, cert: chain ?? identity.cert },
        context,
      );
      expect(status, code).toBe('certificateInvalid');
      expect(client.failure?.code).toBe(code);
      closeAll();
    }
  });

  it("'hostnameMismatch' for a valid certificate of another name, by IP and by name", async () => {
    const byIp = await connectTo({ key: certs.wrongHost.key, cert: certs.wrongHost.cert });
    expect(byIp.status).toBe('hostnameMismatch');
    expect(byIp.client.failure?.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    const byName = await connectTo({ key: certs.server.key, cert: certs.server.cert }, trusting, {
      serverName: 'elsewhere.test',
    });
    expect(byName.status).toBe('hostnameMismatch');
  });

  it('verifyPeer: false connects to any certificate (and no host check)', async () => {
    const { status, client } = await connectTo(
      // Signed by a CA this context does not trust, for another host.
      { key: certs.wrongHost.key, cert: certs.wrongHost.cert },
      new Context({ verifyPeer: false }),
    );
    expect(status).toBe('connected');
    client.close();
  });

  it("'protocolError' for a peer that does not speak TLS, no common version, no common ALPN", async () => {
    const { port } = await tcpServer((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    const notTls = new tls.Client(scheduler, local(port), trusting);
    expect(await notTls.connect({ timeout: 15_000 })).toBe('protocolError');
    expect(notTls.failure?.code).toBe('ERR_SSL_WRONG_VERSION_NUMBER');

    const version = await connectTo(
      { key: certs.server.key, cert: certs.server.cert, minVersion: 'TLSv1.3' },
      new Context({ ca: certs.ca.cert, maxVersion: 'TLSv1.2' }),
    );
    expect(version.status).toBe('protocolError');
    expect(version.clientErrors[0]).toMatchObject({ code: 'ERR_SSL_UNSUPPORTED_PROTOCOL' });

    const alpn = await connectTo(
      { key: certs.server.key, cert: certs.server.cert, ALPNProtocols: ['a'] },
      new Context({ ca: certs.ca.cert, alpn: ['b'] }),
    );
    expect(alpn.status).toBe('protocolError');
    expect(alpn.client.failure?.code).toBe('ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL');
  });

  it("'handshakeFailed' when the server refuses the handshake with an alert", async () => {
    const { status, client } = await connectTo(
      {
        key: certs.server.key,
        cert: certs.server.cert,
        maxVersion: 'TLSv1.2',
        ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256',
      },
      new Context({
        ca: certs.ca.cert,
        maxVersion: 'TLSv1.2',
        ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305',
      }),
    );
    expect(status).toBe('handshakeFailed');
    expect(client.failure?.code).toMatch(/^ERR_SSL_.*HANDSHAKE_FAILURE$/);
  });

  it("'unexpectedClose' when the peer closes during the handshake", async () => {
    const { port } = await tcpServer((s) => s.destroy());
    const client = new tls.Client(scheduler, local(port), trusting);
    expect(await client.connect({ timeout: 15_000 })).toBe('unexpectedClose');
    expect(client.failure?.code).toBe('ECONNRESET');
  });

  it("'refused' when nobody listens", async () => {
    const client = new tls.Client(scheduler, local(await closedPort()), trusting);
    expect(await client.connect({ timeout: 15_000 })).toBe('refused');
    expect(client.failure?.code).toBe('ECONNREFUSED');
  });

  it("'timeout' when the peer accepts TCP and never answers; the socket is gone after", async () => {
    const { sockets, port } = await tcpServer((s) => s.resume());
    const client = new tls.Client(scheduler, local(port), trusting);
    expect(await client.connect({ timeout: 50 })).toBe('timeout');
    expect(client.failure?.status).toBe('timeout');
    expect(client.socket).toBeUndefined();
    expect(scheduler._timerArmed).toBe(false);
    // The server side sees the close: nothing was left connected.
    for (let i = 0; i < 500 && sockets.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(sockets.size).toBe(0);
  });

  it("'timeout' at once for timeout 0; 'cancelled' for a stopped signal, before or during", async () => {
    const { port } = await tcpServer(() => {});
    const client = new tls.Client(scheduler, local(port), trusting);
    expect(await client.connect({ timeout: 0 })).toBe('timeout');
    const stopped = new StopSource();
    stopped.requestStop();
    expect(await client.connect({ signal: stopped.token })).toBe('cancelled');
    const controller = new AbortController();
    const pending = client.connect({ signal: controller.signal, timeout: Infinity });
    expect(() => client.connect()).toThrow(TlsBusyError);
    setTimeout(() => controller.abort(), 20);
    expect(await pending).toBe('cancelled');
    expect(client.failure?.status).toBe('cancelled');
    // Nothing left behind: no timer on the scheduler, no listener on the signal.
    expect(scheduler.isEmpty).toBe(true);
    expect(scheduler._timerArmed).toBe(false);
  });

  it("close(), reset() and dispose during a connect end it 'cancelled' at once, the socket gone", async () => {
    const { sockets, port } = await tcpServer((s) => s.resume()); // never answers the hello
    for (const end of ['close', 'reset', 'dispose'] as const) {
      const client = new tls.Client(scheduler, local(port), trusting);
      const pending = client.connect({ timeout: 15_000 });
      for (let i = 0; i < 500 && sockets.size === 0; i++)
        await new Promise((r) => setTimeout(r, 5));
      expect(sockets.size).toBe(1);
      const started = performance.now();
      if (end === 'close') client.close();
      else if (end === 'reset') client.reset();
      else await client[Symbol.asyncDispose]();
      expect(await pending).toBe('cancelled');
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(client.failure?.status).toBe('cancelled');
      expect(client.isConnected).toBe(false);
      expect(scheduler._timerArmed).toBe(false);
      for (let i = 0; i < 500 && sockets.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(sockets.size).toBe(0);
    }
  });

  it('dispose during a connect resolves once the socket is released', async () => {
    const { sockets, port } = await tcpServer((s) => s.resume()); // never answers the hello
    const client = new tls.Client(scheduler, local(port), trusting);
    const pending = client.connect({ timeout: 15_000 });
    for (let i = 0; i < 500 && sockets.size === 0; i++) await new Promise((r) => setTimeout(r, 5));
    const handles = () =>
      process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    const before = handles();
    await client[Symbol.asyncDispose]();
    // The client's own socket is released when dispose resolves (the server's side may linger).
    expect(handles()).toBeLessThan(before);
    expect(await pending).toBe('cancelled');
  });

  it("'invalidAddress' for an address no route leads to", async () => {
    const client = new tls.Client(scheduler, { address: '224.0.0.1', port: 443 }, trusting);
    const status = await client.connect({ timeout: 15_000 });
    expect(status).toBe('invalidAddress');
    expect(client.failure?.code).toMatch(/^E/);
  });

  it('connect() may be retried after a failure', async () => {
    const { port } = await nodeTlsServer({ key: certs.server.key, cert: certs.server.cert });
    const client = new tls.Client(scheduler, local(port), trusting);
    expect(await client.connect({ timeout: 0 })).toBe('timeout');
    expect(await client.connect({ timeout: 15_000 })).toBe('connected');
    expect(client.failure).toBeUndefined();
    client.close();
  });

  it('bad arguments throw at the call', () => {
    expect(() => new tls.Client({} as never, local(1))).toThrow(InvalidArgumentError);
    expect(() => new tls.Client(scheduler, { address: 'nope', port: 1 })).toThrow(
      InvalidAddressError,
    );
    expect(() => new tls.Client(scheduler, { address: '127.0.0.1', port: 70_000 })).toThrow(
      InvalidAddressError,
    );
    expect(() => new tls.Client(scheduler, local(1), {} as never)).toThrow(InvalidArgumentError);
    expect(() => new tls.Client(scheduler, local(1), trusting, { serverName: '' })).toThrow(
      InvalidArgumentError,
    );
    const client = new tls.Client(scheduler, local(1), trusting);
    for (const timeout of [-1, Number.NaN, '5']) {
      expect(() => client.connect({ timeout: timeout as number })).toThrow(InvalidArgumentError);
    }
  });
});

describe('describeTlsError', () => {
  it('maps codes to statuses and keeps the code', () => {
    const cases: [string | undefined, string][] = [
      ['CERT_HAS_EXPIRED', 'certificateExpired'],
      ['CERT_NOT_YET_VALID', 'certificateInvalid'],
      ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'certificateInvalid'],
      ['ERR_TLS_CERT_ALTNAME_INVALID', 'hostnameMismatch'],
      ['ECONNREFUSED', 'refused'],
      ['ECONNRESET', 'unexpectedClose'],
      ['ERR_TLS_HANDSHAKE_TIMEOUT', 'timeout'],
      ['ENETUNREACH', 'invalidAddress'],
      ['ERR_SSL_HTTP_REQUEST', 'protocolError'],
      ['ERR_SSL_NO_SHARED_CIPHER', 'handshakeFailed'],
      ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'handshakeFailed'],
      ['EMFILE', 'error'],
      [undefined, 'error'],
    ];
    for (const [code, status] of cases) {
      const error = Object.assign(new Error('x'), code === undefined ? {} : { code });
      const described = describeTlsError(error);
      expect(described.status, String(code)).toBe(status);
      expect(described.code).toBe(code);
      expect(described.error).toBe(error);
    }
    expect(describeTlsError('text').status).toBe('error');
  });
});
