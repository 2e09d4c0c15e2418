import { Resolver as AresResolver } from 'node:dns';
import { IoScheduler, SchedulerShutdownError } from '@coro/io';
import { InvalidArgumentError } from '@coro/task';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dns, InvalidAddressError } from '../src/index.ts';
import { DnsStub } from './utils/dns-stub.ts';

let stub: DnsStub | undefined;
afterEach(() => {
  stub?.close();
  stub = undefined;
});

async function start() {
  stub = await DnsStub.start({
    'a.test': { a: ['10.0.0.1', '10.0.0.2'], aaaa: ['fd00::1'] },
    'v4only.test': { a: ['10.1.1.1'] },
    'nx.test': { rcode: 'NXDOMAIN' },
    'fail.test': { rcode: 'SERVFAIL' },
    'refused.test': { rcode: 'REFUSED' },
    'slow.test': { never: true },
    'noaaaa.test': { a: ['10.2.2.2'], unanswered: 'aaaa' },
  });
  return new dns.Resolver({ servers: [stub.server], timeout: 5000 });
}

const texts = (r: dns.DnsResult) => r.addresses.map(String).sort();

describe('dns.Resolver against a stub server on 127.0.0.1', () => {
  it('resolves A, AAAA and both', async () => {
    const resolver = await start();
    const v4 = await resolver.resolve('a.test', { family: 'ipv4' });
    expect(v4.status).toBe('ok');
    expect(texts(v4)).toEqual(['10.0.0.1', '10.0.0.2']);
    const v6 = await resolver.resolve('a.test', { family: 'ipv6' });
    expect(texts(v6)).toEqual(['fd00::1']);
    const any = await resolver.resolve('a.test');
    expect(texts(any)).toEqual(['10.0.0.1', '10.0.0.2', 'fd00::1']);
    const partial = await resolver.resolve('v4only.test');
    expect(partial.status).toBe('ok');
    expect(texts(partial)).toEqual(['10.1.1.1']);
    const none = await resolver.resolve('v4only.test', { family: 'ipv6' });
    expect(none.status).toBe('noData');
  });

  it('reports NXDOMAIN, SERVFAIL and REFUSED as statuses', async () => {
    const resolver = await start();
    const nx = await resolver.resolve('nx.test', { family: 'ipv4' });
    expect(nx).toMatchObject({ status: 'notFound', addresses: [], errno: 'ENOTFOUND' });
    const fail = await resolver.resolve('fail.test', { family: 'ipv4' });
    expect(fail).toMatchObject({ status: 'serverFailure', errno: 'ESERVFAIL' });
    const refused = await resolver.resolve('refused.test');
    expect(refused).toMatchObject({ status: 'refused', errno: 'EREFUSED' });
  });

  it('enforces its own deadline on a server that never answers', async () => {
    const resolver = await start();
    const result = await resolver.resolve('slow.test', { timeout: 100 });
    expect(result.status).toBe('timeout');
    expect(stub!.queries.get('slow.test')).toBeGreaterThan(0);
    // The resolver's default deadline applies when the call gives none.
    const short = new dns.Resolver({ servers: [stub!.server], timeout: 50 });
    expect((await short.resolve('slow.test')).status).toBe('timeout');
  });

  it('timeout: Infinity is no deadline, not the resolver default', async () => {
    const resolver = await start();
    const short = new dns.Resolver({ servers: [stub!.server], timeout: 50 });
    const controller = new AbortController();
    let settled: string | undefined;
    const pending = short
      .resolve('slow.test', { timeout: Number.POSITIVE_INFINITY, signal: controller.signal })
      .then((r) => {
        settled = r.status;
        return r;
      });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Before, Infinity fell back to the resolver's 50 ms and this was 'timeout'.
    expect(settled).toBeUndefined();
    controller.abort();
    expect((await pending).status).toBe('cancelled');
    expect((await resolver.resolve('a.test', { family: 'ipv4' })).status).toBe('ok');
  });

  it('keeps at most a few idle c-ares channels after a burst of queries', async () => {
    const resolver = await start();
    const idle = (resolver as unknown as { _idleChannels: number })._idleChannels;
    expect(idle).toBe(0);
    const results = await Promise.all(
      Array.from({ length: 50 }, () => resolver.resolve('a.test', { family: 'ipv4' })),
    );
    expect(results.every((r) => r.status === 'ok')).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    // Before, every channel of the burst went back to the pool (50 idle resolvers).
    expect((resolver as unknown as { _idleChannels: number })._idleChannels).toBeLessThanOrEqual(4);
  });

  it('waits out its own deadline when c-ares gives up sooner: the query is asked again', async () => {
    await start();
    // c-ares gives up on a query after one 40 ms attempt; the call's deadline is 600 ms.
    const resolver = new dns.Resolver({ servers: [stub!.server], attemptTimeout: 40, tries: 1 });
    const began = performance.now();
    const result = await resolver.resolve('slow.test', { family: 'ipv4', timeout: 600 });
    expect(result.status).toBe('timeout');
    expect(performance.now() - began).toBeGreaterThanOrEqual(550);
    expect(stub!.queries.get('slow.test')).toBeGreaterThan(2);
    // And answers still come through such a resolver.
    const ok = await resolver.resolve('a.test', { family: 'ipv4', timeout: 2000 });
    expect(texts(ok)).toEqual(['10.0.0.1', '10.0.0.2']);
  });

  it("gives an 'any' lookup's answered family at the deadline when the other never answers", async () => {
    // As getaddrinfo does: a server (or middlebox) that drops AAAA queries must not make a
    // name with A records unresolvable.
    const resolver = await start();
    const result = await resolver.resolve('noaaaa.test', { timeout: 300 });
    expect(result.status).toBe('ok');
    expect(texts(result)).toEqual(['10.2.2.2']);
    expect((await resolver.resolve('noaaaa.test', { family: 'ipv6', timeout: 100 })).status).toBe(
      'timeout',
    );
  });

  it("one query's cancellation or timeout never touches another's", async () => {
    const resolver = await start();
    const controller = new AbortController();
    const cancelled = resolver.resolve('slow.test', { signal: controller.signal });
    const timedOut = resolver.resolve('slow.test', { timeout: 50 });
    const answered = resolver.resolve('a.test', { family: 'ipv4', timeout: 10_000 });
    const slowButAnswered = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return resolver.resolve('a.test', { family: 'ipv6', timeout: 10_000 });
    })();
    controller.abort();
    expect((await cancelled).status).toBe('cancelled');
    expect((await timedOut).status).toBe('timeout');
    expect((await answered).status).toBe('ok');
    expect(texts(await slowButAnswered)).toEqual(['fd00::1']);
    // After all that, the pooled channels still work.
    for (let i = 0; i < 6; i++) expect((await resolver.resolve('a.test')).status).toBe('ok');
  });

  it('resolves literals and localhost without a server', async () => {
    // A server that does not exist: none of these may ask it.
    const resolver = new dns.Resolver({ servers: ['127.0.0.1:9'], timeout: 1000 });
    expect(texts(await resolver.resolve('192.0.2.1'))).toEqual(['192.0.2.1']);
    expect(texts(await resolver.resolve('[::1]'))).toEqual(['::1']);
    expect((await resolver.resolve('192.0.2.1', { family: 'ipv6' })).status).toBe('noData');
    expect(texts(await resolver.resolve('localhost'))).toEqual(['127.0.0.1', '::1']);
    expect(texts(await resolver.resolve('LOCALHOST', { family: 'ipv6' }))).toEqual(['::1']);
  });

  it('reports a server that refuses the connection, and a stop before the call', async () => {
    const resolver = new dns.Resolver({ servers: ['127.0.0.1:9'], timeout: 3000 });
    const result = await resolver.resolve('x.test', { family: 'ipv4' });
    expect(['refused', 'timeout']).toContain(result.status);
    const stopped = AbortSignal.abort();
    expect((await resolver.resolve('x.test', { signal: stopped })).status).toBe('cancelled');
    expect((await resolver.resolve('x.test', { timeout: 0 })).status).toBe('timeout');
  });

  it('refuses every malformed host name at the call; a well-formed one gets a status from the server', async () => {
    const resolver = await start();
    const label = (n: number, c = 'a') => c.repeat(n);
    // 253 characters, the most a name can have (254 with the root's final dot).
    const longest = `${label(63)}.${label(63, 'b')}.${label(63, 'c')}.${label(61, 'd')}`;
    expect(longest.length).toBe(253);
    const bad: [string, unknown][] = [
      ['not text', 5],
      ['not text', null],
      ['not text', undefined],
      ['not text', { toString: () => 'a.test' }],
      ['empty', ''],
      ['empty label', 'a..test'],
      ['empty label', '.a.test'],
      ['empty label', 'a.test..'],
      ['empty label', '.'],
      ['label over 63', `${label(64)}.test`],
      ['name over 253', `${longest.slice(0, -1)}dd`],
      ['name over 253', `${longest}d.`],
      ['space', 'a b.test'],
      ['tab', 'a\tb.test'],
      ['slash', 'a/b.test'],
      ['backslash', 'a\\b.test'],
      ['NUL', 'a\0b.test'],
      ['at sign', 'a@b.test'],
      ['colon', 'a:b.test'],
      ['brackets around a name', '[a.test]'],
      ['unclosed bracket', '[::1'],
      ['non-ASCII', 'bücher.test'],
      ['hyphen first', '-a.test'],
      ['hyphen last', 'a-.test'],
      ['numeric last label', '999.1.1.1'],
      ['numeric last label', '010.0.0.1'],
      ['numeric last label', '1.2.3.4.5'],
      ['numeric last label', '123'],
    ];
    for (const [why, name] of bad) {
      const where = `${why}: ${JSON.stringify(name)}`;
      let thrown: unknown;
      try {
        void resolver.resolve(name as string);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, where).toBeInstanceOf(InvalidArgumentError);
      expect((thrown as InvalidArgumentError).code, where).toBe('ERR_CORO_INVALID_ARGUMENT');
      expect((thrown as Error).message, where).toMatch(/host name/);
    }
    expect(() => resolver.resolve('bücher.test')).toThrow(/domainToASCII/);
    // None of them reached the server.
    expect(stub!.queries.size).toBe(0);

    // Names at the limits, underscores, punycode, any case and a final dot are names: the
    // server's answer is the status.
    const good: [string, dns.DnsStatus][] = [
      [`${label(63)}.test`, 'notFound'],
      [longest, 'notFound'],
      [`${longest}.`, 'notFound'],
      ['_service.a.test', 'notFound'],
      ['under_score.test', 'notFound'],
      ['xn--bcher-kva.test', 'notFound'],
      ['a-b.test', 'notFound'],
      ['1.2.3.test', 'notFound'],
      ['A.Test', 'ok'],
      ['a.test.', 'ok'],
    ];
    for (const [name, status] of good) {
      expect((await resolver.resolve(name, { family: 'ipv4' })).status, name).toBe(status);
    }
    expect(stub!.queries.size).toBeGreaterThan(0);
  });

  it('throws for bad input at the call', () => {
    expect(() => new dns.Resolver({ servers: ['not a server'] })).toThrow(InvalidAddressError);
    expect(() => new dns.Resolver({ servers: '1.1.1.1' as never })).toThrow(/array/);
    // No server at all (every query failed with UNKNOWN_ARES_ERROR), and port 0 (which c-ares
    // silently took for 53).
    expect(() => new dns.Resolver({ servers: [] })).toThrow(/at least one/);
    expect(() => new dns.Resolver({ servers: ['127.0.0.1:0'] })).toThrow(InvalidAddressError);
    expect(() => new dns.Resolver({ servers: ['[::1]:0'] })).toThrow(InvalidAddressError);
    expect(() => new dns.Resolver({ timeout: -1 })).toThrow(/timeout/);
    for (const bad of [0, -5, 1.5, Number.NaN, '100', 2 ** 31]) {
      expect(() => new dns.Resolver({ attemptTimeout: bad as never })).toThrow(/attemptTimeout/);
      expect(() => new dns.Resolver({ tries: bad as never })).toThrow(/tries/);
    }
    const resolver = new dns.Resolver({ servers: ['127.0.0.1:53'] });
    expect(() => resolver.resolve('')).toThrow(/host name/);
    expect(() => resolver.resolve(5 as never)).toThrow(/host name/);
    expect(() => resolver.resolve('a b')).toThrow(/host name/);
    expect(() => resolver.resolve('a.test', { family: 'ipx' as never })).toThrow(/family/);
    expect(() => resolver.resolve('a.test', { timeout: Number.NaN })).toThrow(/timeout/);
  });

  it('throws SchedulerShutdownError at the call on a shut-down scheduler, taking no channel', async () => {
    const resolver = await start();
    const running = new IoScheduler();
    const stopped = new IoScheduler();
    await stopped.shutdown();
    // The channel each query runs on.
    const channels: AresResolver[] = [];
    const resolve4 = AresResolver.prototype.resolve4;
    const spy = vi.spyOn(AresResolver.prototype, 'resolve4').mockImplementation(function (
      this: AresResolver,
      ...args: Parameters<AresResolver['resolve4']>
    ) {
      channels.push(this);
      return resolve4.apply(this, args);
    } as AresResolver['resolve4']);
    try {
      // One query leaves one channel in the pool (once its callbacks have run).
      resolver.useScheduler(running);
      expect((await resolver.resolve('a.test', { family: 'ipv4' })).status).toBe('ok');
      await new Promise((resolve) => setImmediate(resolve));
      // A deadline, the call's or the resolver's, cannot be armed there: thrown at the call,
      // before a channel is taken or a query sent.
      resolver.useScheduler(stopped);
      expect(() => resolver.resolve('a.test', { family: 'ipv4', timeout: 100 })).toThrow(
        SchedulerShutdownError,
      );
      expect(() => resolver.resolve('a.test')).toThrow(SchedulerShutdownError);
      expect(stub!.queries.get('a.test')).toBe(1);
      // What is answered at once is still answered; without a deadline a query goes out.
      expect((await resolver.resolve('192.0.2.1')).status).toBe('ok');
      expect((await resolver.resolve('localhost')).status).toBe('ok');
      expect((await resolver.resolve('a.test', { timeout: 0 })).status).toBe('timeout');
      const stop = AbortSignal.abort();
      expect((await resolver.resolve('a.test', { signal: stop })).status).toBe('cancelled');
      const endless = new dns.Resolver({ servers: [stub!.server], timeout: Infinity });
      endless.useScheduler(stopped);
      expect((await endless.resolve('a.test', { family: 'ipv4' })).status).toBe('ok');
      // The pooled channel was never taken by the calls that threw: the next query runs on it.
      resolver.useScheduler(running);
      expect((await resolver.resolve('a.test', { family: 'ipv4' })).status).toBe('ok');
      expect(channels).toHaveLength(3);
      expect(channels[2]).toBe(channels[0]);
    } finally {
      spy.mockRestore();
      await running.shutdown();
    }
  });
});
