import { StopSource } from '@coro/task';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, Latch, NegativeCountError, WaitGroup } from '../src/index.ts';
import { flush } from './utils/flush.ts';

describe('Latch', () => {
  it('resumes waiters once counted down to zero', async () => {
    const latch = new Latch(3);
    let done = false;
    const waiting = latch.wait().then((v) => {
      done = true;
      return v;
    });
    latch.countDown();
    latch.countDown();
    await flush();
    expect(done).toBe(false);
    expect(latch.remaining).toBe(1);
    expect(latch.isReady).toBe(false);
    latch.countDown();
    expect(await waiting).toBe(true);
    expect(latch.isReady).toBe(true);
    expect(latch.waiterCount).toBe(0);
  });

  it('counts down by n and stays ready past zero', async () => {
    const latch = new Latch(5);
    latch.countDown(3);
    expect(latch.remaining).toBe(2);
    latch.countDown(10);
    expect(latch.remaining).toBe(0);
    latch.countDown();
    expect(await latch.wait({ timeout: 0 })).toBe(true);
  });

  it('is ready at once with a count of 0', async () => {
    expect(await new Latch(0).wait()).toBe(true);
  });

  it('rejects bad counts at once', () => {
    expect(() => new Latch(-1)).toThrow(InvalidArgumentError);
    expect(() => new Latch(1.5)).toThrow(InvalidArgumentError);
    expect(() => new Latch(Number.NaN)).toThrow(/integer/);
    expect(() => new Latch(2).countDown(-1)).toThrow(InvalidArgumentError);
    try {
      new Latch(-1);
    } catch (error) {
      expect((error as InvalidArgumentError).code).toBe('ERR_CORO_INVALID_ARGUMENT');
    }
  });

  it('gives up on timeout or stop with false, leaving no waiter', async () => {
    const latch = new Latch(1);
    const source = new StopSource();
    const timed = latch.wait({ timeout: 5 });
    const stopped = latch.wait({ signal: source.token });
    source.requestStop();
    expect(await stopped).toBe(false);
    expect(await timed).toBe(false);
    expect(latch.waiterCount).toBe(0);
  });
});

describe('WaitGroup', () => {
  it('waits until every add is matched by done, and can be reused', async () => {
    const group = new WaitGroup();
    expect(await group.wait()).toBe(true);
    group.add(2);
    let finished = false;
    const waiting = group.wait().then(() => {
      finished = true;
    });
    group.done();
    await flush();
    expect(finished).toBe(false);
    expect(group.count).toBe(1);
    group.done();
    await waiting;
    expect(finished).toBe(true);
    group.add();
    expect(await group.wait({ timeout: 1 })).toBe(false);
    group.done();
    expect(group.waiterCount).toBe(0);
  });

  it('throws NegativeCountError and keeps the count when done() outnumbers add()', () => {
    const group = new WaitGroup();
    group.add(1);
    group.done();
    expect(() => group.done()).toThrow(NegativeCountError);
    expect(() => group.add(-2)).toThrow(/negative|become/);
    expect(group.count).toBe(0);
    try {
      group.done();
    } catch (error) {
      expect((error as NegativeCountError).code).toBe('ERR_CORO_NEGATIVE_COUNT');
    }
    expect(() => group.add(0.5)).toThrow(InvalidArgumentError);
  });

  it('is cancelled with false by an AbortSignal', async () => {
    const group = new WaitGroup();
    group.add();
    const controller = new AbortController();
    const waiting = group.wait({ signal: controller.signal });
    controller.abort();
    expect(await waiting).toBe(false);
    expect(group.waiterCount).toBe(0);
  });
});
