import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CancelledError,
  InvalidArgumentError,
  StopSource,
  syncWait,
  TimeoutError,
  task,
} from '../src/index.ts';
import { failOnUnhandledRejections } from './utils/unhandled.ts';

failOnUnhandledRejections();

afterEach(() => {
  vi.useRealTimers();
});

describe('syncWait', () => {
  it('starts the task at once and resolves with its value', async () => {
    const body = vi.fn(async (x: number) => x + x);
    const pending = syncWait(task(body)(5));
    expect(body).toHaveBeenCalledTimes(1); // started synchronously, in the call
    expect(await pending).toBe(10);
  });

  it('rejects with the task error', async () => {
    await expect(
      syncWait(
        task(async () => {
          throw new Error('bad');
        })(),
      ),
    ).rejects.toThrow('bad');
  });

  it('accepts promises and plain values', async () => {
    expect(await syncWait(Promise.resolve('p'))).toBe('p');
    expect(await syncWait(3)).toBe(3);
  });

  it('gives up after a timeout with TimeoutError, asks the task to stop, and clears its timer', async () => {
    vi.useFakeTimers();
    const stopped = vi.fn();
    const t = task.withContext(async (ctx) => {
      ctx.stopToken.onStop(stopped);
      await new Promise(() => {});
    })();
    const result = syncWait(t, { timeout: 30_000 });
    const assertion = expect(result).rejects.toBeInstanceOf(TimeoutError);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(30_000);
    await assertion;
    expect(stopped).toHaveBeenCalledWith(expect.any(TimeoutError));
    expect(vi.getTimerCount()).toBe(0);
  });

  it('clears the timer and the stop listener when the task wins', async () => {
    vi.useFakeTimers();
    const source = new StopSource();
    const result = await syncWait(task(async () => 'fast')(), {
      timeout: 1000,
      signal: source.token,
    });
    expect(result).toBe('fast');
    expect(vi.getTimerCount()).toBe(0);
    expect(source.token.registrationCount).toBe(0);
  });

  it('rejects with CancelledError on a signal and stops the task', async () => {
    const controller = new AbortController();
    const t = task.withContext(async (ctx) => {
      await new Promise<void>((resolve) => ctx.stopToken.onStop(() => resolve()));
    })();
    const result = syncWait(t, { signal: controller.signal });
    controller.abort('user');
    await expect(result).rejects.toBeInstanceOf(CancelledError);
    expect(t.stopRequested).toBe(true);
    expect(await t).toBeUndefined();
  });

  it('with an already-stopped signal rejects with CancelledError without starting the task', async () => {
    const body = vi.fn(async () => 'ran');
    const t = task(body)();
    const controller = new AbortController();
    controller.abort('too late');
    const result = syncWait(t, { signal: controller.signal, timeout: 1000 });
    expect(body).not.toHaveBeenCalled();
    expect(t.isStarted).toBe(false);
    const error = await result.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).cause).toBe('too late');
    expect(body).not.toHaveBeenCalled();
    expect(t.isStarted).toBe(false);
    expect(t.stopRequested).toBe(true); // asked to stop, as a later stop would
    // A stopped StopToken (or a task context) is answered the same way, and leaves nothing.
    const source = new StopSource();
    source.requestStop('stopped');
    await expect(syncWait(t, { signal: source.token })).rejects.toBeInstanceOf(CancelledError);
    expect(body).not.toHaveBeenCalled();
    expect(source.token.registrationCount).toBe(0);
    // A task someone else already started is asked to stop, as before.
    const running = task.withContext(async (ctx) => {
      await new Promise<void>((resolve) => ctx.stopToken.onStop(() => resolve()));
      return 'stopped';
    })();
    const started = running.start();
    await expect(syncWait(running, { signal: source.token })).rejects.toBeInstanceOf(
      CancelledError,
    );
    expect(await started).toBe('stopped');
  });

  it('with an already-stopped signal, a running promise that rejects is not left unhandled', async () => {
    const failing = Promise.reject(new Error('late'));
    await expect(syncWait(failing, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      CancelledError,
    );
    await new Promise((resolve) => setImmediate(resolve));
  });

  it('rejects bad timeouts at the call', () => {
    // Infinity is not among them: it means "no timeout" (issue 8).
    for (const timeout of [-1, Number.NaN, Number.NEGATIVE_INFINITY, '5' as never]) {
      expect(() => syncWait(Promise.resolve(1), { timeout })).toThrow(InvalidArgumentError);
    }
  });
});
