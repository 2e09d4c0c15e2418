// biome-ignore-all lint/correctness/useYield: coroutines that finish without waiting are part of what is tested.
import { describe, expect, it, vi } from 'vitest';
import {
  type Continuation,
  dumpTasks,
  enableTracing,
  currentTask,
  InvalidArgumentError,
  resumeSoon,
  setImplicitStopInheritance,
  StopSource,
  type Suspendable,
  suspend,
  syncWait,
  type TaskContext,
  task,
  until,
  whenAll,
  whenAny,
} from '../src/index.ts';
import { deferred, failOnUnhandledRejections, flush } from './utils/unhandled.ts';

failOnUnhandledRejections();

/** A suspendable resumed from outside, to control exactly when a coroutine goes on. */
class Gate<T = void> implements Suspendable<T> {
  waiting: Continuation<T>[] = [];
  [suspend](continuation: Continuation<T>): void {
    this.waiting.push(continuation);
  }
  open(value: T): void {
    for (const c of this.waiting.splice(0)) c.resume(value);
  }
  break(error: unknown): void {
    for (const c of this.waiting.splice(0)) c.fail(error);
  }
}

describe('coroutine tasks (generator bodies)', () => {
  it('are lazy, run once and give every await the same result', async () => {
    const body = vi.fn(function* (x: number) {
      const y = (yield Promise.resolve(x)) as number;
      return { sum: x + y };
    });
    const t = task(body)(21);
    await flush();
    expect(body).not.toHaveBeenCalled();
    expect(t.isStarted).toBe(false);
    const [a, b] = await Promise.all([t, t]);
    expect(a).toEqual({ sum: 42 });
    expect(b).toBe(a);
    expect(await t).toBe(a);
    expect(body).toHaveBeenCalledTimes(1);
  });

  it('take no, one, an array and many arguments, and see their context as this', async () => {
    const none = task(function* () {
      return 'none';
    });
    const one = task(function* (list: number[]) {
      return list.length;
    });
    const many = task(function* (a: number, b: string, c: boolean) {
      return `${a}${b}${c}`;
    });
    const named = task(function* named(this: TaskContext) {
      return [this.name, this.stopRequested];
    });
    expect(await none()).toBe('none');
    expect(await one([1, 2, 3])).toBe(3);
    expect(await many(1, 'x', true)).toBe('1xtrue');
    expect(await named()).toEqual(['named', false]);
    const withCtx = task.withContext(function* (ctx: TaskContext, n: number) {
      return [ctx.stopToken.stopRequested, n];
    });
    expect(await withCtx(7)).toEqual([false, 7]);
  });

  it('resume with the value of a yielded promise, and see its rejection thrown at the yield', async () => {
    const t = task(function* () {
      const a = (yield Promise.resolve(1)) as number;
      try {
        yield Promise.reject(new Error('nope'));
        return 'not reached';
      } catch (error) {
        return `${a} ${(error as Error).message}`;
      }
    });
    expect(await t()).toBe('1 nope');
  });

  it('reject with an error the body does not catch, after its finally blocks ran', async () => {
    const cleaned = vi.fn();
    const t = task(function* () {
      try {
        yield Promise.resolve();
        throw new Error('boom');
      } finally {
        cleaned();
      }
    });
    await expect(t()).rejects.toThrow('boom');
    expect(cleaned).toHaveBeenCalledTimes(1);
  });

  it('wait on yielded tasks, async or coroutine, and on any thenable', async () => {
    const child = task(function* (x: number) {
      yield Promise.resolve();
      return x * 2;
    });
    const asyncChild = task(async (x: number) => x + 1);
    const thenable = { then: (resolve: (v: string) => void) => resolve('thenable') };
    const parent = task(function* () {
      const a = (yield child(5)) as number;
      const b = (yield asyncChild(5)) as number;
      const c = (yield thenable) as string;
      return [a, b, c];
    });
    expect(await parent()).toEqual([10, 6, 'thenable']);
  });

  it('delegate to plain generators with yield*', async () => {
    function* twice(p: Promise<number>): Generator<unknown, number, number> {
      const v = yield p;
      return v * 2;
    }
    const t = task(function* () {
      const a = yield* twice(Promise.resolve(2));
      const b = yield* twice(Promise.resolve(a));
      return b;
    });
    expect(await t()).toBe(8);
  });

  it('throw an InvalidArgumentError at a yield of something that cannot be waited on', async () => {
    const caught = task(function* () {
      try {
        yield 42;
      } catch (error) {
        return error;
      }
    });
    const error = await caught();
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(String(error)).toMatch(/got number/);
    const uncaught = task(function* () {
      // A forgotten call: the function itself is yielded.
      yield Promise.resolve;
    });
    await expect(uncaught()).rejects.toThrow(/got a function \(resolve\)/);
  });

  it('adopt a promise or task they return', async () => {
    const t = task(function* () {
      return Promise.resolve('adopted');
    });
    expect(await t()).toBe('adopted');
    const r = task(function* () {
      return Promise.reject(new Error('adopted failure'));
    });
    await expect(r()).rejects.toThrow('adopted failure');
  });

  it('are made by a function that returns a generator, too', async () => {
    function* body(x: number): Generator<unknown, number, unknown> {
      yield Promise.resolve();
      return x + 1;
    }
    const t = task((x: number) => body(x));
    expect(await t(1)).toBe(2);
  });

  it('run under syncWait, whenAny and with tracing on', async () => {
    const slow = task(function* () {
      yield new Promise((resolve) => setTimeout(resolve, 50));
      return 'slow';
    });
    const fast = task(function* () {
      yield Promise.resolve();
      return 'fast';
    });
    expect(await syncWait(fast())).toBe('fast');
    const any = await whenAny([slow(), fast()]);
    expect(any).toBe('fast');
    enableTracing();
    try {
      const traced = task(function* traced() {
        yield new Promise((resolve) => setTimeout(resolve, 5));
        return 1;
      });
      const t = traced();
      t.start();
      expect(dumpTasks().map((s) => s.name)).toContain('traced');
      expect(await t).toBe(1);
    } finally {
      enableTracing(false);
    }
  });
});

