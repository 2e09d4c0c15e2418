import { InvalidArgumentError } from '@coro/task';
import { describe, expect, it } from 'vitest';
import { type RestartEvent, serve, type ThreadReadyEvent } from '../src/index.ts';
import {
  reusePortSupported,
  socketTransferSupported,
} from '../src/internal/thread-per-core-detect.ts';
import {
  deferred,
  eventually,
  LineClient,
  linesModule,
  startLines,
  whoAnswers,
} from './utils/thread-per-core.ts';

// Worker start-up can take seconds on a loaded machine: nothing here waits on a clock except
// to turn a hang into a failure.
const SLOW = 120_000;

/** Connects `count` times, one after the other; how many answers came from each thread. */
async function spread(port: number, count: number, threads: number): Promise<number[]> {
  const seen = new Array<number>(threads).fill(0);
  for (let i = 0; i < count; i++) seen[await whoAnswers(port)]! += 1;
  return seen;
}

describe.each([
  ['reusePort', true],
  ['handoff', false],
] as const)('ThreadPerCore in %s mode', (mode, reusePort) => {
  it(
    'serves one port from every thread, and counts connections per thread',
    async () => {
      const server = startLines({ threads: 3, reusePort });
      const port = await server.ready;
      expect(port).toBeGreaterThan(0);
      expect(server.port).toBe(port);
      expect(server.mode).toBe(mode);
      // 60 connections over 3 listeners: the chance that the kernel's hash leaves one thread
      // without any is about 3·(2/3)^60 ≈ 10⁻¹⁰.
      const seen = await spread(port, 60, 3);
      for (const count of seen) expect(count).toBeGreaterThan(0);
      await eventually(() => server.stats().open === 0, 'every connection to be closed');
      const stats = server.stats();
      expect(stats.mode).toBe(mode);
      expect(stats.threads.map((t) => t.accepted)).toEqual(seen);
      expect(stats.accepted).toBe(60);
      expect(stats.threads.map((t) => t.state)).toEqual(['ready', 'ready', 'ready']);
      const result = await server.close();
      expect(result).toEqual({ forced: 0 });
      expect(server.stats().threads.map((t) => t.state)).toEqual(['stopped', 'stopped', 'stopped']);
    },
    SLOW,
  );

  it(
    'serves with several acceptors per thread (reusePort mode: threads × acceptors listeners)',
    async () => {
      const server = startLines({ threads: 2, reusePort, acceptors: 3 });
      const port = await server.ready;
      // 60 connections over 2 threads of 3 listeners each (handoff mode: one listener in the
      // main thread, the option does not apply): every one is served by a thread.
      const seen = await spread(port, 60, 2);
      expect(seen.reduce((a, b) => a + b, 0)).toBe(60);
      for (const count of seen) expect(count).toBeGreaterThan(0);
      expect(await server.close()).toEqual({ forced: 0 });
    },
    SLOW,
  );

  it(
    'replaces a crashed thread with back-off while the port keeps serving',
    async () => {
      const gate = new Int32Array(new SharedArrayBuffer(4));
      const restarts: RestartEvent[] = [];
      const restarted = deferred<RestartEvent>();
      const replaced = deferred<ThreadReadyEvent>();
      const server = startLines({
        threads: 2,
        reusePort,
        data: { gate },
        restart: { initialDelay: 1, maxDelay: 1000 },
        onRestart: (event) => {
          restarts.push(event);
          restarted.resolve(event);
        },
        onThreadReady: (event) => {
          if (event.restarts > 0) replaced.resolve(event);
        },
        onError: () => {},
      });
      const port = await server.ready;
      // Replacements wait in onThreadStart until the gate opens.
      Atomics.store(gate, 0, 1);
      const victim = await LineClient.connect(port);
      victim.send('crash');
      expect(await victim.next()).toBeUndefined();
      const event = await restarted.promise;
      expect(event.attempt).toBe(1);
      expect(event.delay).toBe(1);
      expect(event.error?.message).toMatch(/crashed on request/);
      const survivor = 1 - event.threadIndex;
      // The crashed thread is down and its replacement held back: the survivor serves alone.
      expect(await spread(port, 10, 2)).toEqual(survivor === 0 ? [10, 0] : [0, 10]);
      expect(server.stats().threads[event.threadIndex]!.state).not.toBe('ready');
      Atomics.store(gate, 0, 0);
      Atomics.notify(gate, 0);
      const ready = await replaced.promise;
      expect(ready).toEqual({ threadIndex: event.threadIndex, restarts: 1 });
      const seen = await spread(port, 40, 2);
      expect(seen[event.threadIndex]).toBeGreaterThan(0);
      expect(seen[survivor]).toBeGreaterThan(0);
      expect(restarts).toHaveLength(1);
      const stats = server.stats();
      expect(stats.restarts).toBe(1);
      expect(stats.threads[event.threadIndex]!.restarts).toBe(1);
      expect(stats.accepted).toBe(51);
    },
    SLOW,
  );

  it(
    'replaces a thread that dies after its ready while the server is still starting',
    async () => {
      // gate[0] = 1 holds thread 1 in onThreadStart: `ready` is pending when thread 0 dies.
      const gate = new Int32Array(new SharedArrayBuffer(8));
      Atomics.store(gate, 0, 1);
      const restarted = deferred<RestartEvent>();
      const replaced = deferred<ThreadReadyEvent>();
      const server = startLines({
        module: new URL('./fixtures/thread-per-core/early-crash.ts', import.meta.url),
        threads: 2,
        reusePort,
        data: { gate },
        restart: { initialDelay: 1, maxDelay: 1000 },
        onRestart: (event) => restarted.resolve(event),
        onThreadReady: (event) => {
          if (event.restarts > 0) replaced.resolve(event);
        },
        onError: () => {},
      });
      // Before, the death went down the closing path: reported, never replaced.
      const event = await Promise.race([
        restarted.promise,
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('thread 0 was not restarted within 20 s')), 20_000),
        ),
      ]);
      expect(event.threadIndex).toBe(0);
      expect(event.error?.message).toMatch(/died while the server was starting/);
      Atomics.store(gate, 0, 0);
      Atomics.notify(gate, 0);
      const port = await server.ready;
      expect(await replaced.promise).toEqual({ threadIndex: 0, restarts: 1 });
      expect((await spread(port, 40, 2))[0]).toBeGreaterThan(0);
      expect(await server.close()).toEqual({ forced: 0 });
    },
    SLOW,
  );

  it(
    'refuses connections once every thread has died and none will be restarted',
    async () => {
      const errors: string[] = [];
      const server = startLines({
        threads: 1,
        reusePort,
        restart: false,
        onError: (error) => errors.push(error.message),
      });
      const port = await server.ready;
      const crasher = await LineClient.connect(port);
      crasher.send('crash');
      expect(await crasher.next()).toBeUndefined();
      await eventually(() => errors.length === 1, 'the crash to be reported');
      await eventually(() => server.stats().threads[0]!.state === 'stopped', 'the thread to stop');
      // Nobody will serve the port: a new client is refused, not held open forever (handoff
      // mode kept accepting and held every socket until close()).
      const refused = () =>
        LineClient.connect(port).then(
          (client) => {
            client.socket.destroy();
            return false;
          },
          (error: NodeJS.ErrnoException) => error.code === 'ECONNREFUSED',
        );
      let tries = 0;
      while (!(await refused())) {
        expect(++tries, 'connections to be refused within 10 s').toBeLessThan(1000);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await server.close();
    },
    SLOW,
  );

  it(
    'shuts down gracefully: connections in flight get their response',
    async () => {
      const server = startLines({ threads: 2, reusePort });
      const port = await server.ready;
      const clients = await Promise.all(Array.from({ length: 8 }, () => LineClient.connect(port)));
      for (const client of clients) expect(await client.ask('hold')).toBe('held');
      await eventually(() => server.stats().open === 8, 'eight open connections');
      const closing = server.close({ gracePeriod: SLOW });
      const answers = await Promise.all(clients.map((client) => client.next()));
      for (const answer of answers) expect(answer).toMatch(/^done [01]$/);
      expect(await closing).toEqual({ forced: 0 });
      for (const client of clients) expect(await client.next()).toBeUndefined();
      // Nothing listens any more.
      await expect(LineClient.connect(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    },
    SLOW,
  );

  it(
    'ends connections still open when the grace period runs out',
    async () => {
      const server = startLines({ threads: 1, reusePort });
      const port = await server.ready;
      const client = await LineClient.connect(port);
      expect(await client.ask('hang')).toBe('hung');
      const result = await server.close({ gracePeriod: 0 });
      expect(result).toEqual({ forced: 1 });
      expect(await client.next()).toBeUndefined();
      expect(client.endedWith).toMatch(/ECONNRESET|end|close/);
    },
    SLOW,
  );
});

describe('ThreadPerCore', () => {
  it(
    'spreads a burst of connections evenly in handoff mode (counting those still in flight)',
    async () => {
      const server = startLines({ threads: 2, reusePort: false });
      const port = await server.ready;
      // Opened at once: the picker ran ahead of the threads' own counts, which rise only once a
      // socket has arrived, and one thread drew most of a burst ([3, 47] in a run).
      const clients = await Promise.all(Array.from({ length: 40 }, () => LineClient.connect(port)));
      await eventually(() => server.stats().open === 40, 'every connection to reach a thread');
      const open = server.stats().threads.map((t) => t.open);
      for (const count of open) expect(count, String(open)).toBeGreaterThanOrEqual(17);
      for (const client of clients) client.close();
      await server.close();
    },
    SLOW,
  );

  it(
    'reports a thread that crashes during a graceful close to onError (no restart)',
    async () => {
      const errors: [string, number | undefined][] = [];
      const restarts: RestartEvent[] = [];
      const server = startLines({
        threads: 1,
        gracePeriod: 10_000,
        onError: (error, threadIndex) => errors.push([error.message, threadIndex]),
        onRestart: (event) => restarts.push(event),
      });
      const port = await server.ready;
      const waiting = await LineClient.connect(port);
      expect(await waiting.ask('hang')).toBe('hung');
      const crasher = await LineClient.connect(port);
      expect(await crasher.ask('who')).toBe('thread 0');
      const closing = server.close();
      // The close waits for `waiting` (its handler ignores closing); the thread dies meanwhile.
      crasher.send('crash');
      await closing;
      // Before, the crash went nowhere: neither onError nor onRestart heard of it.
      expect(errors).toEqual([['thread 0 crashed on request', 0]]);
      expect(restarts).toEqual([]);
    },
    SLOW,
  );

  it(
    'holds connections in handoff mode while no thread is ready, then hands them over',
    async () => {
      const gate = new Int32Array(new SharedArrayBuffer(4));
      const restarted = deferred<RestartEvent>();
      const server = startLines({
        threads: 1,
        reusePort: false,
        data: { gate },
        restart: { initialDelay: 1, maxDelay: 1000 },
        onRestart: (event) => restarted.resolve(event),
        onError: () => {},
      });
      const port = await server.ready;
      Atomics.store(gate, 0, 1);
      const victim = await LineClient.connect(port);
      victim.send('crash');
      await restarted.promise;
      // The only thread is down: the main thread's listener accepts and holds these.
      const waiting = await Promise.all([LineClient.connect(port), LineClient.connect(port)]);
      const answers = waiting.map((client) => client.ask('who'));
      expect(server.stats().accepted).toBe(1);
      Atomics.store(gate, 0, 0);
      Atomics.notify(gate, 0);
      expect(await Promise.all(answers)).toEqual(['thread 0', 'thread 0']);
      expect(server.stats().accepted).toBe(3);
    },
    SLOW,
  );

  it(
    'backs off exponentially, up to maxDelay, while a replacement keeps failing to start',
    async () => {
      const starts = new Int32Array(new SharedArrayBuffer(4));
      const events: RestartEvent[] = [];
      const replaced = deferred<ThreadReadyEvent>();
      const server = startLines({
        module: new URL('./fixtures/thread-per-core/flaky-start.ts', import.meta.url),
        threads: 1,
        // Starts 1, 2 and 3 (the first three replacements) fail in onThreadStart.
        data: { starts, failFrom: 1, failUntil: 4 },
        restart: { initialDelay: 1, maxDelay: 3 },
        onRestart: (event) => events.push(event),
        onThreadReady: (event) => {
          if (event.restarts > 0) replaced.resolve(event);
        },
        onError: () => {},
      });
      const port = await server.ready;
      const victim = await LineClient.connect(port);
      victim.send('go');
      expect(await victim.next()).toBeUndefined();
      expect(await replaced.promise).toEqual({ threadIndex: 0, restarts: 4 });
      expect(events.map((e) => [e.attempt, e.delay])).toEqual([
        [1, 1],
        [2, 2],
        [3, 3],
        [4, 3],
      ]);
      expect(events[0]!.error?.message).toBe('thread 0 crashed');
      expect(events[1]!.error?.message).toBe('start 1 fails');
      expect(Atomics.load(starts, 0)).toBe(5);
      expect(server.stats().threads[0]!.state).toBe('ready');
    },
    SLOW,
  );

  it('detects reusePort and transferable sockets on this Node.js', async () => {
    // Both modes are tested above; if a Node.js release drops either, this names the cause.
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    const hasReusePort =
      process.platform === 'linux' &&
      (major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12));
    expect(await reusePortSupported()).toBe(hasReusePort);
    expect(await socketTransferSupported()).toBe(true);
  });

  it(
    'gives every thread the same port when asked for port 0',
    async () => {
      const server = startLines({ threads: 3 });
      const port = await server.ready;
      expect(server.mode).toBe('reusePort');
      const seen = await spread(port, 60, 3);
      for (const count of seen) expect(count).toBeGreaterThan(0);
    },
    SLOW,
  );

  it(
    'publishes bytes and open connections in shared counters while running',
    async () => {
      const server = startLines({ threads: 1, statsInterval: 10 });
      const port = await server.ready;
      const client = await LineClient.connect(port);
      const line = 'x'.repeat(1000);
      expect(await client.ask(line)).toBe(line);
      // Still open: the counters come from the thread's periodic sample.
      await eventually(() => {
        const { bytesRead, bytesWritten } = server.stats();
        return bytesRead >= 1001 && bytesWritten >= 1001;
      }, 'the bytes of the open connection to be published');
      const stats = server.stats();
      expect(stats.open).toBe(1);
      expect(stats.accepted).toBe(1);
      expect(stats.bytesRead).toBe(1001);
      expect(stats.bytesWritten).toBe(1001);
      client.close();
      await eventually(() => server.stats().open === 0, 'the connection to be closed');
      expect(server.stats().bytesRead).toBe(1001);
    },
    SLOW,
  );

  it(
    'closes on SIGTERM when handleSignals is on, and removes its listeners',
    async () => {
      const before = process.listenerCount('SIGTERM');
      const beforeInt = process.listenerCount('SIGINT');
      const server = startLines({ threads: 1, handleSignals: true });
      const port = await server.ready;
      expect(process.listenerCount('SIGTERM')).toBe(before + 1);
      const client = await LineClient.connect(port);
      expect(await client.ask('hold')).toBe('held');
      process.emit('SIGTERM', 'SIGTERM');
      expect(await client.next()).toBe('done 0');
      await server.close();
      await eventually(
        () => process.listenerCount('SIGTERM') === before,
        'the SIGTERM listener to be removed',
      );
      expect(process.listenerCount('SIGINT')).toBe(beforeInt);
    },
    SLOW,
  );

  it(
    'resets the back-off streak once a replacement stayed up for maxDelay',
    async () => {
      const events: RestartEvent[] = [];
      let restarted = deferred<RestartEvent>();
      let replaced = deferred<ThreadReadyEvent>();
      const server = startLines({
        threads: 1,
        restart: { initialDelay: 1, maxDelay: 50 },
        onRestart: (event) => {
          events.push(event);
          restarted.resolve(event);
        },
        onThreadReady: (event) => {
          if (event.restarts > 0) replaced.resolve(event);
        },
        onError: () => {},
      });
      const port = await server.ready;
      for (let round = 0; round < 2; round++) {
        const victim = await LineClient.connect(port);
        victim.send('crash');
        expect(await victim.next()).toBeUndefined();
        await restarted.promise;
        await replaced.promise;
        restarted = deferred<RestartEvent>();
        replaced = deferred<ThreadReadyEvent>();
        // Up for well over maxDelay: the next crash starts a new streak.
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(events.map((e) => [e.attempt, e.delay])).toEqual([
        [1, 1],
        [1, 1],
      ]);
    },
    SLOW,
  );

  it(
    'treats a signal during a close() the program started as the first one: the grace period holds',
    async () => {
      const server = startLines({ threads: 1, handleSignals: true });
      const port = await server.ready;
      const client = await LineClient.connect(port);
      expect(await client.ask('hang')).toBe('hung');
      const closing = server.close({ gracePeriod: SLOW });
      process.emit('SIGTERM', 'SIGTERM');
      const early = await Promise.race([
        client.next().then(() => 'ended'),
        new Promise((resolve) => setTimeout(() => resolve('still open'), 500)),
      ]);
      expect(early).toBe('still open');
      // The second signal cuts the grace period short.
      process.emit('SIGTERM', 'SIGTERM');
      expect(await closing).toEqual({ forced: 1 });
      expect(await client.next()).toBeUndefined();
    },
    SLOW,
  );

  it('throws InvalidArgumentError at the call for data that cannot be structured-cloned', () => {
    for (const data of [{ f() {} }, () => 1, { s: Symbol('x') }]) {
      let thrown: unknown;
      try {
        serve({ module: linesModule, address: '127.0.0.1', port: 0, threads: 1, data });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(InvalidArgumentError);
      expect((thrown as Error).message).toMatch(/\bdata\b/);
      expect((thrown as Error).cause).toBeInstanceOf(Error);
    }
  });

  it(
    'counts as forced the connections of a thread it had to terminate, handlers ignoring both signals',
    async () => {
      const server = startLines({ threads: 1 });
      const port = await server.ready;
      const clients = await Promise.all([LineClient.connect(port), LineClient.connect(port)]);
      for (const client of clients) expect(await client.ask('stuck')).toBe('stuck');
      await eventually(() => server.stats().open === 2, 'two open connections');
      expect(await server.close({ gracePeriod: 0 })).toEqual({ forced: 2 });
      for (const client of clients) expect(await client.next()).toBeUndefined();
    },
    SLOW,
  );
});
