import { describe, expect, it, vi } from 'vitest';
import {
  CancelledError,
  CoroError,
  err,
  InlineExecutor,
  InvalidArgumentError,
  isAwaitable,
  isErr,
  isOk,
  ok,
  TimeoutError,
  task,
  unwrap,
} from '../src/index.ts';
import { flush } from './utils/unhandled.ts';

describe('Expected', () => {
  it('tells values from errors with type guards', () => {
    const good = ok(1);
    const bad = err('stopped' as const);
    expect(good).toEqual({ ok: true, value: 1 });
    expect(bad).toEqual({ ok: false, error: 'stopped' });
    expect(isOk(good)).toBe(true);
    expect(isErr(bad)).toBe(true);
    expect(ok()).toEqual({ ok: true, value: undefined });
  });

  it('unwrap returns the value or throws', () => {
    expect(unwrap(ok(5))).toBe(5);
    const error = new Error('e');
    expect(() => unwrap(err(error))).toThrow(error);
    expect(() => unwrap(err('stopped'))).toThrow(/stopped/);
  });
});

describe('errors', () => {
  it('carry stable codes, names and causes', () => {
    const cause = new Error('root');
    const base = new CoroError('m', { code: 'ERR_X', cause });
    expect(base.code).toBe('ERR_X');
    expect(base.cause).toBe(cause);
    expect(base.name).toBe('CoroError');
    expect(new CoroError('m').code).toBe('ERR_CORO');
    expect(new CancelledError().code).toBe('ERR_CORO_CANCELLED');
    expect(new CancelledError().name).toBe('CancelledError');
    const timeout = new TimeoutError(undefined, { timeout: 5 });
    expect(timeout.code).toBe('ERR_CORO_TIMEOUT');
    expect(timeout.timeout).toBe(5);
    expect(new InvalidArgumentError('bad').code).toBe('ERR_CORO_INVALID_ARGUMENT');
    expect(new TimeoutError()).toBeInstanceOf(CoroError);
    expect(new TimeoutError()).toBeInstanceOf(Error);
  });
});

describe('InlineExecutor', () => {
  it('schedules on the same thread and yields to I/O', async () => {
    const executor = new InlineExecutor();
    const order: string[] = [];
    setImmediate(() => order.push('immediate'));
    await executor.schedule();
    order.push('scheduled');
    await executor.yield();
    order.push('yielded');
    expect(order).toEqual(['scheduled', 'immediate', 'yielded']);
  });

  it('spawnDetached starts the task and routes errors to onError', async () => {
    const onError = vi.fn();
    const executor = new InlineExecutor({ onError });
    const body = vi.fn(async () => {
      throw new Error('detached');
    });
    executor.spawnDetached(task(body)());
    expect(body).toHaveBeenCalled();
    await flush();
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'detached' }));
    expect(() => executor.spawnDetached(3 as never)).toThrow(InvalidArgumentError);
  });
});

describe('isAwaitable', () => {
  it('recognises promises, tasks and thenables only', () => {
    expect(isAwaitable(Promise.resolve())).toBe(true);
    expect(isAwaitable(task(async () => 1)())).toBe(true);
    expect(isAwaitable({ then() {} })).toBe(true);
    expect(isAwaitable(null)).toBe(false);
    expect(isAwaitable({ then: 1 })).toBe(false);
    expect(isAwaitable(() => {})).toBe(false);
  });
});
