import { describe, expect, it, vi } from 'vitest';
import {
  InvalidArgumentError,
  SettledResult,
  StopSource,
  syncWait,
  type TaskContext,
  task,
  whenAll,
  whenAllSettled,
  whenAny,
  whenAnyIndexed,
} from '../src/index.ts';
import { deferred, failOnUnhandledRejections, flush } from './utils/unhandled.ts';

failOnUnhandledRejections();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const delayed = task(async (ms: number, value: number) => {
  await sleep(ms);
  return value;
});

/** A task that waits until stopped, and records that it was. */
function stoppable(log: string[], name: string) {
  return task.withContext(async (ctx: TaskContext) => {
    await new Promise<void>((resolve) => ctx.stopToken.onStop(() => resolve()));
    log.push(`${name} stopped`);
    return name;
  })();
}

describe('whenAll', () => {
  it('is lazy and keeps the order of results', async () => {
    const body = vi.fn(async (x: number) => x);
    const all = whenAll([3, 1, 2].map((x) => task(body)(x)));
    await flush();
    expect(body).not.toHaveBeenCalled();
    expect(await all).toEqual([3, 1, 2]);
  });

  it('resolves in input order even when children finish out of order', async () => {
    expect(await whenAll([delayed(30, 1), delayed(1, 2), delayed(15, 3)])).toEqual([1, 2, 3]);
  });

  it('takes a tuple, variadic arguments, promises and iterables', async () => {
    const square = task(async (x: number) => x * x);
    const label = task(async (x: number) => `#${x}`);
    expect(await whenAll(square(3), label(4))).toEqual([9, '#4']);
    expect(await whenAll([square(2), label(5)] as const)).toEqual([4, '#5']);
    expect(await whenAll([Promise.resolve(1), square(2)])).toEqual([1, 4]);
    expect(await whenAll(new Set([square(1), square(2)]))).toEqual([1, 4]);
    expect(await whenAll([])).toEqual([]);
    expect(await whenAll()).toEqual([]);
  });

  it('adopts custom thenables', async () => {
    const thenable = {
      then: (resolve: (v: number) => void) => resolve(8),
    } as unknown as PromiseLike<number>;
    expect(await whenAll([thenable])).toEqual([8]);
  });

  it('on the first failure stops the others, waits for all, then rejects with that error', async () => {
    const log: string[] = [];
    const failure = new Error('first');
    const failing = task(async () => {
      await sleep(5);
      log.push('failing threw');
      throw failure;
    })();
    const all = whenAll([stoppable(log, 'a'), failing, stoppable(log, 'b')]);
    await expect(all).rejects.toBe(failure);
    expect(log).toEqual(['failing threw', 'a stopped', 'b stopped']);
  });

  it('awaited, through syncWait or through start(), a failure waits for every child', async () => {
    const ways: [string, (t: PromiseLike<unknown[]>) => Promise<unknown>][] = [
      ['await', async (t) => await t],
      ['syncWait', (t) => syncWait(t)],
      ['start', (t) => (t as ReturnType<typeof whenAll>).start()],
      ['then', (t) => new Promise((resolve, reject) => t.then(resolve, reject))],
    ];
    for (const [how, wait] of ways) {
      const slowDone = vi.fn();
      const slow = task(async () => {
        await sleep(20);
        slowDone();
      })();
      const failing = task(async () => {
        throw new Error(`fast ${how}`);
      })();
      const all = whenAll([failing, slow]);
      let error: unknown;
      try {
        await wait(all);
      } catch (e) {
        error = e;
      }
      expect((error as Error).message, how).toBe(`fast ${how}`);
      expect(slowDone, how).toHaveBeenCalled();
      // Awaiting the settled task again gives the same error, and a success stays a success.
      await expect(all).rejects.toThrow(`fast ${how}`);
    }
    const ok = whenAll([task(async () => 1)(), task(async () => 2)()]);
    expect(await ok).toEqual([1, 2]);
    expect(await syncWait(ok)).toEqual([1, 2]);
  });

  it('does not settle before a slow sibling finishes', async () => {
    const slowDone = vi.fn();
    const slow = task(async () => {
      await sleep(30);
      slowDone();
    })();
    const failing = task(async () => {
      throw new Error('fast');
    })();
    await expect(whenAll([failing, slow])).rejects.toThrow('fast');
    expect(slowDone).toHaveBeenCalled();
  });

  it('a second failure is swallowed, never unhandled', async () => {
    const a = task(async () => {
      throw new Error('a');
    })();
    const b = task(async () => {
      await sleep(1);
      throw new Error('b');
    })();
    await expect(whenAll([a, b])).rejects.toThrow('a');
  });

  // Many children are gathered another way (V8's Promise.all); the rules are the same.
  for (const size of [5, 200]) {
    it(`with ${size} children: results in order; first failure stops the rest, waits, rejects`, async () => {
      const values = await whenAll(Array.from({ length: size }, (_, i) => delayed(i % 3, i)));
      expect(values).toEqual(Array.from({ length: size }, (_, i) => i));

      const log: string[] = [];
      const first = new Error('first');
      const children: PromiseLike<unknown>[] = Array.from({ length: size }, (_, i) =>
        stoppable(log, `s${i}`),
      );
      const failAt = Math.floor(size / 2);
      children[failAt] = task(async () => {
        await sleep(5);
        log.push('failing threw');
        throw first;
      })();
      // A second failure after the first is swallowed, never unhandled.
      children[size - 1] = task(async () => {
        await sleep(20);
        throw new Error('second');
      })();
      const slowDone = vi.fn();
      children[0] = task(async () => {
        await sleep(40);
        slowDone();
      })();
      await expect(whenAll(children)).rejects.toBe(first);
      expect(slowDone).toHaveBeenCalled();
      expect(log[0]).toBe('failing threw');
      expect(log.length).toBe(size - 3 + 1);
    });
  }

  it('a stop request on the whenAll task reaches every child', async () => {
    const log: string[] = [];
    const all = whenAll([stoppable(log, 'x'), stoppable(log, 'y')]);
    all.start();
    await flush();
    all.requestStop();
    expect(await all).toEqual(['x', 'y']);
    expect(log).toEqual(['x stopped', 'y stopped']);
  });

  it('throws at the call for something that cannot be awaited', () => {
    expect(() => whenAll([task(async () => 1)(), 42 as never])).toThrow(InvalidArgumentError);
    expect(() => whenAll([task(async () => 1)(), 42 as never])).toThrow(/item 1 is number/);
    expect(() => whenAll(null as never, 1 as never)).toThrow(InvalidArgumentError);
  });

  it('does not see later changes to the array it was given', async () => {
    const list = [task(async () => 1)()];
    const all = whenAll(list);
    list.push(task(async () => 2)());
    expect(await all).toEqual([1]);
  });
});

