// Mutual TLS: the server asks for a client certificate; each failure is a status on both sides.
import { IoScheduler } from '@coro/io';
import { makeTestCertificates, type TestCertificates, type TestIdentity } from '@coro/test-certs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Context, type HandshakeFailure, type TlsVersion, tls } from '../src/index.ts';

let certs: TestCertificates;
const scheduler = new IoScheduler();
const cleanups: (() => void)[] = [];
beforeAll(() => {
  certs = makeTestCertificates();
});
afterAll(() => certs.cleanup());
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

async function mutualServer() {
  const failures: HandshakeFailure[] = [];
  let wake: (() => void) | undefined;
  const server = new tls.Server(scheduler, {
    address: '127.0.0.1',
    context: new Context({
      cert: certs.server.cert,
      key: certs.server.key,
      ca: certs.ca.cert,
      verifyPeer: true,
    }),
    onHandshakeFailure: (f) => {
      failures.push(f);
      wake?.();
    },
  });
  cleanups.push(() => server.close());
  await server.ready();
  const nextFailure = async () => {
    while (failures.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return failures.shift()!;
  };
  return { server, nextFailure };
}

function clientWith(port: number, identity: TestIdentity | undefined, maxVersion: TlsVersion) {
  const context = new Context({
    ca: certs.ca.cert,
    maxVersion,
    ...(identity === undefined ? {} : { cert: identity.cert, key: identity.key }),
  });
  const client = new tls.Client(scheduler, { address: '127.0.0.1', port }, context);
  cleanups.push(() => client.close());
  return client;
}

describe('mutual TLS', () => {
  it('a client with a certificate from the trusted CA is accepted; both sides see the other', async () => {
    const { server } = await mutualServer();
    const client = clientWith(server.port, certs.client, 'TLSv1.3');
    const [status, accepted] = await Promise.all([
      client.connect({ timeout: 15_000 }),
      server.accept({ timeout: 15_000 }),
    ]);
    expect(status).toBe('connected');
    if (!accepted.ok) throw new Error('not accepted');
    cleanups.push(() => accepted.value.close());
    expect(accepted.value.peerCertificate?.subject).toBe('CN=coro test client');
    expect(client.peerCertificate?.subject).toBe('CN=localhost');
    await client.writeAll(Buffer.from('mtls'));
    const [read, view] = await accepted.value.readExact(Buffer.alloc(4), { timeout: 15_000 });
    expect([read.kind, Buffer.from(view).toString()]).toEqual(['ok', 'mtls']);
  });

  const refusals = [
    [
      'no certificate',
      undefined,
      'certificateInvalid',
      'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE',
    ],
    [
      'an untrusted certificate',
      'untrustedClient',
      'certificateInvalid',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    ],
    ['an expired certificate', 'expired', 'certificateExpired', 'CERT_HAS_EXPIRED'],
  ] as const;

  for (const [what, identityName, serverStatus, code] of refusals) {
    it(`TLS 1.2, ${what}: the server reports ${serverStatus}, the client's connect fails`, async () => {
      const { server, nextFailure } = await mutualServer();
      const identity = identityName === undefined ? undefined : certs[identityName];
      const client = clientWith(server.port, identity, 'TLSv1.2');
      const status = await client.connect({ timeout: 15_000 });
      expect(status).not.toBe('connected');
      expect(client.failure).toBeDefined();
      const failure = await nextFailure();
      expect(failure.status).toBe(serverStatus);
      expect(failure.code).toBe(code);
      expect(server.pending).toBe(0);
    });

    it(`TLS 1.3, ${what}: the server reports ${serverStatus}, the client's first read fails`, async () => {
      // In TLS 1.3 the client completes its handshake before the server has checked the
      // client's certificate, so the refusal reaches the client as the end of the connection.
      const { server, nextFailure } = await mutualServer();
      const identity = identityName === undefined ? undefined : certs[identityName];
      const client = clientWith(server.port, identity, 'TLSv1.3');
      const status = await client.connect({ timeout: 15_000 });
      const failure = await nextFailure();
      expect(failure.status).toBe(serverStatus);
      expect(failure.code).toBe(code);
      if (status === 'connected') {
        const [read] = await client.readSome(Buffer.alloc(8), { timeout: 15_000 });
        expect(read.kind).not.toBe('ok');
        expect(read.kind).not.toBe('timeout');
      }
      const accepted = await server.accept({ timeout: 0 });
      expect(accepted.ok).toBe(false);
    });
  }
});
