import { CancelledError, InvalidArgumentError, TimeoutError } from '@coro/task';
import { describe, expect, it } from 'vitest';
import { AddressInUseError, InvalidAddressError, ServerModuleError, serve } from '../src/index.ts';
import { linesModule, occupyPort, portIsFree, startLines } from './utils/thread-per-core.ts';

const SLOW = 120_000;
const fixture = (name: string) => new URL(`./fixtures/thread-per-core/${name}`, import.meta.url);

describe('ThreadPerCore bad input', () => {
  it.each([
    ['threads 0', { threads: 0 }],
    ['threads -1', { threads: -1 }],
    ['threads 1.5', { threads: 1.5 }],
    ['threads NaN', { threads: Number.NaN }],
    ['threads "2"', { threads: '2' }],
    ['backlog -1', { backlog: -1 }],
    ['gracePeriod -1', { gracePeriod: -1 }],
    ['gracePeriod NaN', { gracePeriod: Number.NaN }],
    ['timeout "soon"', { timeout: 'soon' }],
    ['statsInterval 0', { statsInterval: 0 }],
    ['reusePort "yes"', { reusePort: 'yes' }],
    ['acceptors 0', { acceptors: 0 }],
    ['acceptors 65', { acceptors: 65 }],
    ['restart maxDelay < initialDelay', { restart: { initialDelay: 10, maxDelay: 1 } }],
    ['onRestart not a function', { onRestart: 42 }],
    ['signal not a signal', { signal: {} }],
    ['module relative path', { module: './lines.ts' }],
    ['module empty', { module: '' }],
    ['an option it does not take', { thread: 2 }],
    ['threads 257 (more than serve starts)', { threads: 257 }],
  ])('throws InvalidArgumentError at the call for %s', (_, options) => {
    const call = () => serve({ module: linesModule, ...(options as object) } as never);
    expect(call).toThrow(InvalidArgumentError);
    try {
      call();
    } catch (error) {
      expect((error as InvalidArgumentError).code).toBe('ERR_CORO_INVALID_ARGUMENT');
    }
  });

  it.each([
    ['port 70000', { port: 70_000 }],
    ['port -1', { port: -1 }],
    ['port 1.5', { port: 1.5 }],
    ['address not an IP', { address: 'localhost:80' }],
  ])('throws InvalidAddressError at the call for %s', (_, options) => {
    expect(() => serve({ module: linesModule, ...options })).toThrow(InvalidAddressError);
  });

  it('rejects close({ gracePeriod: -5 }) at the call', () => {
    const server = startLines({ threads: 1 });
    expect(() => server.close({ gracePeriod: -5 })).toThrow(InvalidArgumentError);
  });

  it.each([
    ['reusePort', true],
    ['handoff', false],
  ] as const)(
    'rejects ready with ServerModuleError for a module without onConnection (%s), leaving nothing running',
    async (_, reusePort) => {
      const held = await occupyPort();
      const address = held.address() as { port: number };
      held.close();
      const port = address.port;
      const server = startLines({ module: fixture('no-handler.ts'), threads: 2, reusePort, port });
      const error = await server.ready.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServerModuleError);
      expect((error as ServerModuleError).code).toBe('ERR_CORO_NET_SERVER_MODULE');
      expect((error as Error).message).toMatch(/does not export an onConnection function/);
      expect(server.stats().threads.map((t) => t.state)).toEqual(['stopped', 'stopped']);
      expect(await portIsFree(port)).toBe(true);
      expect(await server.close()).toEqual({ forced: 0 });
    },
    SLOW,
  );

  it(
    'rejects ready with ServerModuleError for a module that does not load',
    async () => {
      const server = startLines({ module: fixture('missing.ts'), threads: 2 });
      await expect(server.ready).rejects.toBeInstanceOf(ServerModuleError);
      expect(server.stats().threads.every((t) => t.state === 'stopped')).toBe(true);
    },
    SLOW,
  );

  it(
    'rejects ready with ServerModuleError when onThreadStart throws',
    async () => {
      const server = startLines({ module: fixture('failing-start.ts'), threads: 2 });
      const error = await server.ready.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServerModuleError);
      expect(((error as Error).cause as Error).message).toBe('cannot start: no configuration');
    },
    SLOW,
  );

  it.each([
    ['reusePort', true],
    ['handoff', false],
  ] as const)(
    'rejects ready with AddressInUseError for a port held without reusePort (%s)',
    async (_, reusePort) => {
      const held = await occupyPort();
      try {
        const port = (held.address() as { port: number }).port;
        const server = startLines({ threads: 2, reusePort, port });
        const error = await server.ready.catch((e: unknown) => e);
        expect(error).toBeInstanceOf(AddressInUseError);
        expect(error).toMatchObject({ code: 'ERR_CORO_NET_ADDRESS_IN_USE', errno: 'EADDRINUSE' });
        expect((error as Error).message).toContain(`127.0.0.1:${port}`);
        expect(server.stats().threads.every((t) => t.state === 'stopped')).toBe(true);
      } finally {
        held.close();
      }
    },
    SLOW,
  );

  it(
    'rejects ready with CancelledError when closed while starting, leaving nothing running',
    async () => {
      const server = startLines({ threads: 2 });
      const closed = server.close();
      await expect(server.ready).rejects.toBeInstanceOf(CancelledError);
      expect(await closed).toEqual({ forced: 0 });
      expect(server.stats().threads.every((t) => t.state === 'stopped')).toBe(true);
    },
    SLOW,
  );

  it(
    'rejects ready with CancelledError when its signal is already aborted',
    async () => {
      const server = startLines({ threads: 1, signal: AbortSignal.abort() });
      await expect(server.ready).rejects.toBeInstanceOf(CancelledError);
    },
    SLOW,
  );

  it(
    'rejects ready with TimeoutError when the threads are not ready in time',
    async () => {
      // The gate stays shut: onThreadStart never returns.
      const gate = new Int32Array(new SharedArrayBuffer(4));
      Atomics.store(gate, 0, 1);
      const server = startLines({ threads: 2, timeout: 50, data: { gate } });
      await expect(server.ready).rejects.toBeInstanceOf(TimeoutError);
      expect(server.stats().threads.every((t) => t.state === 'stopped')).toBe(true);
    },
    SLOW,
  );
});
