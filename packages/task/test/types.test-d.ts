import { describe, expectTypeOf, it } from 'vitest';
import {
  type Expected,
  type IndexedResult,
  type SettledResult,
  type Task,
  type TaskContext,
  task,
  whenAll,
  whenAllSettled,
  whenAny,
  whenAnyIndexed,
  until,
} from '../src/index.ts';

describe('task() inference', () => {
  it('keeps parameter and result types', () => {
    const square = task(async (x: number) => x * x);
    expectTypeOf(square).parameters.toEqualTypeOf<[x: number]>();
    expectTypeOf(square(2)).toEqualTypeOf<Task<number>>();
    // @ts-expect-error wrong argument type
    square('2');
    const none = task(async () => 'a');
    expectTypeOf(none()).toEqualTypeOf<Task<string>>();
    const sync = task((a: string, b: boolean) => [a, b] as const);
    expectTypeOf(sync('a', true)).toEqualTypeOf<Task<readonly [string, boolean]>>();
  });

  it('withContext drops the context from the factory parameters', () => {
    const make = task.withContext(
      async (ctx: TaskContext, url: string) => ctx.stopRequested && url,
    );
    expectTypeOf(make).parameters.toEqualTypeOf<[url: string]>();
    expectTypeOf(make('u')).toEqualTypeOf<Task<string | false>>();
  });
});

describe('coroutine task inference', () => {
  it('types a generator body by its parameters and what it returns', () => {
    const co = task(function* (x: number) {
      yield Promise.resolve();
      return String(x);
    });
    expectTypeOf(co).parameters.toEqualTypeOf<[x: number]>();
    expectTypeOf(co(1)).toEqualTypeOf<Task<string>>();
    // biome-ignore lint/correctness/useYield: a coroutine that returns at once is still one.
    const adopted = task(function* () {
      return Promise.resolve(1);
    });
    expectTypeOf(adopted()).toEqualTypeOf<Task<number>>();
    const typed = task.withContext(function* (ctx: TaskContext) {
      const n = yield* until(Promise.resolve(2));
      expectTypeOf(n).toEqualTypeOf<number>();
      return ctx.stopRequested ? 0 : n;
    });
    expectTypeOf(typed()).toEqualTypeOf<Task<number>>();
  });
});

describe('whenAll inference', () => {
  const num = task(async () => 1)();
  const str = task(async () => 'a')();

  it('types variadic arguments as a tuple', () => {
    expectTypeOf(whenAll(num, str)).toEqualTypeOf<Task<[number, string]>>();
  });

  it('types a tuple literal as a tuple', () => {
    expectTypeOf(whenAll([num, str])).toEqualTypeOf<Task<[number, string]>>();
  });

  it('types an array as an array', () => {
    const list: Task<number>[] = [num];
    expectTypeOf(whenAll(list)).toEqualTypeOf<Task<number[]>>();
    expectTypeOf(whenAll([Promise.resolve(true)])).toEqualTypeOf<Task<[boolean]>>();
  });

  it('types whenAllSettled results', () => {
    expectTypeOf(whenAllSettled(num, str)).toEqualTypeOf<
      Task<[SettledResult<number>, SettledResult<string>]>
    >();
    const [a] = [] as unknown as [SettledResult<number>];
    expectTypeOf(a.value()).toEqualTypeOf<number>();
    expectTypeOf(a.toExpected()).toEqualTypeOf<Expected<number, unknown>>();
  });

  it('types whenAny as the union of results', () => {
    expectTypeOf(whenAny([num, str])).toEqualTypeOf<Task<number | string>>();
    expectTypeOf(whenAnyIndexed([num, num])).toEqualTypeOf<Task<IndexedResult<number>>>();
  });
});
