import { once } from 'node:events';
import { createServer, type Socket, connect } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IoScheduler } from '../src/index.ts';

const schedulers: IoScheduler[] = [];
function make(): IoScheduler {
  const s = new IoScheduler();
  schedulers.push(s);
  return s;
}

afterEach(async () => {
  for (const s of schedulers.splice(0)) await s.shutdown();
});

/** Rejects with a message naming what hung, so starvation fails instead of stalling. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} starved for ${ms} ms`)), ms);
  });
  return Promise.race([promise, hung]).finally(() => clearTimeout(timer));
}

describe('the run queue: one callback per turn, and I/O is never starved', () => {
  it('tasks yielding in a loop let timers, immediates and socket I/O run', async () => {
    const s = make();
    let running = true;
    let turns = 0;
    const spinners = Array.from({ length: 50 }, async () => {
      while (running) {
        turns++;
        await s.yield();
      }
    });
    const server = createServer((socket: Socket) => socket.pipe(socket));
    server.listen(0, '127.0.0.1');
    await within(once(server, 'listening'), 10_000, 'listen');
    const { port } = server.address() as { port: number };
    try {
      await within(new Promise((r) => setTimeout(r, 5)), 10_000, 'a setTimeout callback');
      await within(new Promise((r) => setImmediate(r)), 10_000, 'a setImmediate callback');
      const client = connect(port, '127.0.0.1');
      await within(once(client, 'connect'), 10_000, 'a TCP connect');
      client.write('ping');
      const [data] = await within(once(client, 'data'), 10_000, 'a TCP echo');
      expect(String(data)).toBe('ping');
      client.destroy();
      const sleeping = s.yieldFor(5);
      await within(sleeping, 10_000, 'yieldFor(5) next to yielders');
    } finally {
      running = false;
      await Promise.all(spinners);
      server.close();
    }
    expect(turns).toBeGreaterThan(50);
  });

  it('a yield loop advances one turn per yield, in FIFO order across tasks', async () => {
    const s = make();
    const order: string[] = [];
    let immediates = 0;
    const counter = () => {
      immediates++;
      if (immediates < 3) setImmediate(counter);
    };
    setImmediate(counter);
    await Promise.all(
      ['a', 'b', 'c'].map(async (name) => {
        for (let i = 0; i < 3; i++) {
          order.push(`${name}${i}@${immediates}`);
          await s.yield();
        }
      }),
    );
    // Every round of yielders resumed in one turn, and each turn let the other immediate run.
    expect(order).toEqual(['a0@0', 'b0@0', 'c0@0', 'a1@1', 'b1@1', 'c1@1', 'a2@2', 'b2@2', 'c2@2']);
  });

  // The batching the performance notes describe, held structurally (no clock involved): what
  // one hop costs must not grow back to a promise, closure or macrotask per caller.
  it('every yield() of a turn shares one promise, resolved from one setImmediate callback', async () => {
    const s = make();
    const spy = vi.spyOn(globalThis, 'setImmediate');
    try {
      const waits = Array.from({ length: 100 }, () => s.yield());
      expect(new Set(waits).size).toBe(1);
      expect(spy).toHaveBeenCalledTimes(1);
      await Promise.all(waits);
      // The next turn's yielders get a fresh promise and one more callback.
      const next = [s.yield(), s.yield()];
      expect(next[0]).toBe(next[1]);
      expect(next[0]).not.toBe(waits[0]);
      expect(spy).toHaveBeenCalledTimes(2);
      await Promise.all(next);
    } finally {
      spy.mockRestore();
    }
  });

  it('schedule() resumes in the current microtask drain, one hop, with no promise per caller', async () => {
    const s = make();
    const spy = vi.spyOn(globalThis, 'setImmediate');
    const order: string[] = [];
    try {
      const first = s.schedule();
      expect(s.schedule()).toBe(first);
      await first;
      const resumed = (async () => {
        await s.schedule();
        order.push('scheduled');
      })();
      // Queued after the scheduled caller: it runs after it only if schedule() costs one
      // microtask hop (a thenable or a macrotask would let both microtasks go first).
      queueMicrotask(() => {
        order.push('microtask 1');
        queueMicrotask(() => order.push('microtask 2'));
      });
      await resumed;
      await new Promise<void>((resolve) => queueMicrotask(resolve));
      expect(order).toEqual(['scheduled', 'microtask 1', 'microtask 2']);
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it('counts pending schedule() and yield() callers in size until they resume', async () => {
    const s = make();
    const waits = [s.schedule(), s.schedule(), s.yield(), s.yield(), s.yield()];
    expect(s.size).toBe(5);
    await Promise.all(waits);
    expect(s.size).toBe(0);
  });
});