describe('coroutine tasks and implicit stop inheritance', () => {
  it('run every step as their own task, whoever resumes them', async () => {
    setImplicitStopInheritance(true);
    try {
      const gate = new Gate();
      let childStopped = false;
      const childGate = new Gate();
      const child = task(function* (this: TaskContext) {
        yield childGate;
        childStopped = this.stopRequested;
      });
      let seen: unknown;
      const parent = task(function* () {
        yield gate;
        seen = currentTask();
        yield child();
      });
      const p = parent();
      const done = p.start();
      await flush();
      // Resumed from outside any task (a plain call here), the body still runs as `p`.
      gate.open();
      expect(seen).toBe(p);
      // The child started after the resume is linked to `p`: stopping `p` stops it.
      p.requestStop();
      childGate.open();
      await done;
      expect(childStopped).toBe(true);
    } finally {
      setImplicitStopInheritance(false);
    }
  });
});

describe('the suspend protocol', () => {
  it('resumes a coroutine with the value given to its continuation, later or at once', async () => {
    const gate = new Gate<string>();
    const now: Suspendable<number> = {
      [suspend](c) {
        c.resume(7);
      },
    };
    const t = task(function* () {
      const a = (yield now) as number;
      const b = (yield gate) as string;
      return [a, b];
    })();
    t.start();
    await flush();
    expect(gate.waiting).toHaveLength(1);
    gate.open('opened');
    expect(await t).toEqual([7, 'opened']);
  });

  it('runs a long chain of at-once resumes in a loop, not on the stack', async () => {
    const now: Suspendable<number> = {
      [suspend](c) {
        c.resume(1);
      },
    };
    const t = task(function* () {
      let sum = 0;
      for (let i = 0; i < 200_000; i++) sum += (yield now) as number;
      return sum;
    });
    expect(await t()).toBe(200_000);
  });

  it('ignores calls made while the coroutine runs or after it has finished', async () => {
    let kept: Continuation<number> | undefined;
    const twice: Suspendable<number> = {
      [suspend](c) {
        kept = c;
        c.resume(1);
        c.resume(2);
        c.fail(new Error('late'));
      },
    };
    const t = task(function* () {
      const a = (yield twice) as number;
      const b = (yield Promise.resolve(3)) as number;
      return [a, b];
    })();
    expect(await t).toEqual([1, 3]);
    // Finished: a kept continuation changes nothing.
    kept?.resume(99);
    kept?.fail(new Error('after the end'));
    expect(await t).toEqual([1, 3]);
  });

  it('throws at the yield what fail() is given, or what [suspend] throws', async () => {
    const gate = new Gate<number>();
    const throwing: Suspendable = {
      [suspend]() {
        throw new Error('suspend threw');
      },
    };
    const t = task(function* () {
      const messages: string[] = [];
      try {
        yield gate;
      } catch (error) {
        messages.push((error as Error).message);
      }
      try {
        yield throwing;
      } catch (error) {
        messages.push((error as Error).message);
      }
      return messages;
    })();
    t.start();
    await flush();
    gate.break(new Error('failed'));
    expect(await t).toEqual(['failed', 'suspend threw']);
  });

  it('resumeSoon resumes after the current job, every one queued in one batch, in order', async () => {
    const log: string[] = [];
    const waiting: Continuation<string>[] = [];
    const gate: Suspendable<string> = {
      [suspend](c) {
        waiting.push(c);
      },
    };
    const co = task(function* (id: number) {
      const v = (yield gate) as string;
      log.push(`${id}:${v}`);
    });
    const all = whenAll([co(1), co(2), co(3)]).start();
    expect(waiting).toHaveLength(3);
    let microtaskRan = false;
    queueMicrotask(() => {
      microtaskRan = true;
    });
    for (const [i, c] of waiting.entries()) resumeSoon(c, `v${i + 1}`);
    log.push('released');
    // A microtask queued before the batch runs before it; the batch resumes all three.
    await Promise.resolve();
    expect(microtaskRan).toBe(true);
    await all;
    expect(log).toEqual(['released', '1:v1', '2:v2', '3:v3']);
  });

  it('until() waits on anything yieldable and is typed', async () => {
    const t = task(function* () {
      const n = yield* until(Promise.resolve(20));
      const s = yield* until({ [suspend]: (c: Continuation<string>) => c.resume('s') });
      return n + s.length;
    });
    expect(await t()).toBe(21);
  });
});

