import { describe, expect, it, vi } from 'vitest';
import {
  CancelledError,
  CoroError,
  InvalidArgumentError,
  invoke,
  StopSource,
  syncWait,
  Task,
  type TaskContext,
  task,
} from '../src/index.ts';
import { deferred, failOnUnhandledRejections, flush } from './utils/unhandled.ts';

failOnUnhandledRejections();

describe('Task laziness', () => {
  it('runs nothing until awaited', async () => {
    const body = vi.fn(async (x: number) => x * 2);
    const make = task(body);
    const t = make(21);
    await flush();
    expect(body).not.toHaveBeenCalled();
    expect(t.isStarted).toBe(false);
    expect(await t).toBe(42);
    expect(body).toHaveBeenCalledTimes(1);
    expect(t.isStarted).toBe(true);
  });

  it('gives the same result to every await and runs the body once', async () => {
    const body = vi.fn(async () => ({ id: 1 }));
    const t = task(body)();
    const [a, b] = await Promise.all([t, t]);
    expect(a).toBe(b);
    expect(await t).toBe(a);
    expect(body).toHaveBeenCalledTimes(1);
  });

  it('gives the same error to every await', async () => {
    const error = new Error('boom');
    const t = task(async () => {
      throw error;
    })();
    await expect(t).rejects.toBe(error);
    await expect(t).rejects.toBe(error);
  });

  it('turns a synchronous throw into a rejection', async () => {
    const t = task(() => {
      throw new Error('sync');
    })();
    await expect(t).rejects.toThrow('sync');
  });

  it('accepts plain (non-async) functions and values', async () => {
    expect(await task((a: number, b: number) => a + b)(1, 2)).toBe(3);
  });

  it('passes zero, one, several and array arguments exactly', async () => {
    const seen = task(async (...args: unknown[]) => args);
    expect(await seen()).toEqual([]);
    expect(await seen(1)).toEqual([1]);
    expect(await seen(undefined)).toEqual([undefined]);
    expect(await seen([1, 2])).toEqual([[1, 2]]);
    expect(await seen(1, 'two', [3])).toEqual([1, 'two', [3]]);
  });

  it('passes two arguments (stored as a pair) exactly, in every call mode', async () => {
    const arrow = task(async (...args: unknown[]) => args);
    const fn = task(async function (this: TaskContext, ...args: unknown[]) {
      return [this.stopRequested, ...args];
    });
    const ctx = task.withContext(async (c, ...args: unknown[]) => [c.stopRequested, ...args]);
    const pairs: [unknown, unknown][] = [
      [1, 2],
      [undefined, undefined],
      [[1], [2, 3]],
      [[], 'x'],
    ];
    for (const [a, b] of pairs) {
      expect(await arrow(a, b)).toEqual([a, b]);
      expect(await fn(a, b)).toEqual([false, a, b]);
      expect(await ctx(a, b)).toEqual([false, a, b]);
      expect(await syncWait(arrow(a, b))).toEqual([a, b]);
    }
    const count = task(function (this: TaskContext, ..._args: unknown[]) {
      // biome-ignore lint/complexity/noArguments: the test reads the count the body sees.
      return arguments.length;
    });
    expect(await count(undefined, undefined)).toBe(2);
    expect(await count([1, 2])).toBe(1);
    expect(await invoke(async (...args: unknown[]) => args, [1], 2)).toEqual([[1], 2]);
  });

  it('a rejection of an unawaited started task is not reported as unhandled', async () => {
    const t = task(async () => {
      throw new Error('later');
    })();
    t.start();
    await flush();
    await flush();
    await expect(t).rejects.toThrow('later');
  });

  it('is a PromiseLike with catch and finally', async () => {
    const onFinally = vi.fn();
    const t = task(async () => {
      throw new Error('x');
    })();
    expect(await t.catch((e) => (e as Error).message)).toBe('x');
    await expect(task(async () => 1)().finally(onFinally)).resolves.toBe(1);
    expect(onFinally).toHaveBeenCalledTimes(1);
  });

  it('takes its name from the function or the options', () => {
    async function fetchUser() {}
    expect(task(fetchUser)().name).toBe('fetchUser');
    expect(task(async () => {}, { name: 'custom' })().name).toBe('custom');
    expect(Object.prototype.toString.call(task(fetchUser)())).toBe('[object Task]');
  });

  it('rejects a non-function at the call with a coded error', () => {
    for (const bad of [undefined, null, 42, 'fn', {}]) {
      expect(() => task(bad as never)).toThrow(InvalidArgumentError);
    }
    try {
      task(1 as never);
    } catch (error) {
      expect(error).toBeInstanceOf(CoroError);
      expect((error as CoroError).code).toBe('ERR_CORO_INVALID_ARGUMENT');
      expect((error as Error).message).toMatch(/expects a function, got number/);
    }
    expect(() => task.withContext(null as never)).toThrow(InvalidArgumentError);
    expect(() => invoke(5 as never)).toThrow(InvalidArgumentError);
  });
});

