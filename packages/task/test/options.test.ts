// Options bags refuse keys they do not take: a misspelt option would otherwise be ignored and
// its default used without a word. Per-call `{ signal, timeout }` of waiting calls are not
// checked this way (hot paths).
import { describe, expect, it } from 'vitest';
import {
  InlineExecutor,
  InvalidArgumentError,
  refuseUnknownOptions,
  StopSource,
  Task,
  task,
  whenAny,
  whenAnyIndexed,
} from '../src/index.ts';

const body = async () => 1;

/** Each call given `options`, and where its messages say it failed. */
const calls: [where: string, call: (options: unknown) => unknown][] = [
  ['InlineExecutor', (o) => new InlineExecutor(o as never)],
  ['task()', (o) => task(body, o as never)],
  ['task.withContext()', (o) => task.withContext(body, o as never)],
  ['Task.from', (o) => Task.from(body, o as never)],
  ['Task.from', (o) => Task.from(Promise.resolve(1), o as never)],
  ['whenAny', (o) => whenAny([Promise.resolve(1)], o as never)],
  ['whenAnyIndexed', (o) => whenAnyIndexed([Promise.resolve(1)], o as never)],
];

/** A misspelt key for each call, and the keys its message lists. */
const misspelt: Record<string, [options: object, key: string, takes: string]> = {
  InlineExecutor: [{ onEror: () => {} }, 'onEror', 'onError'],
  'task()': [{ nmae: 'x' }, 'nmae', 'name'],
  'task.withContext()': [{ Name: 'x' }, 'Name', 'name'],
  'Task.from': [{ name: 'x', nam: 'y' }, 'nam', 'name'],
  whenAny: [{ stopSorce: new StopSource() }, 'stopSorce', 'stopSource'],
  whenAnyIndexed: [{ signal: new StopSource().token }, 'signal', 'stopSource'],
};

/** Every documented option of each call. */
const every: Record<string, object> = {
  InlineExecutor: { onError: () => {} },
  'task()': { name: 'x' },
  'task.withContext()': { name: 'x' },
  'Task.from': { name: 'x' },
  whenAny: { stopSource: new StopSource() },
  whenAnyIndexed: { stopSource: new StopSource() },
};

describe('options bags refuse keys they do not take', () => {
  it.each(calls)(
    '%s: a misspelt key is InvalidArgumentError naming it and what it takes',
    (where, call) => {
      const [options, key, takes] = misspelt[where] as [object, string, string];
      expect(() => call(options)).toThrow(InvalidArgumentError);
      expect(() => call(options)).toThrow(
        `${where}: unknown option ${JSON.stringify(key)} (it takes ${takes})`,
      );
    },
  );

  it.each(calls)(
    '%s: options that are not an object (null, a number) are InvalidArgumentError',
    (where, call) => {
      for (const bad of [null, 5, 'name']) {
        expect(() => call(bad)).toThrow(InvalidArgumentError);
        expect(() => call(bad)).toThrow(`${where}: options must be an object`);
      }
    },
  );

  it.each(calls)(
    '%s: every documented option is still accepted, and none at all',
    (where, call) => {
      expect(() => call(every[where])).not.toThrow();
      expect(() => call({})).not.toThrow();
      expect(() => call(undefined)).not.toThrow();
    },
  );

  it('the names still reach the tasks', () => {
    expect(task(body, { name: 'named' })().name).toBe('named');
    expect(task.withContext(body, { name: 'ctx' })().name).toBe('ctx');
    expect(Task.from(body, { name: 'from' }).name).toBe('from');
  });
});

describe('refuseUnknownOptions', () => {
  const known: Readonly<Record<'alpha' | 'beta', true>> = { alpha: true, beta: true };

  it('passes undefined and objects holding only known keys, undefined values included', () => {
    expect(() => refuseUnknownOptions(undefined, known, 'Thing')).not.toThrow();
    expect(() => refuseUnknownOptions({}, known, 'Thing')).not.toThrow();
    expect(() => refuseUnknownOptions({ alpha: 1, beta: undefined }, known, 'Thing')).not.toThrow();
  });

  it('throws InvalidArgumentError for an unknown own key, naming it and every known key', () => {
    expect(() => refuseUnknownOptions({ alpha: 1, gamma: 2 }, known, 'Thing')).toThrow(
      InvalidArgumentError,
    );
    expect(() => refuseUnknownOptions({ alpha: 1, gamma: 2 }, known, 'Thing')).toThrow(
      'Thing: unknown option "gamma" (it takes alpha, beta)',
    );
  });

  it('throws InvalidArgumentError for null and other non-objects', () => {
    expect(() => refuseUnknownOptions(null, known, 'Thing')).toThrow(
      'Thing: options must be an object, got null',
    );
    expect(() => refuseUnknownOptions(5, known, 'Thing')).toThrow(
      'Thing: options must be an object, got number',
    );
  });

  it('looks at own keys only: inherited ones are not options', () => {
    const inherited = Object.create({ gamma: 1 }) as object;
    expect(() => refuseUnknownOptions(inherited, known, 'Thing')).not.toThrow();
  });
});
