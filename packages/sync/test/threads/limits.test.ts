// Sizes that cannot be allocated and durations at their edges, for every threads primitive.
import type { WaitOptions } from '@coro/task';
import { describe, expect, it } from 'vitest';
import {
  ConditionVariable,
  Event,
  InvalidArgumentError,
  Latch,
  Mutex,
  Queue,
  RingBuffer,
  Semaphore,
  SharedMutex,
  WaitGroup,
} from '../../src/threads/index.ts';
import { turn } from './helpers.ts';

describe('threads constructors refuse sizes that cannot be allocated', () => {
  it('RingBuffer: capacity × slotBytes beyond the limit is InvalidArgumentError naming it', () => {
    expect(() => new RingBuffer(2 ** 26, { slotBytes: 2 ** 24 })).toThrow(InvalidArgumentError);
    expect(() => new RingBuffer(2 ** 26, { slotBytes: 2 ** 24 })).toThrow(/2147483648 bytes/);
    expect(() => new RingBuffer(2 ** 32)).toThrow(InvalidArgumentError);
  });

  it('Queue: maxCapacity × slotBytes beyond the limit is InvalidArgumentError naming it', () => {
    expect(() => new Queue({ maxCapacity: 2 ** 26, slotBytes: 2 ** 24 })).toThrow(
      InvalidArgumentError,
    );
    expect(() => new Queue({ maxCapacity: 2 ** 26, slotBytes: 2 ** 24 })).toThrow(
      /2147483648 bytes/,
    );
    expect(() => new Queue({ maxCapacity: 2 ** 32 })).toThrow(InvalidArgumentError);
    // A Queue's own option is named as the Queue's (it said "RingBuffer slotBytes").
    expect(() => new Queue({ slotBytes: 2 ** 25 })).toThrow(/^Queue slotBytes/);
    expect(() => new Queue({ maxCapacity: 2 ** 26, slotBytes: 2 ** 24 })).toThrow(
      /^Queue maxCapacity/,
    );
    expect(() => new RingBuffer(4, { slotBytes: 2 ** 25 })).toThrow(/^RingBuffer slotBytes/);
  });

  it('every constructor: out-of-range numbers are InvalidArgumentError, never RangeError', () => {
    const attempts: Array<() => unknown> = [
      () => new Mutex({ maxWaiters: 2 ** 32 }),
      () => new SharedMutex({ maxWaiters: 2 ** 21 }),
      () => new Semaphore(2 ** 32),
      () => new Semaphore(1, 2 ** 32),
      () => new Latch(2 ** 32),
      () => new WaitGroup(2 ** 32),
      () => new Event(false, { maxWaiters: -1 }),
      () => new ConditionVariable({ maxWaiters: 0.5 }),
      () => new RingBuffer(1, { slotBytes: 2 ** 32 }),
      () => new Queue({ initialCapacity: 2 ** 32 }),
    ];
    for (const attempt of attempts) expect(attempt).toThrow(InvalidArgumentError);
  });
});

/** Every blocking call of the threads primitives, made to wait (nothing is ready), and a way to end them all. */
function waits(options: { timeout?: number }) {
  const mutex = new Mutex();
  mutex.tryLock();
  const rw = new SharedMutex();
  rw.tryLock();
  const semaphore = new Semaphore(1, 0);
  const event = new Event();
  const latch = new Latch(1);
  const group = new WaitGroup(1);
  const ring = new RingBuffer(1);
  const queue = new Queue();
  const held = new Mutex();
  const condition = new ConditionVariable();
  const cases = [
    ['Mutex.lock', () => mutex.lock(options)],
    ['SharedMutex.lockShared', () => rw.lockShared(options)],
    ['Semaphore.acquire', () => semaphore.acquire(options)],
    ['Event.wait', () => event.wait(options)],
    ['Latch.wait', () => latch.wait(options)],
    ['WaitGroup.wait', () => group.wait(options)],
    ['RingBuffer.consume', () => ring.consume(options)],
    ['Queue.pop', () => queue.pop(options)],
    ['ConditionVariable.wait', async () => condition.wait(await held.lock(), options)],
  ] as const;
  const finish = (): void => {
    mutex.unlock();
    rw.unlock();
    semaphore.shutdown();
    event.set();
    latch.countDown();
    group.done();
    ring.shutdown();
    queue.shutdown();
    condition.notifyAll();
  };
  return { cases, finish };
}