describe('whenAllSettled', () => {
  it('waits for every child and returns value() that returns or rethrows', async () => {
    const error = new Error('no');
    const results = await whenAllSettled([
      task(async () => 1)(),
      task(async () => {
        throw error;
      })(),
    ]);
    expect(results[0]).toBeInstanceOf(SettledResult);
    expect(results[0]!.value()).toBe(1);
    expect(results[0]!.ok).toBe(true);
    expect(results[1]!.status).toBe('rejected');
    expect(results[1]!.reason).toBe(error);
    expect(() => results[1]!.value()).toThrow(error);
    expect(results[1]!.toExpected()).toEqual({ ok: false, error });
    expect(results[0]!.toExpected()).toEqual({ ok: true, value: 1 });
  });

  it('types a tuple of settled results', async () => {
    const [n, s] = await whenAllSettled(task(async () => 1)(), task(async () => 'a')());
    expect(n.value() + 1).toBe(2);
    expect(s.value().toUpperCase()).toBe('A');
  });

  it('does not stop siblings when one fails', async () => {
    const log: string[] = [];
    const slow = task(async () => {
      await sleep(10);
      log.push('slow finished');
      return 'slow';
    })();
    const results = await whenAllSettled([
      task(async () => {
        throw new Error('x');
      })(),
      slow,
    ]);
    expect(log).toEqual(['slow finished']);
    expect(results[1]!.value()).toBe('slow');
  });
});

