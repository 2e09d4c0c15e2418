// tls.Server: accept yields only handshaken clients; failures are reported and never stall it.
import { once } from 'node:events';
import { Socket as NetSocket, type Socket, connect as tcpConnect } from 'node:net';
import { connect as nodeTlsConnect } from 'node:tls';
import { IoScheduler } from '@coro/io';
import { InvalidAddressError } from '@coro/net';
import { makeTestCertificates, type TestCertificates } from '@coro/test-certs';
import { InvalidArgumentError, StopSource } from '@coro/task';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Context, type HandshakeFailure, tls } from '../src/index.ts';
import { closeAll } from './utils/peers.ts';

let certs: TestCertificates;
let serverContext: Context;
let trusting: Context;
const scheduler = new IoScheduler();
const cleanups: (() => void)[] = [];
beforeAll(() => {
  certs = makeTestCertificates();
  serverContext = new Context({ cert: certs.server.cert, key: certs.server.key });
  trusting = new Context({ ca: certs.ca.cert });
});
afterAll(() => certs.cleanup());
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
  closeAll();
});

/** A coro server on 127.0.0.1 whose failures are collected; shut down after the test. */
async function server(options: Partial<tls.ServerOptions> = {}) {
  const failures: HandshakeFailure[] = [];
  const waiting: (() => void)[] = [];
  const s = new tls.Server(scheduler, {
    address: '127.0.0.1',
    context: serverContext,
    onHandshakeFailure: (f) => {
      failures.push(f);
      for (const w of waiting.splice(0)) w();
    },
    ...options,
  });
  cleanups.push(() => s.close());
  expect((await s.ready()).kind).toBe('ok');
  /** Waits until `n` failures were reported. */
  const failed = async (n: number) => {
    while (failures.length < n) await new Promise<void>((resolve) => waiting.push(resolve));
    return failures;
  };
  return { server: s, failures, failed, endpoint: { address: '127.0.0.1', port: s.port } };
}

function rawConnect(port: number): Promise<Socket> {
  const socket = tcpConnect(port, '127.0.0.1');
  socket.on('error', () => {});
  cleanups.push(() => socket.destroy());
  return once(socket, 'connect').then(() => socket);
}

async function coroClient(endpoint: { address: string; port: number }, context = trusting) {
  const client = new tls.Client(scheduler, endpoint, context);
  cleanups.push(() => client.close());
  return { client, status: await client.connect({ timeout: 15_000 }) };
}

const noop = (): void => {};

