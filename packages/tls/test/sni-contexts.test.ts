// tls.Server with sni contexts: each name gets its own context's mutual TLS and ALPN, and the
// options Node.js cannot switch per name (versions, ciphers) are refused when they differ.
import { X509Certificate } from 'node:crypto';
import { DEFAULT_CIPHERS, connect as nodeTlsConnect } from 'node:tls';
import { IoScheduler } from '@coro/io';
import { makeTestCertificates, type TestCertificates, type TestIdentity } from '@coro/test-certs';
import { InvalidArgumentError } from '@coro/task';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  Context,
  type ContextOptions,
  type HandshakeFailure,
  type TlsVersion,
  tls,
} from '../src/index.ts';

let certs: TestCertificates;
let api: TestIdentity;
let pub: TestIdentity;
const scheduler = new IoScheduler();
const cleanups: (() => void)[] = [];
beforeAll(() => {
  certs = makeTestCertificates();
  api = certs.issueServer(['api.localhost']);
  pub = certs.issueServer(['public.localhost']);
});
afterAll(() => certs.cleanup());
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

const versions: readonly TlsVersion[] = ['TLSv1.2', 'TLSv1.3'];

function serving(identity: TestIdentity, options: ContextOptions = {}): Context {
  return new Context({ cert: identity.cert, key: identity.key, ...options });
}

/** A coro server on 127.0.0.1 whose failures are collected; closed after the test. */
async function server(options: Partial<tls.ServerOptions>) {
  const failures: HandshakeFailure[] = [];
  const waiting: (() => void)[] = [];
  const s = new tls.Server(scheduler, {
    address: '127.0.0.1',
    onHandshakeFailure: (f) => {
      failures.push(f);
      for (const w of waiting.splice(0)) w();
    },
    ...options,
  });
  cleanups.push(() => s.close());
  expect((await s.ready()).kind).toBe('ok');
  let taken = 0;
  /** The next failure reported. */
  const nextFailure = async () => {
    while (failures.length <= taken) await new Promise<void>((resolve) => waiting.push(resolve));
    return failures[taken++]!;
  };
  return { server: s, failures, nextFailure };
}

interface Connecting {
  readonly serverName?: string | undefined;
  readonly identity?: TestIdentity | undefined;
  readonly maxVersion?: TlsVersion | undefined;
  readonly alpn?: readonly string[] | undefined;
  readonly ciphers?: string | undefined;
}

function client(port: number, how: Connecting) {
  const context = new Context({
    ca: certs.ca.cert,
    ...(how.identity === undefined ? {} : { cert: how.identity.cert, key: how.identity.key }),
    ...(how.maxVersion === undefined ? {} : { maxVersion: how.maxVersion }),
    ...(how.alpn === undefined ? {} : { alpn: how.alpn }),
    ...(how.ciphers === undefined ? {} : { ciphers: how.ciphers }),
  });
  const c = new tls.Client(
    scheduler,
    { address: '127.0.0.1', port },
    context,
    how.serverName === undefined ? {} : { serverName: how.serverName },
  );
  cleanups.push(() => c.close());
  return c;
}

/** A client the server must accept: both ends connected, the server's side returned. */
async function accepted(s: tls.Server, how: Connecting) {
  const c = client(s.port, how);
  const [status, next] = await Promise.all([
    c.connect({ timeout: 15_000 }),
    s.accept({ timeout: 15_000 }),
  ]);
  expect(status, JSON.stringify(how.serverName)).toBe('connected');
  if (!next.ok) throw new Error(`not accepted: ${next.error}`);
  cleanups.push(() => next.value.close());
  // The connection works: a byte goes through.
  expect((await c.writeAll(Buffer.from('x')))[0].isOk()).toBe(true);
  const [read] = await next.value.readExact(Buffer.alloc(1), { timeout: 15_000 });
  expect(read.kind).toBe('ok');
  return { client: c, served: next.value };
}