describe('Task.from and invoke', () => {
  it('wraps a running promise', async () => {
    const t = Task.from(Promise.resolve(5));
    expect(t.isStarted).toBe(true);
    expect(await t).toBe(5);
  });

  it('does not report a wrapped promise rejection as unhandled before it is awaited', async () => {
    const t = Task.from(Promise.reject(new Error('wrapped')));
    await flush();
    await expect(t).rejects.toThrow('wrapped');
  });

  it('wraps a thunk lazily', async () => {
    const thunk = vi.fn(() => 7);
    const t = Task.from(thunk, { name: 'seven' });
    expect(thunk).not.toHaveBeenCalled();
    expect(t.name).toBe('seven');
    expect(await t).toBe(7);
  });

  it('rejects a value that is neither', () => {
    expect(() => Task.from(42 as never)).toThrow(InvalidArgumentError);
  });

  it('invoke captures the arguments now and calls later', async () => {
    const fn = vi.fn(async (a: number, b: number) => a + b);
    const t = invoke(fn, 2, 3);
    expect(fn).not.toHaveBeenCalled();
    expect(await t).toBe(5);
    expect(fn).toHaveBeenCalledWith(2, 3);
  });
});

describe('task context and stop', () => {
  it('gives a function body its context as `this`', async () => {
    const t = task(async function (this: TaskContext, x: number) {
      return [this.name, this.stopRequested, x] as const;
    })(1);
    expect(await t).toEqual([undefined, false, 1]);
  });

  it('gives task.withContext bodies the context first', async () => {
    const make = task.withContext(async (ctx, a: number, b: string) => [ctx.stopRequested, a, b]);
    expect(await make(1, 'b')).toEqual([false, 1, 'b']);
    const none = task.withContext(async (ctx) => typeof ctx.stopToken.onStop);
    expect(await none()).toBe('function');
    const arrayArg = task.withContext(async (_ctx, list: number[]) => list.length);
    expect(await arrayArg([1, 2, 3])).toBe(3);
  });

  it('lets a running body see requestStop and finish cleanly', async () => {
    const started = deferred();
    const t = task.withContext(async (ctx) => {
      started.resolve();
      await new Promise<void>((resolve) => ctx.stopToken.onStop(() => resolve()));
      return 'stopped cleanly';
    })();
    t.start();
    await started.promise;
    expect(t.requestStop('enough')).toBe(true);
    expect(t.requestStop('again')).toBe(false);
    expect(await t).toBe('stopped cleanly');
    expect(t.stopToken.reason).toBe('enough');
  });

  it('a stop requested before start is visible when the body starts', async () => {
    const t = task.withContext(async (ctx) => {
      ctx.throwIfStopRequested();
      return 'ran';
    })();
    t.requestStop();
    await expect(t).rejects.toBeInstanceOf(CancelledError);
  });

  it('exposes the stop token as an AbortSignal', async () => {
    const t = task.withContext(async (ctx) => ctx.signal)();
    const signal = await t;
    expect(signal.aborted).toBe(false);
    t.requestStop('why');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('why');
  });

  it('stopWith links a child to its parent context, and unlinks when the child settles', async () => {
    const childStopped = vi.fn();
    const gate = deferred();
    const child = task.withContext(async (ctx) => {
      ctx.stopToken.onStop(childStopped);
      await gate.promise;
      return ctx.stopRequested;
    });
    const parent = task.withContext(async (ctx) => child().stopWith(ctx));
    const p = parent();
    p.start();
    await flush();
    p.requestStop('parent stop');
    expect(childStopped).toHaveBeenCalledWith('parent stop');
    gate.resolve();
    expect(await p).toBe(true);

    // After the child settles its link to a long-lived parent is gone.
    const source = new StopSource();
    const quick = task(async () => 1)().stopWith(source.token);
    // Linked when it starts (a task that never starts registers nothing).
    expect(source.token.registrationCount).toBe(0);
    quick.start();
    expect(source.token.registrationCount).toBe(1);
    await quick;
    await flush();
    expect(source.token.registrationCount).toBe(0);
  });

  it('stopWith accepts an AbortSignal and an already-stopped parent', async () => {
    const controller = new AbortController();
    const t = task
      .withContext(async (ctx) => {
        await new Promise<void>((resolve) => ctx.stopToken.onStop(() => resolve()));
        return ctx.stopToken.reason;
      })()
      .stopWith(controller.signal);
    t.start();
    controller.abort('aborted');
    expect(await t).toBe('aborted');

    const done = new StopSource();
    done.requestStop('early');
    const t2 = task(async () => 1)().stopWith(done.token);
    expect(t2.stopRequested).toBe(true);
  });
});
