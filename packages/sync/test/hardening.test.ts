// Issue 8: stop reaching every waiter, durations, misuse errors, one precedence rule,
// ObjectPool edges, WaitGroup(initial), SharedMutex holds, stoppable iteration.
import { CoroError, InvalidArgumentError, StopSource, task } from '@coro/task';
import { describe, expect, it, vi } from 'vitest';
import {
  ConditionVariable,
  Event,
  Latch,
  Mutex,
  ObjectPool,
  Queue,
  RingBuffer,
  Semaphore,
  SharedMutex,
  WaitGroup,
} from '../src/index.ts';
import { flush } from './utils/flush.ts';

describe('a stop reaches every waiter of one context', () => {
  it('SharedMutex lock + lockShared + Semaphore.acquire on one task context', async () => {
    const rw = new SharedMutex();
    const sem = new Semaphore(1, 0);
    const reader = await rw.lockShared();
    const waits: Promise<unknown>[] = [];
    const t = task.withContext(async (ctx) => {
      waits.push(rw.lock({ signal: ctx }), rw.lockShared({ signal: ctx }));
      waits.push(sem.acquire({ signal: ctx }));
      return Promise.all(waits);
    })();
    t.start();
    await flush();
    t.requestStop();
    // Before the fix the semaphore waiter was never woken and this hung.
    const results = await Promise.race([t, flush(10).then(() => 'hung' as const)]);
    expect(results).not.toBe('hung');
    const [exclusive, shared, permit] = results as unknown[];
    expect(exclusive).toBe('cancelled');
    expect(permit).toBe('cancelled');
    // Cancelling the exclusive waiter admits the shared one in the same step, which removes its
    // registration while the stop is being delivered: the case that used to skip the rest.
    if (shared !== 'cancelled') (shared as { unlock(): void }).unlock();
    expect(sem.waiterCount).toBe(0);
    expect(rw.waiterCount).toBe(0);
    reader.unlock();
  });
});