describe('tls.Server', () => {
  it('accepts a handshaken client and echoes through the tcp surface', async () => {
    const { server: s, endpoint } = await server();
    const connecting = coroClient(endpoint);
    const accepted = await s.accept({ timeout: 15_000 });
    expect(accepted.ok).toBe(true);
    if (!accepted.ok) return;
    const peer = accepted.value;
    cleanups.push(() => peer.close());
    expect(peer.protocol).toBe('TLSv1.3');
    expect(peer.peerCertificate).toBeUndefined();
    const { client, status } = await connecting;
    expect(status).toBe('connected');
    expect((await client.writeAll(Buffer.from('hello')))[0].kind).toBe('ok');
    const [read, view] = await peer.readExact(Buffer.alloc(5), { timeout: 15_000 });
    expect(read.kind).toBe('ok');
    expect(Buffer.from(view).toString()).toBe('hello');
    expect(s.handshakes).toBe(1);
  });

  it('drops a client that is not TLS, reporting protocolError, and goes on accepting', async () => {
    const { server: s, failed, endpoint } = await server();
    const raw = await rawConnect(endpoint.port);
    raw.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const [failure] = await failed(1);
    expect(failure!.status).toBe('protocolError');
    expect(failure!.code).toBe('ERR_SSL_HTTP_REQUEST');
    expect(failure!.peerAddress?.ip.toString()).toBe('127.0.0.1');
    expect(s.failedHandshakes).toBe(1);
    const connecting = coroClient(endpoint);
    expect((await s.accept({ timeout: 15_000 })).ok).toBe(true);
    expect((await connecting).status).toBe('connected');
  });

  it('a silent client times out (status timeout) while other clients are accepted', async () => {
    const { server: s, failed, failures, endpoint } = await server({ handshakeTimeout: 200 });
    const silent = await rawConnect(endpoint.port);
    const closed = once(silent, 'close');
    // Handshakes while the silent client waits: none of them is held up by it.
    for (let i = 0; i < 3; i++) {
      const connecting = coroClient(endpoint);
      const accepted = await s.accept({ timeout: 15_000 });
      expect(accepted.ok).toBe(true);
      expect((await connecting).status).toBe('connected');
    }
    const [failure] = await failed(1);
    expect(failure!.status).toBe('timeout');
    expect(failure!.code).toBe('ERR_TLS_HANDSHAKE_TIMEOUT');
    await closed; // the server closed the silent client's connection
    expect(failures).toHaveLength(1);
  });

  it('reports a client that gives up mid-handshake as unexpectedClose', async () => {
    const { failed, endpoint } = await server();
    const raw = await rawConnect(endpoint.port);
    // The start of a ClientHello record, then a reset.
    raw.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
    await new Promise((resolve) => setImmediate(resolve));
    const port = raw.localPort;
    raw.resetAndDestroy();
    const [failure] = await failed(1);
    expect(failure!.status).toBe('unexpectedClose');
    expect(failure!.peerAddress?.toString()).toBe(`127.0.0.1:${port}`);
  });

  it('a client that refuses our certificate and leaves is reported at once, not at the deadline', async () => {
    // Its FIN arrives mid-handshake; with the deadline at 10 minutes, only that FIN can end it.
    const { failed, endpoint } = await server({ handshakeTimeout: 600_000 });
    const refusing = new tls.Client(scheduler, endpoint, new Context());
    expect(await refusing.connect({ timeout: 15_000 })).toBe('certificateInvalid');
    const [failure] = await failed(1);
    expect(failure!.status).toBe('unexpectedClose');
    // Reported with the peer's address although its socket is gone by then.
    expect(failure!.peerAddress?.ip.toString()).toBe('127.0.0.1');
    expect(failure!.peerAddress?.port).toBeGreaterThan(0);
  });

  it('serves several names by SNI, wildcards too, and the default context for the rest', async () => {
    const other = new Context({ cert: certs.other.cert, key: certs.other.key });
    const { server: s, endpoint } = await server({
      sni: { 'other.localhost': other, '*.wild.test': other },
    });
    const subjects: string[] = [];
    for (const serverName of ['other.localhost', 'OTHER.localhost', 'localhost', undefined]) {
      const client = new tls.Client(
        scheduler,
        endpoint,
        trusting,
        serverName === undefined ? {} : { serverName },
      );
      cleanups.push(() => client.close());
      expect(await client.connect({ timeout: 15_000 }), serverName).toBe('connected');
      subjects.push(client.peerCertificate!.subject);
      const accepted = await s.accept({ timeout: 15_000 });
      expect(accepted.ok).toBe(true);
    }
    expect(subjects).toEqual([
      'CN=other.localhost',
      'CN=other.localhost',
      'CN=localhost',
      'CN=localhost',
    ]);
    // The wildcard serves the other certificate; its name does not match, which the client sees.
    const wild = new tls.Client(scheduler, endpoint, trusting, { serverName: 'a.wild.test' });
    expect(await wild.connect({ timeout: 15_000 })).toBe('hostnameMismatch');
    expect(wild.failure?.message).toMatch(/other\.localhost/);
  });

  it('a TLS 1.2 client that resumes its session still gets its SNI name and context', async () => {
    // Node.js reports no servername for a resumed TLS 1.2 session (nor does it ask SNICallback):
    // a resumed client was accepted as if it had sent no name, with the default context.
    const other = new Context({ cert: certs.other.cert, key: certs.other.key });
    const { server: s, endpoint } = await server({ sni: { 'other.localhost': other } });
    let session: Buffer | undefined;
    for (let i = 0; i < 3; i++) {
      const socket = nodeTlsConnect({
        host: '127.0.0.1',
        port: endpoint.port,
        servername: 'other.localhost',
        ca: certs.ca.cert,
        maxVersion: 'TLSv1.2',
        ...(session === undefined ? {} : { session }),
      });
      socket.on('session', (data: Buffer) => {
        session = data;
      });
      socket.on('error', () => {});
      cleanups.push(() => socket.destroy());
      await once(socket, 'secureConnect');
      const accepted = await s.accept({ timeout: 15_000 });
      if (!accepted.ok) throw new Error(`accept failed: ${accepted.error}`);
      const client = accepted.value;
      cleanups.push(() => client.close());
      expect(client.serverName, `connection ${i}`).toBe('other.localhost');
      expect(client.context, `connection ${i}`).toBe(other);
      await client.writeAll(Buffer.from('x'));
      await once(socket, 'data');
      socket.destroy();
    }
  });

  it("README's SNI example: the wildcard's certificate verifies on node:tls and coro clients", async () => {
    // The names of the README's example, with certificates made for exactly those names.
    const domain = 'example.com';
    const api = certs.issueServer([`api.${domain}`]);
    const wildcard = certs.issueServer([`*.${domain}`]);
    const {
      server: s,
      failures,
      endpoint,
    } = await server({
      sni: {
        [`api.${domain}`]: new Context({ cert: api.cert, key: api.key }),
        [`*.${domain}`]: new Context({ cert: wildcard.cert, key: wildcard.key }),
      },
    });
    const served: [string | undefined, string, string | undefined][] = [];
    for (const serverName of [`a.${domain}`, `api.${domain}`, undefined]) {
      const client = new tls.Client(
        scheduler,
        endpoint,
        trusting,
        serverName === undefined ? {} : { serverName },
      );
      cleanups.push(() => client.close());
      expect(
        await client.connect({ timeout: 15_000 }),
        `${serverName}: ${client.failure?.message}`,
      ).toBe('connected');
      const accepted = await s.accept({ timeout: 15_000 });
      expect(accepted.ok).toBe(true);
      if (!accepted.ok) return;
      cleanups.push(() => accepted.value.close());
      served.push([serverName, client.peerCertificate!.subject, accepted.value.serverName]);
    }
    expect(served).toEqual([
      [`a.${domain}`, `CN=*.${domain}`, `a.${domain}`],
      [`api.${domain}`, `CN=api.${domain}`, `api.${domain}`],
      [undefined, 'CN=localhost', undefined],
    ]);
    // node:tls's own check (tls.checkServerIdentity) accepts the wildcard certificate too.
    const node = nodeTlsConnect({
      host: '127.0.0.1',
      port: endpoint.port,
      ca: certs.ca.cert,
      servername: `b.${domain}`,
    });
    cleanups.push(() => node.destroy());
    const outcome = await new Promise<string>((resolve) => {
      node.once('secureConnect', () => resolve(`authorized ${node.authorized}`));
      node.once('error', (error) => resolve(`error ${(error as { code?: string }).code}`));
    });
    expect(outcome).toBe('authorized true');
    expect(node.getPeerX509Certificate()?.subject).toBe(`CN=*.${domain}`);
    expect(failures).toEqual([]);
  });

  it("an sni key '*.' + one label routes; the certificate decides whether the client accepts", async () => {
    // Routing by '*.localhost' is fine when the certificate names the host itself; a
    // certificate for '*.test' is one that node:tls (like browsers) never accepts.
    const twoLabels = certs.issueServer(['*.test']);
    const { server: s, endpoint } = await server({
      sni: {
        '*.localhost': new Context({ cert: certs.other.cert, key: certs.other.key }),
        '*.test': new Context({ cert: twoLabels.cert, key: twoLabels.key }),
      },
    });
    const routed = new tls.Client(scheduler, endpoint, trusting, { serverName: 'other.localhost' });
    cleanups.push(() => routed.close());
    expect(await routed.connect({ timeout: 15_000 })).toBe('connected');
    expect(routed.peerCertificate?.subject).toBe('CN=other.localhost');
    expect((await s.accept({ timeout: 15_000 })).ok).toBe(true);
    const refused = new tls.Client(scheduler, endpoint, trusting, { serverName: 'a.test' });
    cleanups.push(() => refused.close());
    expect(await refused.connect({ timeout: 15_000 })).toBe('hostnameMismatch');
    expect(refused.failure?.message).toMatch(/DNS:\*\.test/);
  });

  it('drops with contextRequired a name no context serves when there is no default', async () => {
    const other = new Context({ cert: certs.other.cert, key: certs.other.key });
    const {
      server: s,
      failed,
      endpoint,
    } = await server({ context: undefined, sni: { 'other.localhost': other } });
    const stranger = new tls.Client(scheduler, endpoint, trusting, { serverName: 'nobody.test' });
    expect(await stranger.connect({ timeout: 15_000 })).not.toBe('connected');
    const anonymous = new tls.Client(scheduler, endpoint, trusting);
    expect(await anonymous.connect({ timeout: 15_000 })).not.toBe('connected');
    const failures = await failed(2);
    expect(failures.map((f) => f.status)).toEqual(['contextRequired', 'contextRequired']);
    expect(failures[0]!.serverName).toBe('nobody.test');
    const known = new tls.Client(scheduler, endpoint, trusting, { serverName: 'other.localhost' });
    expect(await known.connect({ timeout: 15_000 })).toBe('connected');
    // Accepted before it closes: a TLS 1.3 client is done before the server is.
    expect((await s.accept({ timeout: 15_000 })).ok).toBe(true);
    known.close();
  });

  it('reports ERR_CORO_TLS_CONTEXT_REQUIRED, not OpenSSL, for a client without SNI and no default', async () => {
    const other = new Context({ cert: certs.other.cert, key: certs.other.key });
    const { failed, endpoint } = await server({
      context: undefined,
      sni: { 'other.localhost': other },
    });
    // By IP address: neither sends a name. OpenSSL alone would say
    // ERR_SSL_NO_SUITABLE_SIGNATURE_ALGORITHM (TLS 1.3) and ERR_SSL_NO_SHARED_CIPHER (TLS 1.2).
    const byIp = new tls.Client(scheduler, endpoint, trusting);
    cleanups.push(() => byIp.close());
    expect(await byIp.connect({ timeout: 15_000 })).not.toBe('connected');
    await failed(1);
    const nodeClient = nodeTlsConnect({
      host: '127.0.0.1',
      port: endpoint.port,
      ca: certs.ca.cert,
      maxVersion: 'TLSv1.2',
    });
    nodeClient.on('error', () => {});
    cleanups.push(() => nodeClient.destroy());
    const failures = await failed(2);
    for (const f of failures) {
      expect(f.status).toBe('contextRequired');
      expect(f.code).toBe('ERR_CORO_TLS_CONTEXT_REQUIRED');
      expect(f.message).toMatch(/no SNI name/);
      expect(f.serverName).toBeUndefined();
      expect(f.peerAddress?.ip.toString()).toBe('127.0.0.1');
      expect((f.error as { code?: string } | undefined)?.code).toBe(
        'ERR_CORO_TLS_CONTEXT_REQUIRED',
      );
    }
    // What OpenSSL said is kept as the cause.
    expect(failures.map((f) => (f.error?.cause as { code?: string } | undefined)?.code)).toEqual([
      'ERR_SSL_NO_SUITABLE_SIGNATURE_ALGORITHM',
      'ERR_SSL_NO_SHARED_CIPHER',
    ]);
  });

  it('shutdown() wakes a pending accept with closed; later accepts get closed', async () => {
    const { server: s } = await server();
    const pending = s.accept();
    s.shutdown();
    const result = await pending;
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.kind).toBe('closed');
    const later = await s.accept();
    expect(!later.ok && later.error.kind).toBe('closed');
    expect(s.isShutdown).toBe(true);
  });

  it('shutdown() closes handshakes in progress and clients not yet accepted', async () => {
    const { server: s, endpoint } = await server({ handshakeTimeout: Infinity });
    const silent = await rawConnect(endpoint.port);
    const { status } = await coroClient(endpoint);
    expect(status).toBe('connected');
    while (s.pending === 0) await scheduler.yield();
    const silentClosed = once(silent, 'close');
    s.shutdown();
    await silentClosed;
  });

  it('does not report the handshakes its own shutdown() ends as failures of the peer', async () => {
    const { server: s, failures, endpoint } = await server({ handshakeTimeout: Infinity });
    const silent = await rawConnect(endpoint.port);
    // A ClientHello's first bytes: the handshake has begun on the server's side.
    silent.write(Buffer.from([0x16, 0x03, 0x01]));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const silentClosed = once(silent, 'close');
    s.shutdown();
    await silentClosed;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(failures.map((f) => `${f.status} ${f.code}`)).toEqual([]);
    expect(s.failedHandshakes).toBe(0);
  });

  it('keeps its handshake bookkeeping on the fast path; reads handshake details lazily', async () => {
    const { server: s, endpoint } = await server();
    const connecting = coroClient(endpoint);
    const accepted = await s.accept({ timeout: 15_000 });
    if (!accepted.ok) throw new Error('not accepted');
    const peer = accepted.value;
    // tls.Server finds the TCP connection of a finished handshake through the TLSSocket's
    // `_parent` (Node.js internals). If this fails, Node.js changed it: the server still works
    // (it falls back to matching addresses), every handshake costs more.
    expect(
      (peer.socket as unknown as { _parent?: unknown })._parent,
      'a server TLSSocket no longer keeps its TCP socket in _parent',
    ).toBeInstanceOf(NetSocket);
    const { client } = await connecting;
    // Read when first asked for, and kept from then on.
    expect(peer.protocol).toBe('TLSv1.3');
    peer.close();
    expect(peer.protocol).toBe('TLSv1.3');
    expect(peer.cipher?.name).toMatch(/^TLS_/);
    expect(peer.alpnProtocol).toBeUndefined();
    // First asked for after close(): Node.js has let go of the TLS state.
    client.close();
    expect(client.protocol).toBeUndefined();
    expect(client.peerCertificate).toBeUndefined();
  });

  it('accepted clients stay open across shutdown()', async () => {
    const { server: s, endpoint } = await server();
    const connecting = coroClient(endpoint);
    const accepted = await s.accept({ timeout: 15_000 });
    if (!accepted.ok) throw new Error('not accepted');
    const { client } = await connecting;
    s.shutdown();
    await client.writeAll(Buffer.from('still here'));
    const [status, view] = await accepted.value.readExact(Buffer.alloc(10), { timeout: 15_000 });
    expect([status.kind, Buffer.from(view).toString()]).toEqual(['ok', 'still here']);
    await accepted.value.writeAll(Buffer.from('yes'));
    const [back, reply] = await client.readExact(Buffer.alloc(3), { timeout: 15_000 });
    expect([back.kind, Buffer.from(reply).toString()]).toEqual(['ok', 'yes']);
    accepted.value.close();
  });

  it('await using waits until the listening handles are released, not for accepted clients', async () => {
    const serverHandles = () =>
      process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
    // Handles closed before are released at the end of this turn of the event loop.
    await new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
    const before = serverHandles();
    for (const acceptors of [1, 3]) {
      const { server: s, endpoint } = await server({ acceptors });
      expect(serverHandles()).toBe(before + s.acceptors);
      const connecting = coroClient(endpoint);
      const accepted = await s.accept({ timeout: 15_000 });
      if (!accepted.ok) throw new Error('not accepted');
      const { client } = await connecting;
      // From a timer callback, the turn of the loop reaches setImmediate before libuv's close
      // phase, where it releases the closed handles.
      await new Promise((resolve) => setTimeout(resolve, 1));
      await s[Symbol.asyncDispose]();
      expect(serverHandles(), `acceptors: ${acceptors}`).toBe(before);
      await client.writeAll(Buffer.from('open'));
      const [status, view] = await accepted.value.readExact(Buffer.alloc(4), { timeout: 15_000 });
      expect([status.kind, Buffer.from(view).toString()]).toEqual(['ok', 'open']);
      accepted.value.close();
    }
    // A listen still under way is closed when it completes, and waited for.
    await new Promise((resolve) => setTimeout(resolve, 1));
    const early = new tls.Server(scheduler, { address: '127.0.0.1', context: serverContext });
    await early[Symbol.asyncDispose]();
    expect((await early.ready()).kind).toBe('closed');
    expect(serverHandles()).toBe(before);
  });

  it('accept() takes timeout and signal, and leaves no waiter behind', async () => {
    const { server: s } = await server();
    const none = await s.accept({ timeout: 20 });
    expect(!none.ok && none.error.kind).toBe('timeout');
    const zero = await s.accept({ timeout: 0 });
    expect(!zero.ok && zero.error.kind).toBe('timeout');
    const stop = new StopSource();
    const pending = s.accept({ signal: stop.token });
    stop.requestStop();
    const cancelled = await pending;
    expect(!cancelled.ok && cancelled.error.kind).toBe('cancelled');
    expect(scheduler.isEmpty).toBe(true);
  });

  it('is async-iterable until shutdown', async () => {
    const { server: s, endpoint } = await server();
    const seen: string[] = [];
    const loop = (async () => {
      for await (const client of s) {
        seen.push(client.protocol!);
        client.close();
        if (seen.length === 3) s.shutdown();
      }
    })();
    for (let i = 0; i < 3; i++) expect((await coroClient(endpoint)).status).toBe('connected');
    await loop;
    expect(seen).toEqual(['TLSv1.3', 'TLSv1.3', 'TLSv1.3']);
  });

  it('reports a listen error through ready() and accept()', async () => {
    const { server: first } = await server();
    const second = new tls.Server(scheduler, {
      address: '127.0.0.1',
      port: first.port,
      context: serverContext,
    });
    cleanups.push(() => second.close());
    const status = await second.ready();
    expect(status.errno).toBe('EADDRINUSE');
    const accepted = await second.accept();
    expect(!accepted.ok && accepted.error.errno).toBe('EADDRINUSE');
  });

  it('an exception in onHandshakeFailure goes to the scheduler, not the server', async () => {
    const errors: unknown[] = [];
    const s2 = new IoScheduler({ onError: (e) => errors.push(e) });
    const s = new tls.Server(s2, {
      address: '127.0.0.1',
      context: serverContext,
      onHandshakeFailure: () => {
        throw new Error('callback bug');
      },
    });
    cleanups.push(() => s.close());
    await s.ready();
    const raw = await rawConnect(s.port);
    raw.write('not tls at all\r\n\r\n');
    while (errors.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect((errors[0] as Error).message).toBe('callback bug');
    const connecting = coroClient({ address: '127.0.0.1', port: s.port });
    expect((await s.accept({ timeout: 15_000 })).ok).toBe(true);
    expect((await connecting).status).toBe('connected');
  });

  it('bad options throw at the call', () => {
    const base = { address: '127.0.0.1', context: serverContext };
    const bad: unknown[] = [
      {},
      { ...base, context: trusting }, // no cert
      { ...base, context: {} },
      { ...base, sni: { 'a.test': trusting } },
      { ...base, sni: { 'a.*.test': serverContext } },
      { ...base, sni: 'x' },
      { ...base, handshakeTimeout: 0 },
      { ...base, handshakeTimeout: -1 },
      { ...base, backlog: 1.5 },
      { ...base, reusePort: 'yes' },
      { ...base, onHandshakeFailure: 1 },
    ];
    for (const options of bad) {
      expect(() => new tls.Server(scheduler, options as never), JSON.stringify(options)).toThrow(
        InvalidArgumentError,
      );
    }
    expect(() => new tls.Server(scheduler, { ...base, port: 65_536 })).toThrow(InvalidAddressError);
    expect(() => new tls.Server(scheduler, { ...base, address: 'x' })).toThrow(InvalidAddressError);
    // Shaped like a SocketAddress: the address is `address`, not `ip`.
    expect(
      () => new tls.Server(scheduler, { ip: '127.0.0.1', context: serverContext } as never),
    ).toThrow(InvalidAddressError);
    expect(() => new tls.Server({} as never, base)).toThrow(InvalidArgumentError);
  });

  it('refuses mutual TLS without a ca: it would accept any client certificate of the public roots', () => {
    const open = new Context({ cert: certs.server.cert, key: certs.server.key, verifyPeer: true });
    for (const options of [
      { address: '127.0.0.1', port: 0, context: open },
      { address: '127.0.0.1', port: 0, context: serverContext, sni: { 'api.localhost': open } },
    ]) {
      expect(() => new tls.Server(scheduler, options)).toThrow(InvalidArgumentError);
      expect(() => new tls.Server(scheduler, options)).toThrow(/verifyPeer.*ca/);
    }
  });

  it('refuses an option it does not take (a misspelt one would be ignored)', () => {
    const base = { address: '127.0.0.1', port: 0, context: serverContext };
    const sockets = () => process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP'));
    const before = sockets().length;
    // A misspelt handshake deadline would leave silent clients the 10 s default; readMode is
    // tcp.Server's (a TLS server reads through node:tls).
    for (const extra of [{ handshakeTimout: 100 }, { readMode: 'readable' }, { onFailure: noop }]) {
      const call = () => new tls.Server(scheduler, { ...base, ...extra } as never);
      const key = Object.keys(extra)[0]!;
      expect(call, key).toThrow(InvalidArgumentError);
      expect(call, key).toThrow(new RegExp(`^tls.Server: unknown option "${key}" \\(it takes `));
    }
    expect(sockets()).toHaveLength(before);
    const client = () =>
      new tls.Client(scheduler, { address: '127.0.0.1', port: 1 }, trusting, {
        servername: 'x',
      } as never);
    expect(client).toThrow(/^tls.Client: unknown option "servername" \(it takes serverName\)/);
  });

  it('refuses a TLS 1.2 renegotiation: a client cannot change its certificate or name after accept', async () => {
    const { server: s, endpoint } = await server();
    const socket = nodeTlsConnect({
      port: endpoint.port,
      host: '127.0.0.1',
      ca: certs.ca.cert,
      maxVersion: 'TLSv1.2',
    });
    socket.on('error', () => {});
    cleanups.push(() => socket.destroy());
    await once(socket, 'secureConnect');
    const accepted = await s.accept({ timeout: 15_000 });
    if (!accepted.ok) throw new Error('not accepted');
    // Before, the server went along: a renegotiation could swap the verified client
    // certificate (or the SNI name) for another after the server had accepted the client.
    // Refused, the server answers with a no_renegotiation alert: the client's renegotiate()
    // fails or never completes; it must not succeed.
    const renegotiated = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve('not completed'), 1500);
      const ok = socket.renegotiate({ rejectUnauthorized: false }, (error) => {
        clearTimeout(timer);
        resolve(error === null ? 'renegotiated' : 'failed');
      });
      if (!ok) resolve('refused at once');
    });
    expect(renegotiated).not.toBe('renegotiated');
    accepted.value.close();
  });

  it('serves a plain node:tls client too', async () => {
    const { server: s, endpoint } = await server();
    const socket = nodeTlsConnect({ port: endpoint.port, host: '127.0.0.1', ca: certs.ca.cert });
    cleanups.push(() => socket.destroy());
    await once(socket, 'secureConnect');
    const accepted = await s.accept({ timeout: 15_000 });
    if (!accepted.ok) throw new Error('not accepted');
    socket.write('ping');
    const [status, view] = await accepted.value.readExact(Buffer.alloc(4), { timeout: 15_000 });
    expect(status.kind).toBe('ok');
    expect(Buffer.from(view).toString()).toBe('ping');
    accepted.value.close();
  });
});