describe('whenAll over coroutine tasks', () => {
  it('gathers results in order, with async tasks and promises among them', async () => {
    const co = task(function* (x: number) {
      yield Promise.resolve();
      return x;
    });
    const now = task(function* (x: number) {
      return x;
    });
    const asyncTask = task(async (x: number) => x);
    const results = await whenAll([
      co(0),
      now(1),
      asyncTask(2),
      Promise.resolve(3),
      co(4),
      ...Array.from({ length: 100 }, (_, i) => co(5 + i)),
    ]);
    expect(results).toEqual(Array.from({ length: 105 }, (_, i) => i));
  });

  it('on the first failure asks the others to stop and waits for all of them', async () => {
    const gate = new Gate();
    const finished: string[] = [];
    const sibling = task(function* (this: TaskContext, name: string) {
      yield gate;
      finished.push(`${name}:${this.stopRequested}`);
      return name;
    });
    const failing = task(function* () {
      yield Promise.resolve();
      throw new Error('first');
    });
    const secondFailing = task(function* () {
      yield gate;
      throw new Error('second');
    });
    const all = whenAll([sibling('a'), failing(), secondFailing(), sibling('b')]).start();
    let settled = false;
    all.then(
      () => {},
      () => {
        settled = true;
      },
    );
    await flush();
    expect(settled).toBe(false);
    gate.open();
    await expect(all).rejects.toThrow('first');
    expect(finished.sort()).toEqual(['a:true', 'b:true']);
  });

  it('reports a body that throws before its first yield', async () => {
    const throwsAtOnce = task(function* () {
      throw new Error('at once');
    });
    const fine = task(function* () {
      yield Promise.resolve();
      return 1;
    });
    await expect(whenAll([fine(), throwsAtOnce(), fine()])).rejects.toThrow('at once');
  });

  it('leaves a coroutine it started awaitable with the same result', async () => {
    const gate = new Gate<number>();
    const child = task(function* () {
      return (yield gate) as number;
    });
    const t = child();
    const all = whenAll([t]).start();
    await flush();
    expect(t.isStarted).toBe(true);
    const direct = t.then((v) => v * 10);
    gate.open(4);
    expect(await all).toEqual([4]);
    expect(await direct).toBe(40);
    expect(await t).toBe(4);
  });

  it('links a running coroutine to a parent given later with stopWith', async () => {
    const gate = new Gate();
    const child = task(function* (this: TaskContext) {
      yield gate;
      return this.stopRequested;
    });
    const t = child();
    const all = whenAll([t]).start();
    await flush();
    const parent = new StopSource();
    t.stopWith(parent.token);
    parent.requestStop();
    gate.open();
    expect(await all).toEqual([true]);
  });

  it('resumes nested coroutine tasks by plain calls, with no promise in between', async () => {
    const log: string[] = [];
    const gate = new Gate<number>();
    const leaf = task(function* () {
      const v = (yield gate) as number;
      log.push('leaf');
      return v;
    });
    const middle = task(function* () {
      const v = ((yield leaf()) as number) + 1;
      log.push('middle');
      return v;
    });
    const root = task(function* () {
      const v = ((yield middle()) as number) + 1;
      log.push('root');
      return v;
    });
    const all = whenAll([root()]).start();
    await flush();
    gate.open(1);
    // Synchronously, before any microtask: the leaf's outcome reached the root by plain calls.
    expect(log).toEqual(['leaf', 'middle', 'root']);
    expect(await all).toEqual([3]);
  });

  it('cannot be fooled into running a task twice', async () => {
    const body = vi.fn(function* () {
      yield Promise.resolve();
      return 'once';
    });
    const t = task(body)();
    const [a, b] = await whenAll([t, t]);
    expect([a, b]).toEqual(['once', 'once']);
    expect(await whenAll([t])).toEqual(['once']);
    expect(body).toHaveBeenCalledTimes(1);
    const d = deferred<number>();
    const waits = task(function* () {
      return (yield d.promise) as number;
    })();
    const p = whenAll([waits, waits]).start();
    d.resolve(5);
    expect(await p).toEqual([5, 5]);
  });
});