describe('whenAny', () => {
  it('settles with the first value and asks the losers to stop', async () => {
    const log: string[] = [];
    const result = await whenAny([stoppable(log, 'loser'), delayed(5, 7)]);
    expect(result).toBe(7);
    await flush();
    expect(log).toEqual(['loser stopped']);
  });

  it('settles with the first error', async () => {
    const log: string[] = [];
    const failing = task(async () => {
      await sleep(1);
      throw new Error('first to settle');
    })();
    await expect(whenAny([failing, stoppable(log, 'other')])).rejects.toThrow('first to settle');
    await flush();
    expect(log).toEqual(['other stopped']);
  });

  it("swallows the losers' later errors", async () => {
    const loser = task(async () => {
      await sleep(10);
      throw new Error('late loser');
    })();
    expect(await whenAny([delayed(1, 1), loser])).toBe(1);
    await sleep(20);
  });

  it('requests stop on a shared stopSource', async () => {
    const source = new StopSource();
    const shared = task(async () => {
      await new Promise<void>((resolve) => source.token.onStop(() => resolve()));
      return -1;
    })();
    expect(await whenAny([shared, delayed(1, 1)], { stopSource: source })).toBe(1);
    expect(source.stopRequested).toBe(true);
  });

  it('whenAnyIndexed tells which child won', async () => {
    // The loser waits until stopped rather than for a longer timer: two timers armed one after
    // the other can fire in either order when the process is preempted in between.
    const loser = stoppable([], 'loser');
    expect(await whenAnyIndexed([loser, delayed(1, 2)])).toEqual({ index: 1, value: 2 });
  });

  it('is lazy', async () => {
    const body = vi.fn(async () => 1);
    const any = whenAny([task(body)()]);
    await flush();
    expect(body).not.toHaveBeenCalled();
    expect(await any).toBe(1);
  });

  it('throws at the call for an empty list or a bad argument', () => {
    expect(() => whenAny([])).toThrow(InvalidArgumentError);
    expect(() => whenAny([])).toThrow(/at least one/);
    expect(() => whenAnyIndexed([])).toThrow(InvalidArgumentError);
    expect(() => whenAny(task(async () => 1)() as never)).toThrow(InvalidArgumentError);
    expect(() => whenAny([1 as never])).toThrow(InvalidArgumentError);
  });

  it('a stop on the whenAny task reaches every child', async () => {
    const log: string[] = [];
    const gate = deferred<string>();
    const any = whenAny([stoppable(log, 'p'), gate.promise]);
    any.start();
    await flush();
    any.requestStop();
    expect(await any).toBe('p');
    expect(log).toEqual(['p stopped']);
    gate.resolve('never used');
  });

  it('a stop on the whenAny task reaches its stopSource too, with the reason', async () => {
    const source = new StopSource();
    const reasons: unknown[] = [];
    // Children that watch only the shared source, not their own stop token.
    const watcher = task(async (name: string) => {
      const reason = await new Promise((resolve) => source.token.onStop(resolve));
      reasons.push(reason);
      return name;
    });
    for (const indexed of [false, true]) {
      reasons.length = 0;
      const shared = new StopSource();
      const own = task(async () => {
        const reason = await new Promise((resolve) => shared.token.onStop(resolve));
        reasons.push(reason);
        return 'own';
      });
      const options = { stopSource: shared };
      const any = indexed
        ? whenAnyIndexed([own(), own()], options)
        : whenAny([own(), own()], options);
      const settled = any.start();
      await flush();
      expect(any.requestStop('outer')).toBe(true);
      expect(shared.stopRequested).toBe(true);
      expect(shared.token.reason).toBe('outer');
      const value = await Promise.race([settled, sleep(2000).then(() => 'still pending')]);
      expect(value).toEqual(indexed ? { index: 0, value: 'own' } : 'own');
      expect(reasons).toEqual(['outer', 'outer']);
    }
    // Stopped before it starts: the source is stopped at once, and the children end when it runs.
    const early = whenAny([watcher('a'), watcher('b')], { stopSource: source });
    early.requestStop('early');
    expect(source.stopRequested).toBe(true);
    expect(await early).toBe('a');
    // Through a stopWith parent as well.
    const parent = new StopSource();
    const linked = new StopSource();
    const child = task(async () => {
      await new Promise((resolve) => linked.token.onStop(resolve));
      return 'linked';
    });
    const viaParent = whenAny([child()], { stopSource: linked }).stopWith(parent.token);
    const viaParentResult = viaParent.start();
    parent.requestStop('parent');
    expect(linked.token.reason).toBe('parent');
    expect(await viaParentResult).toBe('linked');
    // A source that had already stopped is left as it was.
    const done = new StopSource();
    done.requestStop('first');
    const late = whenAny([delayed(1, 1)], { stopSource: done });
    const lateResult = late.start();
    late.requestStop('second');
    expect(done.token.reason).toBe('first');
    expect(await lateResult.catch(() => 'rejected')).toBe(1);
  });

  it('without a stopSource, a stop from outside still reaches only the children', async () => {
    const log: string[] = [];
    const reasons: unknown[] = [];
    const watch = task.withContext(async (ctx: TaskContext) => {
      reasons.push(await new Promise((resolve) => ctx.stopToken.onStop(resolve)));
      log.push('child stopped');
      return 'child';
    });
    const any = whenAny([watch(), watch()]);
    const settled = any.start();
    await flush();
    expect(any.requestStop('outer')).toBe(true);
    expect(await settled).toBe('child');
    expect(log).toEqual(['child stopped', 'child stopped']);
    expect(reasons).toEqual(['outer', 'outer']);
  });
});