describe('durations', () => {
  it('a timeout above 2^31-1 ms does not fire early', async () => {
    const mutex = new Mutex();
    const held = await mutex.lock();
    const event = new Event();
    const source = new StopSource();
    const lock = mutex.lock({ timeout: 2 ** 31, signal: source.token });
    const wait = event.wait({ timeout: 2 ** 31 + 1000, signal: source.token });
    await new Promise((resolve) => setTimeout(resolve, 50));
    source.requestStop();
    expect(await lock).toBe('cancelled');
    expect(await wait).toBe(false);
    held.unlock();
  });

  it('a long timeout still fires, after at least its duration', async () => {
    vi.useFakeTimers();
    try {
      const event = new Event();
      let result: boolean | undefined;
      void event.wait({ timeout: 2 ** 31 + 10 }).then((r) => {
        result = r;
      });
      await vi.advanceTimersByTimeAsync(2 ** 31);
      expect(result).toBeUndefined();
      await vi.advanceTimersByTimeAsync(20);
      expect(result).toBe(false);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('timeout: Infinity waits without a timer', async () => {
    const event = new Event();
    vi.useFakeTimers();
    try {
      const waiting = event.wait({ timeout: Number.POSITIVE_INFINITY });
      expect(vi.getTimerCount()).toBe(0);
      event.set();
      expect(await waiting).toBe(true);
      const cv = new ConditionVariable();
      const mutex = new Mutex();
      const lock = await mutex.lock();
      const notified = cv.wait(lock, () => false, { timeout: Number.POSITIVE_INFINITY });
      await vi.advanceTimersByTimeAsync(0);
      expect(vi.getTimerCount()).toBe(0);
      expect(cv.waiterCount).toBe(1);
      void notified;
    } finally {
      vi.useRealTimers();
    }
  });

  it('bad durations are InvalidArgumentError at the call', () => {
    const event = new Event();
    for (const timeout of [-1, Number.NaN, '1', Number.NEGATIVE_INFINITY]) {
      expect(() => event.wait({ timeout } as never)).toThrow(InvalidArgumentError);
      expect(() => new Mutex().lock({ timeout } as never)).toThrow(InvalidArgumentError);
    }
  });
});

describe('misuse is always a CoroError', () => {
  it('bad signals, capacities and options', async () => {
    const mutex = new Mutex();
    const cases: (() => unknown)[] = [
      () => mutex.lock({ signal: 'x' } as never),
      () => new Event().wait({ signal: {} } as never),
      () => new Semaphore(1).acquire({ signal: 42 } as never),
      () => new Queue().pop({ signal: 'x' } as never),
      () => new RingBuffer(2 ** 32),
      () => new RingBuffer(1).produce(1, { signal: [] } as never),
      () => new WaitGroup(-1),
      () => new WaitGroup(1.5),
      () => new Latch(1).wait({ timeout: -5 }),
      () => new Queue().iterate({ signal: 'x' } as never),
    ];
    for (const call of cases) {
      let thrown: unknown;
      try {
        call();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(CoroError);
      expect((thrown as CoroError).code).toBe('ERR_CORO_INVALID_ARGUMENT');
    }
  });
});

describe('one precedence rule: an already-stopped signal answers cancelled', () => {
  it('applies to every primitive, shut down or not', async () => {
    const signal = AbortSignal.abort('gone');
    const sem = new Semaphore(1);
    sem.shutdown();
    expect(await sem.acquire({ signal })).toBe('cancelled');
    const rb = new RingBuffer<number>(1);
    rb.shutdown();
    expect(await rb.produce(1, { signal })).toBe('cancelled');
    expect(await rb.consume({ signal })).toEqual({ ok: false, error: 'cancelled' });
    const q = new Queue<number>();
    q.shutdown();
    expect(await q.pop({ signal })).toEqual({ ok: false, error: 'cancelled' });
    const pool = new ObjectPool({ create: () => ({}), max: 1 });
    await pool.drain();
    expect(await pool.acquire({ signal })).toBe('cancelled');
  });
});

describe('ObjectPool', () => {
  it('refuses an option it does not take, naming it and what it takes', () => {
    const create = () => ({});
    for (const options of [
      { create, max: 1, valdate: () => true },
      { create, maxSize: 4 },
      { create, max: 1, onerror: () => {} },
    ]) {
      expect(() => new ObjectPool(options as never)).toThrow(InvalidArgumentError);
    }
    expect(() => new ObjectPool({ create, max: 1, destory: () => {} } as never)).toThrow(
      'ObjectPool: unknown option "destory" (it takes create, destroy, validate, max, onError)',
    );
    // Every documented option, and the ones left undefined, are fine.
    const pool = new ObjectPool({
      create,
      destroy: () => {},
      validate: () => true,
      max: 2,
      onError: () => {},
    });
    expect(pool.max).toBe(2);
    const sparse = { create, max: 1, destroy: undefined, validate: undefined, onError: undefined };
    expect(new ObjectPool(sparse).max).toBe(1);
  });

  it('acquire gives up on time while create() runs; the object joins the idle list', async () => {
    let finish: ((value: object) => void) | undefined;
    const pool = new ObjectPool<object>({
      create: () =>
        new Promise<object>((resolve) => {
          finish = resolve;
        }),
      max: 1,
    });
    vi.useFakeTimers();
    let result: unknown;
    try {
      void pool.acquire({ timeout: 20 }).then((r) => {
        result = r;
      });
      await vi.advanceTimersByTimeAsync(25);
    } finally {
      vi.useRealTimers();
    }
    expect(result).toBe('timeout');
    const made = {};
    finish?.(made);
    await flush();
    expect(pool.idle).toBe(1);
    expect(pool.size).toBe(1);
    const guard = await pool.acquire();
    expect(guard.value).toBe(made);
    guard.release();
  });

  it('a cancelled acquire during create hands the object to the next waiter', async () => {
    let finish: ((value: object) => void) | undefined;
    const pool = new ObjectPool<object>({
      create: () =>
        new Promise<object>((resolve) => {
          finish = resolve;
        }),
      max: 1,
    });
    const source = new StopSource();
    const first = pool.acquire({ signal: source.token });
    const second = pool.acquire();
    source.requestStop();
    expect(await first).toBe('cancelled');
    const made = {};
    finish?.(made);
    const guard = await second;
    expect(guard.value).toBe(made);
    expect(pool.lent).toBe(1);
    guard.release();
  });

  it('an object made while draining is destroyed', async () => {
    let finish: ((value: object) => void) | undefined;
    const destroyed: object[] = [];
    const pool = new ObjectPool<object>({
      create: () =>
        new Promise<object>((resolve) => {
          finish = resolve;
        }),
      destroy: (o) => {
        destroyed.push(o);
      },
      max: 1,
    });
    expect(await Promise.race([pool.acquire({ timeout: 0 }), flush().then(() => 'pending')])).toBe(
      'timeout',
    );
    const drained = pool.drain();
    const made = {};
    finish?.(made);
    await drained;
    expect(destroyed).toEqual([made]);
    expect(pool.size).toBe(0);
  });

  it('create() returning an object already lent fails at once, counts intact', async () => {
    const only = { id: 1 };
    const pool = new ObjectPool({ create: () => only, max: 2 });
    const first = await pool.acquire();
    const error = await pool.acquire().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CoroError);
    expect((error as CoroError).code).toBe('ERR_CORO_OBJECT_IN_USE');
    expect(pool.size).toBe(1);
    expect(pool.lent).toBe(1);
    first.release();
    expect(pool.idle).toBe(1);
    const again = await pool.acquire();
    expect(again.value).toBe(only);
    again.release();
  });
});

describe('WaitGroup', () => {
  it('takes an initial count', async () => {
    const group = new WaitGroup(2);
    expect(group.count).toBe(2);
    let done = false;
    void group.wait().then(() => {
      done = true;
    });
    group.done();
    await flush();
    expect(done).toBe(false);
    group.done();
    await flush();
    expect(done).toBe(true);
  });
});

describe('SharedMutex holds', () => {
  it('a guard releases exactly its own hold; bare unlockShared ends the oldest', async () => {
    const rw = new SharedMutex();
    const a = await rw.lockShared();
    const b = await rw.lockShared();
    const c = await rw.lockShared();
    b.unlock();
    expect([a.isHeld, b.isHeld, c.isHeld]).toEqual([true, false, true]);
    rw.unlockShared();
    expect([a.isHeld, c.isHeld]).toEqual([false, true]);
    expect(rw.sharedCount).toBe(1);
    c.unlock();
    expect(rw.sharedCount).toBe(0);
  });
});

describe('stoppable iteration', () => {
  for (const kind of ['Queue', 'RingBuffer'] as const) {
    const make = () => (kind === 'Queue' ? new Queue<number>() : new RingBuffer<number>(4));
    const put = (c: Queue<number> | RingBuffer<number>, v: number) =>
      c instanceof Queue ? c.push(v) : c.tryProduce(v);

    it(`${kind}: return() ends the iterator, a pending next() resolves done`, async () => {
      const channel = make();
      const iterator = channel[Symbol.asyncIterator]();
      const pending = iterator.next();
      await flush();
      expect(await iterator.return?.()).toEqual({ done: true, value: undefined });
      expect(await pending).toEqual({ done: true, value: undefined });
      put(channel, 1);
      expect(await iterator.next()).toEqual({ done: true, value: undefined });
      // Nothing was consumed by the ended iterator.
      expect(channel.size).toBe(1);
      expect(channel.waiterCount).toBe(0);
    });

    it(`${kind}: for await over iterate({ signal }) stops with the signal`, async () => {
      const channel = make();
      const controller = new AbortController();
      put(channel, 1);
      put(channel, 2);
      const seen: number[] = [];
      const loop = (async () => {
        for await (const v of channel.iterate({ signal: controller.signal })) {
          seen.push(v);
          if (seen.length === 2) setImmediate(() => controller.abort());
        }
        return 'ended';
      })();
      expect(await loop).toBe('ended');
      expect(seen).toEqual([1, 2]);
      expect(channel.waiterCount).toBe(0);
      expect(channel.isStopped).toBe(false);
    });

    it(`${kind}: iterate with an already-stopped signal yields nothing`, async () => {
      const channel = make();
      put(channel, 1);
      const iterator = channel.iterate({ signal: AbortSignal.abort() });
      expect(await iterator.next()).toEqual({ done: true, value: undefined });
      expect(channel.size).toBe(1);
    });
  }
});
