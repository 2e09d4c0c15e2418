import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  InvalidArgumentError,
  NotAcquiredError,
  ObjectPool,
  PoolGuard,
  ShutdownError,
} from '../src/index.ts';
import { flush } from './utils/flush.ts';

afterEach(() => {
  vi.useRealTimers();
});

interface Conn {
  id: number;
  broken: boolean;
}

function makePool(max: number, extra: { validate?: (c: Conn) => boolean } = {}) {
  let next = 1;
  const destroyed: number[] = [];
  const pool = new ObjectPool<Conn>({
    create: async () => ({ id: next++, broken: false }),
    destroy: (c) => {
      destroyed.push(c.id);
    },
    max,
    ...extra,
  });
  return { pool, destroyed };
}

describe('ObjectPool', () => {
  it('creates on demand up to max and reuses what is given back', async () => {
    const { pool } = makePool(2);
    const a = await pool.acquire();
    const b = await pool.acquire();
    expect(a).toBeInstanceOf(PoolGuard);
    expect([a.value.id, b.value.id]).toEqual([1, 2]);
    expect(pool.size).toBe(2);
    expect(pool.lent).toBe(2);
    a.release();
    expect(pool.idle).toBe(1);
    const c = await pool.acquire();
    expect(c.value.id).toBe(1);
    c.release();
    b.release();
  });

  it('makes acquirers wait when all are lent, first come first served', async () => {
    const { pool } = makePool(1);
    const first = await pool.acquire();
    const order: number[] = [];
    const waits = [1, 2].map((i) =>
      pool.acquire().then((g) => {
        order.push(i);
        return g;
      }),
    );
    await flush();
    expect(pool.waiterCount).toBe(2);
    first.release();
    const second = await waits[0]!;
    expect(second.value.id).toBe(1);
    second.release();
    (await waits[1]!).release();
    expect(order).toEqual([1, 2]);
    expect(pool.size).toBe(1);
  });

  it('releases on scope exit with using', async () => {
    const { pool } = makePool(1);
    {
      using conn = await pool.acquire();
      expect(conn.isHeld).toBe(true);
    }
    expect(pool.idle).toBe(1);
  });

  it('a guard released twice throws NotAcquiredError and releases nothing twice', async () => {
    const { pool } = makePool(1);
    const a = await pool.acquire();
    a.release();
    const b = await pool.acquire(); // the same object, lent again
    expect(b.value).toBe(a.value);
    expect(() => a.release()).toThrow(NotAcquiredError);
    a[Symbol.dispose]();
    expect(b.isHeld).toBe(true);
    expect(pool.lent).toBe(1);
    expect(() => pool.release({ id: 99, broken: false })).toThrow(NotAcquiredError);
    try {
      a.release();
    } catch (error) {
      expect((error as NotAcquiredError).code).toBe('ERR_CORO_NOT_ACQUIRED');
    }
    b.release();
  });

  it('validate discards broken objects through destroy and replaces them', async () => {
    const { pool, destroyed } = makePool(1, { validate: (c) => !c.broken });
    const a = await pool.acquire();
    const waiting = pool.acquire();
    a.value.broken = true;
    a.release();
    const b = await waiting;
    expect(destroyed).toEqual([1]);
    expect(b.value.id).toBe(2);
    b.release();
    b.value.broken = true;
    const c = await pool.acquire();
    expect(destroyed).toEqual([1, 2]);
    expect(c.value.id).toBe(3);
    expect(pool.size).toBe(1);
    c.release();
  });

  it('validate discards only for false or a throw: undefined keeps the object', async () => {
    let verdict: () => unknown = () => undefined;
    const { pool, destroyed } = makePool(1, { validate: () => verdict() as boolean });
    const a = await pool.acquire();
    a.release(); // validated on the way back
    expect(pool.idle).toBe(1);
    const b = await pool.acquire(); // and again before it is lent
    expect(b.value).toBe(a.value);
    expect(destroyed).toEqual([]);
    verdict = () => {
      throw new Error('broken');
    };
    b.release();
    expect(destroyed).toEqual([1]);
    verdict = () => false;
    const c = await pool.acquire();
    c.release();
    expect(destroyed).toEqual([1, 2]);
    expect(pool.size).toBe(0);
  });

  it('a validate that returns a Promise is refused with InvalidArgumentError, and the object discarded', async () => {
    let verdict: () => unknown = () => true;
    const { pool, destroyed } = makePool(1, { validate: () => verdict() as boolean });
    const a = await pool.acquire();
    const waiting = pool.acquire(); // max 1: waits for a
    verdict = () => Promise.resolve(true);
    expect(() => a.release()).toThrow(InvalidArgumentError);
    expect(a.isHeld).toBe(false);
    expect(destroyed).toEqual([1]);
    const b = await waiting; // the freed slot makes a new object for the waiter
    expect(b.value.id).toBe(2);
    verdict = () => true;
    b.release();
    // When acquire() checks an idle object; a rejecting promise is not left unhandled.
    verdict = () => Promise.reject(new Error('an async check'));
    await expect(pool.acquire()).rejects.toThrow(/validate must be synchronous/);
    expect(destroyed).toEqual([1, 2]);
    expect(pool.size).toBe(0);
    verdict = () => true;
    const c = await pool.acquire();
    expect(c.value.id).toBe(3);
    c.release();
    expect(pool.idle).toBe(1);
  });

  it('refuses a validate that is not a function, or an async function, at construction', () => {
    for (const validate of ['yes', async () => true]) {
      expect(() => new ObjectPool({ create: () => ({}), validate, max: 1 } as never)).toThrow(
        InvalidArgumentError,
      );
    }
  });

  it('drain() destroys idle objects now and lent ones when given back', async () => {
    const { pool, destroyed } = makePool(3);
    const a = await pool.acquire();
    const b = await pool.acquire();
    b.release();
    let drainedYet = false;
    const drained = pool.drain().then(() => {
      drainedYet = true;
    });
    expect(destroyed).toEqual([2]);
    await flush();
    expect(drainedYet).toBe(false);
    a.release();
    await drained;
    expect(destroyed).toEqual([2, 1]);
    expect(pool.size).toBe(0);
    await expect(pool.acquire()).rejects.toThrow(ShutdownError);
    expect(await pool.acquire({ timeout: 10 })).toBe('shutdown');
  });

  it("drain() wakes waiters: 'shutdown' with options, ShutdownError without", async () => {
    const { pool } = makePool(1);
    const a = await pool.acquire();
    const plain = pool.acquire();
    const withOptions = pool.acquire({ timeout: 10_000 });
    const drained = pool.drain();
    await expect(plain).rejects.toBeInstanceOf(ShutdownError);
    expect(await withOptions).toBe('shutdown');
    a.release();
    await drained;
  });

  it('a failing create rejects its acquire and frees the slot', async () => {
    let fail = true;
    const pool = new ObjectPool({
      create: async () => {
        if (fail) throw new Error('no connection');
        return {};
      },
      max: 1,
    });
    await expect(pool.acquire()).rejects.toThrow('no connection');
    expect(pool.size).toBe(0);
    fail = false;
    const g = await pool.acquire();
    expect(pool.size).toBe(1);
    g.release();
  });

  it("gives up with 'timeout' / 'cancelled', leaving no waiter or timer", async () => {
    vi.useFakeTimers();
    const { pool } = makePool(1);
    const a = await pool.acquire();
    const timed = pool.acquire({ timeout: 10 });
    const controller = new AbortController();
    const cancelled = pool.acquire({ signal: controller.signal });
    controller.abort();
    vi.advanceTimersByTime(10);
    expect(await timed).toBe('timeout');
    expect(await cancelled).toBe('cancelled');
    expect(await pool.acquire({ timeout: 0 })).toBe('timeout');
    expect(pool.waiterCount).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    a.release();
    expect(pool.idle).toBe(1);
  });

  it('rejects bad options at once', () => {
    expect(() => new ObjectPool({ create: () => 1, max: 0 })).toThrow(InvalidArgumentError);
    expect(() => new ObjectPool({ max: 1 } as never)).toThrow(InvalidArgumentError);
  });
});
