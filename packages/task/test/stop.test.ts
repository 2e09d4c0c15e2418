import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import {
  CancelledError,
  InvalidArgumentError,
  isStopRequested,
  onStop,
  StopSource,
  StopToken,
  stopReason,
  toCancelledError,
  toStopLike,
} from '../src/index.ts';

describe('StopSource and StopToken', () => {
  it('requests stop once and runs callbacks in registration order', () => {
    const source = new StopSource();
    const order: number[] = [];
    source.token.onStop(() => order.push(1));
    source.token.onStop(() => order.push(2));
    expect(source.stopRequested).toBe(false);
    expect(source.requestStop('r')).toBe(true);
    expect(source.requestStop('again')).toBe(false);
    expect(order).toEqual([1, 2]);
    expect(source.token.stopRequested).toBe(true);
    expect(source.token.reason).toBe('r');
  });

  it('runs a callback registered after the stop immediately', () => {
    const source = new StopSource();
    source.requestStop('late');
    const callback = vi.fn();
    const registration = source.token.onStop(callback);
    expect(callback).toHaveBeenCalledWith('late');
    registration.unregister();
    registration[Symbol.dispose]();
  });

  it('unregisters in O(1), from any position, idempotently', () => {
    const source = new StopSource();
    const calls: string[] = [];
    const a = source.token.onStop(() => calls.push('a'));
    const b = source.token.onStop(() => calls.push('b'));
    const c = source.token.onStop(() => calls.push('c'));
    b.unregister();
    b.unregister();
    a[Symbol.dispose]();
    source.requestStop();
    c.unregister();
    expect(calls).toEqual(['c']);
    expect(source.token.registrationCount).toBe(0);
  });

  it('supports `using` for registrations', () => {
    const source = new StopSource();
    const callback = vi.fn();
    {
      using _registration = source.token.onStop(callback);
    }
    source.requestStop();
    expect(callback).not.toHaveBeenCalled();
  });

  it('keeps running callbacks when one throws, and reports the error', async () => {
    const source = new StopSource();
    const later = vi.fn();
    const reported = new Promise<unknown>((resolve) => {
      const original = process.listeners('uncaughtException');
      process.removeAllListeners('uncaughtException');
      process.once('uncaughtException', (error) => {
        for (const l of original) process.on('uncaughtException', l);
        resolve(error);
      });
    });
    source.token.onStop(() => {
      throw new Error('bad callback');
    });
    source.token.onStop(later);
    source.requestStop();
    expect(later).toHaveBeenCalled();
    expect(((await reported) as Error).message).toBe('bad callback');
  });

  it('throwIfStopRequested throws CancelledError carrying the reason', () => {
    const source = new StopSource();
    expect(() => source.token.throwIfStopRequested()).not.toThrow();
    const reason = new Error('shutdown');
    source.requestStop(reason);
    try {
      source.token.throwIfStopRequested();
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CancelledError);
      expect((error as CancelledError).code).toBe('ERR_CORO_CANCELLED');
      expect((error as Error).cause).toBe(reason);
    }
  });

  it('StopToken.none never stops', () => {
    expect(StopToken.none.stopRequested).toBe(false);
    expect(StopToken.none.signal.aborted).toBe(false);
  });
});