describe('threads timeouts follow the duration rules', () => {
  it('Infinity and more than 2^31-1 ms mean a wait that does not end early', async () => {
    for (const timeout of [Infinity, 2 ** 31, 2 ** 40]) {
      const { cases, finish } = waits({ timeout });
      const started = cases.map(([name, wait]) => {
        const state = { name, settled: false };
        void Promise.resolve(wait()).then(
          () => {
            state.settled = true;
          },
          () => {
            state.settled = true;
          },
        );
        return state;
      });
      // Node fires an overflowing setTimeout after 1 ms: wait well past that.
      await new Promise((resolve) => setTimeout(resolve, 30));
      await turn();
      expect(started.filter((s) => s.settled).map((s) => s.name)).toEqual([]);
      finish();
    }
  });

  it('0 means "only if ready now"', async () => {
    for (const [name, wait] of waits({ timeout: 0 }).cases) {
      const result = await wait();
      expect([false, 'timeout', { ok: false, error: 'timeout' }], name).toContainEqual(result);
    }
  });

  it('negative, NaN and non-number timeouts are InvalidArgumentError at the call', async () => {
    for (const timeout of [-1, Number.NaN, '5' as unknown as number, -Infinity]) {
      for (const [name, wait] of waits({ timeout }).cases) {
        await expect(
          (async () => wait())(),
          `${name} with timeout ${String(timeout)}`,
        ).rejects.toThrow(InvalidArgumentError);
      }
    }
  });
});

describe('threads waits refuse bad options at the call, as their single-loop twins do', () => {
  /** Every call of the threads primitives that takes `{ signal, timeout }`, given `options`. */
  function calls(options: unknown): [string, () => unknown][] {
    const o = options as WaitOptions;
    const lock = new Mutex().tryLock()!;
    return [
      ['Mutex.lock', () => new Mutex().lock(o)],
      ['SharedMutex.lock', () => new SharedMutex().lock(o)],
      ['SharedMutex.lockShared', () => new SharedMutex().lockShared(o)],
      ['Semaphore.acquire', () => new Semaphore(1).acquire(o)],
      ['Event.wait', () => new Event().wait(o)],
      ['Latch.wait', () => new Latch(1).wait(o)],
      ['WaitGroup.wait', () => new WaitGroup(1).wait(o)],
      ['RingBuffer.produce', () => new RingBuffer(1).produce(1, o)],
      ['RingBuffer.consume', () => new RingBuffer(1).consume(o)],
      ['Queue.pop', () => new Queue().pop(o)],
      ['ConditionVariable.wait', () => new ConditionVariable().wait(lock, o)],
      [
        'ConditionVariable.wait(predicate)',
        () => new ConditionVariable().wait(lock, () => true, o),
      ],
    ];
  }

  const bad: [string, unknown][] = [
    ['timeout -1', { timeout: -1 }],
    ['timeout NaN', { timeout: Number.NaN }],
    ["timeout '5'", { timeout: '5' }],
    ['timeout -Infinity', { timeout: Number.NEGATIVE_INFINITY }],
    ['a signal that is none', { signal: 'soon' }],
    ['null options', null],
    ['options 5', 5],
  ];

  it.each(bad)(
    '%s throws InvalidArgumentError synchronously, never a rejected promise',
    (_, options) => {
      for (const [name, call] of calls(options)) {
        let outcome: string;
        try {
          const result = call();
          // A rejected promise here is the defect: handle it, and say so.
          if (result instanceof Promise) result.catch(() => {});
          outcome = 'returned';
        } catch (error) {
          outcome = error instanceof InvalidArgumentError ? 'InvalidArgumentError' : String(error);
        }
        expect(outcome, name).toBe('InvalidArgumentError');
      }
    },
  );

  it('an item of the wrong kind is refused by produce() at the call too', () => {
    expect(() => new RingBuffer(1).produce('text' as unknown as number)).toThrow(
      InvalidArgumentError,
    );
  });
});