/**
 * A client the server must drop after the handshake (mutual TLS): returns the failure the
 * server reported. Under TLS 1.2 the client's connect fails; under TLS 1.3 its first read.
 */
async function dropped(
  s: tls.Server,
  nextFailure: () => Promise<HandshakeFailure>,
  how: Connecting,
) {
  const c = client(s.port, how);
  const status = await c.connect({ timeout: 15_000 });
  const failure = await nextFailure();
  if (status === 'connected') {
    const [read] = await c.readSome(Buffer.alloc(8), { timeout: 15_000 });
    expect(read.kind).not.toBe('ok');
    expect(read.kind).not.toBe('timeout');
  }
  expect((await s.accept({ timeout: 0 })).ok).toBe(false);
  return failure;
}

describe('sni contexts: mutual TLS by the context that serves the name', () => {
  for (const maxVersion of versions) {
    it(`${maxVersion}: an sni context with verifyPeer asks its clients for a certificate; the public default does not`, async () => {
      const {
        server: s,
        failures,
        nextFailure,
      } = await server({
        context: serving(certs.server),
        sni: { 'api.localhost': serving(api, { ca: certs.ca.cert, verifyPeer: true }) },
      });
      const serverName = 'api.localhost';

      const none = await dropped(s, nextFailure, { serverName, maxVersion });
      expect([none.status, none.code, none.serverName]).toEqual([
        'certificateInvalid',
        'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE',
        serverName,
      ]);
      const wrongCa = await dropped(s, nextFailure, {
        serverName,
        maxVersion,
        identity: certs.untrustedClient,
      });
      expect([wrongCa.status, wrongCa.code]).toEqual([
        'certificateInvalid',
        'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      ]);

      const right = await accepted(s, { serverName, maxVersion, identity: certs.client });
      expect(right.served.serverName).toBe(serverName);
      expect(right.served.peerCertificate?.subject).toBe('CN=coro test client');
      expect(right.served.socket?.authorized).toBe(true);
      expect(right.client.peerCertificate?.subject).toBe('CN=api.localhost');

      // The default context (no SNI name, or one sni does not list) asks for nothing.
      for (const name of [undefined, 'localhost']) {
        const anonymous = await accepted(s, { serverName: name, maxVersion });
        expect(anonymous.served.peerCertificate).toBeUndefined();
        expect(anonymous.client.peerCertificate?.subject).toBe('CN=localhost');
      }
      expect(failures).toHaveLength(2);
      expect(s.failedHandshakes).toBe(2);
    });
  }

  it('a name with a trailing dot is the same name: it gets that context (mutual TLS too)', async () => {
    const { server: s, nextFailure } = await server({
      context: serving(certs.server),
      sni: { 'api.localhost': serving(api, { ca: certs.ca.cert, verifyPeer: true }) },
    });
    // Before, 'api.localhost.' matched no key and got the public default, without mutual TLS.
    const none = await dropped(s, nextFailure, { serverName: 'api.localhost.' });
    expect([none.status, none.code]).toEqual([
      'certificateInvalid',
      'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE',
    ]);
    const right = await accepted(s, { serverName: 'api.localhost.', identity: certs.client });
    expect(right.served.peerCertificate?.subject).toBe('CN=coro test client');
  });

  it('refuses sni keys that name one host twice (they differ in case or a trailing dot)', () => {
    const mutual = serving(api, { ca: certs.ca.cert, verifyPeer: true });
    const open = serving(api);
    for (const sni of [
      { 'api.localhost': mutual, 'API.localhost': open },
      { 'api.localhost': mutual, 'api.localhost.': open },
    ]) {
      // Before, the last key silently won: the name lost its mutual TLS.
      expect(() => new tls.Server(scheduler, { context: serving(certs.server), sni })).toThrow(
        /twice/,
      );
    }
  });

  it('an sni-only server whose context has verifyPeer drops a client without a certificate', async () => {
    const { server: s, nextFailure } = await server({
      sni: { 'api.localhost': serving(api, { ca: certs.ca.cert, verifyPeer: true }) },
    });
    for (const maxVersion of versions) {
      const none = await dropped(s, nextFailure, { serverName: 'api.localhost', maxVersion });
      expect([none.status, none.code]).toEqual([
        'certificateInvalid',
        'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE',
      ]);
      const right = await accepted(s, {
        serverName: 'API.localhost',
        maxVersion,
        identity: certs.client,
      });
      expect(right.served.peerCertificate?.subject).toBe('CN=coro test client');
    }
  });

  it("the client's certificate is verified against the CA store of the context that serves its name", async () => {
    // The default trusts only otherCa, the sni context only ca: each accepts the client the
    // other refuses, so OpenSSL verified against the store of the context SNI selected.
    const { server: s, nextFailure } = await server({
      context: serving(certs.server, { ca: certs.otherCa.cert, verifyPeer: true }),
      sni: { 'api.localhost': serving(api, { ca: certs.ca.cert, verifyPeer: true }) },
    });
    for (const maxVersion of versions) {
      const viaApi = await accepted(s, {
        serverName: 'api.localhost',
        maxVersion,
        identity: certs.client,
      });
      expect(viaApi.served.peerCertificate?.subject).toBe('CN=coro test client');
      const viaDefault = await accepted(s, {
        serverName: 'localhost',
        maxVersion,
        identity: certs.untrustedClient,
      });
      expect(viaDefault.served.peerCertificate?.issuer).toBe(
        new X509Certificate(certs.otherCa.cert).subject,
      );
      const refusedByApi = await dropped(s, nextFailure, {
        serverName: 'api.localhost',
        maxVersion,
        identity: certs.untrustedClient,
      });
      expect([refusedByApi.code, refusedByApi.serverName]).toEqual([
        'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
        'api.localhost',
      ]);
      const refusedByDefault = await dropped(s, nextFailure, {
        serverName: 'localhost',
        maxVersion,
        identity: certs.client,
      });
      // (This client trusts ca, so OpenSSL sends ca's self-signed root along with its
      // certificate: the default, trusting only otherCa, finds a root it does not know.)
      expect([refusedByDefault.status, refusedByDefault.code]).toEqual([
        'certificateInvalid',
        'SELF_SIGNED_CERT_IN_CHAIN',
      ]);
    }
  });

  for (const maxVersion of versions) {
    it(`${maxVersion}: a default context with verifyPeer leaves an sni name without it public`, async () => {
      const { server: s, nextFailure } = await server({
        context: serving(certs.server, { ca: certs.ca.cert, verifyPeer: true }),
        // This context trusts ca too: a certificate the client sends anyway would verify, and
        // is still not taken for an identity, since this name asked for none.
        sni: { 'public.localhost': serving(pub, { ca: certs.ca.cert }) },
      });
      const serverName = 'public.localhost';
      for (const identity of [undefined, certs.client, certs.untrustedClient]) {
        const { served, client: c } = await accepted(s, { serverName, maxVersion, identity });
        expect(served.serverName).toBe(serverName);
        expect(c.peerCertificate?.subject).toBe('CN=public.localhost');
        // Nothing claims the client was verified: this name did not ask for a certificate.
        expect(served.peerCertificate).toBeUndefined();
        expect(served.socket?.authorized).toBe(false);
      }
      const none = await dropped(s, nextFailure, { serverName: 'localhost', maxVersion });
      expect([none.status, none.code, none.serverName]).toEqual([
        'certificateInvalid',
        'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE',
        'localhost',
      ]);
      const byIp = await dropped(s, nextFailure, { maxVersion });
      expect(byIp.code).toBe('ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE');
      const right = await accepted(s, {
        serverName: 'localhost',
        maxVersion,
        identity: certs.client,
      });
      expect(right.served.peerCertificate?.subject).toBe('CN=coro test client');
    });
  }

  it('a session from a name with mutual TLS does not resume on a name that verifies otherwise', async () => {
    // A resumed session keeps the verification result of the connection that made it: taken
    // to another name, it would pass a certificate that name's CA store does not trust.
    const { server: s, nextFailure } = await server({
      context: serving(certs.server, { ca: certs.otherCa.cert, verifyPeer: true }),
      sni: { 'api.localhost': serving(api, { ca: certs.ca.cert, verifyPeer: true }) },
    });
    for (const maxVersion of versions) {
      let session: Buffer | undefined;
      const first = nodeTlsConnect({
        host: '127.0.0.1',
        port: s.port,
        servername: 'api.localhost',
        ca: certs.ca.cert,
        cert: certs.client.cert,
        key: certs.client.key,
        maxVersion,
      });
      first.on('session', (data: Buffer) => {
        session = data;
      });
      first.on('error', () => {});
      cleanups.push(() => first.destroy());
      const served = await s.accept({ timeout: 15_000 });
      if (!served.ok) throw new Error('not accepted');
      cleanups.push(() => served.value.close());
      await served.value.writeAll(Buffer.from('x'));
      await new Promise<void>((resolve) => first.once('data', () => resolve()));
      first.end();
      const again = nodeTlsConnect({
        host: '127.0.0.1',
        port: s.port,
        servername: 'localhost',
        ca: certs.ca.cert,
        cert: certs.client.cert,
        key: certs.client.key,
        maxVersion,
        ...(session === undefined ? {} : { session }),
      });
      let reused: boolean | undefined;
      again.on('secureConnect', () => {
        reused = again.isSessionReused();
      });
      again.on('error', () => {});
      cleanups.push(() => again.destroy());
      const refused = await nextFailure();
      expect([refused.serverName, refused.status], maxVersion).toEqual([
        'localhost',
        'certificateInvalid',
      ]);
      expect(reused ?? false).toBe(false);
      expect((await s.accept({ timeout: 0 })).ok).toBe(false);
    }
  });
});

describe('sni contexts: ALPN by the context that serves the name', () => {
  it("each name negotiates from its own context's list, in the server's order", async () => {
    const { server: s, nextFailure } = await server({
      context: serving(certs.server, { alpn: ['http/1.1'] }),
      sni: {
        'api.localhost': serving(api, { alpn: ['h2', 'http/1.1'] }),
        'public.localhost': serving(pub, { alpn: ['coro/1'] }),
      },
    });
    const offer = ['http/1.1', 'coro/1', 'h2'];
    const cases = [
      ['api.localhost', 'h2'],
      ['public.localhost', 'coro/1'],
      ['localhost', 'http/1.1'],
      [undefined, 'http/1.1'],
    ] as const;
    for (const [serverName, expected] of cases) {
      const { client: c, served } = await accepted(s, { serverName, alpn: offer });
      expect([c.alpnProtocol, served.alpnProtocol], serverName).toEqual([expected, expected]);
    }
    // A client offering ALPN gets none only when it offers nothing the name's context takes:
    // the handshake fails, as it does without sni.
    const refused = client(s.port, { serverName: 'api.localhost', alpn: ['coro/1'] });
    expect(await refused.connect({ timeout: 15_000 })).toBe('protocolError');
    expect(refused.failure?.code).toBe('ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL');
    expect((await nextFailure()).status).toBe('protocolError');
    // A client that offers no ALPN is served without.
    const plain = await accepted(s, { serverName: 'api.localhost' });
    expect(plain.client.alpnProtocol).toBeUndefined();
    // A node:tls client sees the same.
    const node = nodeTlsConnect({
      host: '127.0.0.1',
      port: s.port,
      servername: 'public.localhost',
      ca: certs.ca.cert,
      ALPNProtocols: ['h2', 'coro/1'],
    });
    node.on('error', () => {});
    cleanups.push(() => node.destroy());
    await new Promise<void>((resolve) => node.once('secureConnect', resolve));
    expect(node.alpnProtocol).toBe('coro/1');
    expect((await s.accept({ timeout: 15_000 })).ok).toBe(true);
  });

  it('without a default context, a client sending no SNI name is still contextRequired', async () => {
    const { server: s, nextFailure } = await server({
      sni: {
        'api.localhost': serving(api, { alpn: ['h2'] }),
        'public.localhost': serving(pub, { alpn: ['coro/1'] }),
      },
    });
    // Under TLS 1.3 Node.js asks for the ALPN protocol before it finds no certificate: with no
    // context to take a list from, ALPN must not fail the handshake with a reason of its own.
    for (const maxVersion of versions) {
      for (const alpn of [['h2', 'coro/1'], ['coro/1'], ['x']]) {
        const c = client(s.port, { alpn, maxVersion });
        expect(await c.connect({ timeout: 15_000 })).not.toBe('connected');
        const failure = await nextFailure();
        expect([failure.status, failure.code], `${maxVersion} ${alpn}`).toEqual([
          'contextRequired',
          'ERR_CORO_TLS_CONTEXT_REQUIRED',
        ]);
      }
    }
    const known = await accepted(s, { serverName: 'public.localhost', alpn: ['h2', 'coro/1'] });
    expect(known.client.alpnProtocol).toBe('coro/1');
  });
});

describe('sni contexts: what Node.js cannot switch by name is refused', () => {
  const sockets = () => process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP'));

  it('refuses an sni context whose minVersion, maxVersion or ciphers differ from the main context', () => {
    const before = sockets().length;
    const cases: [Partial<tls.ServerOptions>, RegExp][] = [
      [
        {
          context: serving(certs.server),
          sni: { 'api.localhost': serving(api, { minVersion: 'TLSv1.3' }) },
        },
        /sni "api\.localhost": its context's minVersion \(TLSv1\.3\) differs from .*TLSv1\.2/,
      ],
      [
        {
          context: serving(certs.server),
          sni: { 'api.localhost': serving(api, { maxVersion: 'TLSv1.2' }) },
        },
        /sni "api\.localhost": its context's maxVersion/,
      ],
      [
        {
          context: serving(certs.server, { ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }),
          sni: { 'api.localhost': serving(api) },
        },
        /sni "api\.localhost": its context's ciphers/,
      ],
      [
        {
          context: serving(certs.server),
          sni: { 'api.localhost': serving(api, { ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384' }) },
        },
        /sni "api\.localhost": its context's ciphers/,
      ],
      [
        // Without a default, the first sni context is the main one.
        {
          sni: {
            'api.localhost': serving(api, { minVersion: 'TLSv1.3' }),
            'public.localhost': serving(pub),
          },
        },
        /sni "public\.localhost": its context's minVersion \(TLSv1\.2\) differs from the first sni context's \(TLSv1\.3\)/,
      ],
    ];
    for (const [options, message] of cases) {
      const make = () => new tls.Server(scheduler, { address: '127.0.0.1', ...options });
      expect(make).toThrow(InvalidArgumentError);
      expect(make).toThrow(message);
      // Why, too: the connection has them before the client's name is known.
      expect(make).toThrow(/before the client's SNI name is known/);
    }
    expect(sockets()).toHaveLength(before);
  });

  it('refuses ALPN lists on some contexts and none on others', () => {
    const cases: [Partial<tls.ServerOptions>, RegExp][] = [
      [
        {
          context: serving(certs.server, { alpn: ['h2'] }),
          sni: { 'api.localhost': serving(api) },
        },
        /sni "api\.localhost"'s context has no alpn list, while the default context has one \(h2\)/,
      ],
      [
        {
          context: serving(certs.server),
          sni: { 'api.localhost': serving(api, { alpn: ['h2'] }) },
        },
        /the default context has no alpn list, while sni "api\.localhost"'s context has one/,
      ],
      [
        {
          sni: {
            'api.localhost': serving(api, { alpn: ['h2'] }),
            'public.localhost': serving(pub),
          },
        },
        /sni "public\.localhost"'s context has no alpn list, while sni "api\.localhost"'s/,
      ],
    ];
    for (const [options, message] of cases) {
      const make = () => new tls.Server(scheduler, { address: '127.0.0.1', ...options });
      expect(make).toThrow(InvalidArgumentError);
      expect(make).toThrow(message);
      expect(make).toThrow(/cannot turn ALPN off for one name/);
    }
    // Lists that differ are fine (chosen by name); so are contexts that all have none.
    for (const alpn of [['h2'], undefined]) {
      const other = alpn === undefined ? undefined : ['coro/1'];
      new tls.Server(scheduler, {
        address: '127.0.0.1',
        context: serving(certs.server, alpn === undefined ? {} : { alpn }),
        sni: { 'api.localhost': serving(api, other === undefined ? {} : { alpn: other }) },
      }).close();
    }
  });

  it('takes sni contexts whose versions, ciphers and ALPN equal the main context', async () => {
    const same = { minVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256', alpn: ['h2'] };
    const { server: s } = await server({
      context: serving(certs.server, same as ContextOptions),
      sni: { 'api.localhost': serving(api, same as ContextOptions) },
    });
    const c = await accepted(s, {
      serverName: 'api.localhost',
      alpn: ['h2'],
      maxVersion: 'TLSv1.2',
    });
    expect([c.client.alpnProtocol, c.client.cipher?.name]).toEqual([
      'h2',
      'ECDHE-ECDSA-AES128-GCM-SHA256',
    ]);
  });

  it('takes cipher lists that OpenSSL reads as the same list, however they are written', () => {
    const list = 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384';
    for (const written of [
      'ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES256-GCM-SHA384',
      'ECDHE-ECDSA-AES128-GCM-SHA256,ECDHE-ECDSA-AES256-GCM-SHA384',
      `${list}:`,
    ]) {
      // Before, refused as differing ciphers.
      const s = new tls.Server(scheduler, {
        context: serving(certs.server, { ciphers: list }),
        sni: { 'api.localhost': serving(api, { ciphers: written }) },
      });
      s.close();
    }
    // Unset is Node.js's default list.
    new tls.Server(scheduler, {
      context: serving(certs.server),
      sni: { 'api.localhost': serving(api, { ciphers: DEFAULT_CIPHERS }) },
    }).close();
    // A list that really differs is still refused.
    expect(
      () =>
        new tls.Server(scheduler, {
          context: serving(certs.server, { ciphers: list }),
          sni: { 'api.localhost': serving(api, { ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }) },
        }),
    ).toThrow(/ciphers/);
  });

  it("an sni-only server connects with its context's versions and ciphers", async () => {
    const { server: s, nextFailure } = await server({
      sni: { 'api.localhost': serving(api, { minVersion: 'TLSv1.3' }) },
    });
    const old = client(s.port, { serverName: 'api.localhost', maxVersion: 'TLSv1.2' });
    expect(await old.connect({ timeout: 15_000 })).toBe('protocolError');
    expect((await nextFailure()).status).toBe('protocolError');
    const modern = await accepted(s, { serverName: 'api.localhost' });
    expect(modern.client.protocol).toBe('TLSv1.3');

    const { server: s12, nextFailure: next12 } = await server({
      sni: {
        'api.localhost': serving(api, {
          maxVersion: 'TLSv1.2',
          ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384',
        }),
      },
    });
    const aes128 = client(s12.port, {
      serverName: 'api.localhost',
      maxVersion: 'TLSv1.2',
      ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256',
    });
    expect(await aes128.connect({ timeout: 15_000 })).not.toBe('connected');
    expect((await next12()).code).toBe('ERR_SSL_NO_SHARED_CIPHER');
    const any = await accepted(s12, { serverName: 'api.localhost' });
    expect([any.client.protocol, any.client.cipher?.name]).toEqual([
      'TLSv1.2',
      'ECDHE-ECDSA-AES256-GCM-SHA384',
    ]);
  });
});