describe('AbortSignal interop', () => {
  it('token.signal aborts with the stop reason', () => {
    const source = new StopSource();
    const signal = source.token.signal;
    expect(source.token.signal).toBe(signal);
    source.requestStop('why');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('why');
  });

  it('a signal taken after the stop is already aborted', () => {
    const source = new StopSource();
    source.requestStop('done');
    expect(source.signal.aborted).toBe(true);
    expect(source.signal.reason).toBe('done');
  });

  it('fromSignal follows an AbortSignal, and drops its listener when stopped otherwise', () => {
    const controller = new AbortController();
    const token = StopToken.fromSignal(controller.signal);
    expect(token.stopRequested).toBe(false);
    controller.abort('aborted');
    expect(token.stopRequested).toBe(true);
    expect(token.reason).toBe('aborted');

    const already = StopSource.fromSignal(AbortSignal.abort('pre'));
    expect(already.token.reason).toBe('pre');

    // Every source made from one signal shares a single listener on it, and one stopped on its
    // own leaves nothing per use behind.
    const other = new AbortController();
    for (let i = 0; i < 3; i++) StopSource.fromSignal(other.signal).requestStop('own');
    expect(getEventListeners(other.signal, 'abort').length).toBeLessThanOrEqual(1);
    const late = StopSource.fromSignal(other.signal);
    other.abort('later');
    expect(late.token.reason).toBe('later');
  });

  it('abortController is tied both ways', () => {
    const a = new StopSource();
    a.abortController.abort('from controller');
    expect(a.stopRequested).toBe(true);
    expect(a.token.reason).toBe('from controller');

    const b = new StopSource();
    const controller = b.abortController;
    b.requestStop('from source');
    expect(controller.signal.aborted).toBe(true);
  });

  it('fromAbortController is tied both ways', () => {
    const controller = new AbortController();
    const source = StopSource.fromAbortController(controller);
    source.requestStop('stop');
    expect(controller.signal.aborted).toBe(true);
    const c2 = new AbortController();
    const s2 = StopSource.fromAbortController(c2);
    c2.abort('abort');
    expect(s2.stopRequested).toBe(true);
  });

  it('StopToken.any stops when any source does', () => {
    const a = new StopSource();
    const controller = new AbortController();
    const any = StopToken.any([a.token, controller.signal]);
    expect(any.stopRequested).toBe(false);
    controller.abort('second');
    expect(any.stopRequested).toBe(true);
    expect(any.reason).toBe('second');
    // The source that did not stop keeps no callback for the combined token.
    expect(a.token.registrationCount).toBe(0);
  });
});

describe('helpers over StopToken | AbortSignal', () => {
  it('onStop, isStopRequested and stopReason work for both kinds', () => {
    const source = new StopSource();
    const controller = new AbortController();
    const calls: unknown[] = [];
    const r1 = onStop(source.token, (r) => calls.push(r));
    const r2 = onStop(controller.signal, (r) => calls.push(r));
    expect(isStopRequested(source.token)).toBe(false);
    expect(isStopRequested(controller.signal)).toBe(false);
    expect(isStopRequested(undefined)).toBe(false);
    source.requestStop('a');
    controller.abort('b');
    expect(calls).toEqual(['a', 'b']);
    expect(stopReason(source.token)).toBe('a');
    expect(stopReason(controller.signal)).toBe('b');
    r1.unregister();
    r2.unregister();
  });

  it('unregistering an AbortSignal callback removes the listener', () => {
    const controller = new AbortController();
    const callback = vi.fn();
    const registration = onStop(controller.signal, callback);
    registration.unregister();
    controller.abort();
    expect(callback).not.toHaveBeenCalled();
  });

  it('toStopLike accepts tokens, signals and contexts, and rejects the rest', () => {
    const source = new StopSource();
    expect(toStopLike(source.token)).toBe(source.token);
    expect(toStopLike({ stopToken: source.token })).toBe(source.token);
    expect(toStopLike(undefined)).toBeUndefined();
    expect(() => toStopLike(42 as never)).toThrow(InvalidArgumentError);
  });

  it('toCancelledError keeps a CancelledError and wraps anything else', () => {
    const existing = new CancelledError('x');
    expect(toCancelledError(existing)).toBe(existing);
    const wrapped = toCancelledError(new Error('inner'));
    expect(wrapped).toBeInstanceOf(CancelledError);
    expect(wrapped.message).toMatch(/inner/);
    expect(toCancelledError(undefined).message).toBe('the operation was cancelled');
  });
});

describe('StopSource.abortController', () => {
  it('links the controller back to the source once, however often it is read', () => {
    const source = new StopSource();
    const controller = source.abortController;
    const add = vi.spyOn(controller.signal, 'addEventListener');
    expect(source.abortController).toBe(controller);
    expect(source.abortController).toBe(controller);
    expect(add).not.toHaveBeenCalled();
    const callback = vi.fn();
    source.token.onStop(callback);
    controller.abort('once');
    expect(callback).toHaveBeenCalledTimes(1);
  });

  it('links a controller first made by token.signal', () => {
    const source = new StopSource();
    const signal = source.token.signal;
    const controller = source.abortController;
    expect(controller.signal).toBe(signal);
    controller.abort('from the signal side');
    expect(source.stopRequested).toBe(true);
  });
});
