// Issue 8: stop dispatch, registrations that pile up, internals, durations, combinators.
import { getEventListeners } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  CoroError,
  enableTracing,
  InvalidArgumentError,
  isAwaitable,
  onStop,
  StopSource,
  StopToken,
  syncWait,
  Task,
  task,
  TimeoutError,
  whenAll,
  whenAny,
} from '../src/index.ts';
import { collectUntil, heapAfterGc } from './utils/gc.ts';
import { failOnUnhandledRejections, flush } from './utils/unhandled.ts';

describe('stop dispatch', () => {
  it('runs the callbacks after one that unregisters the next registration', () => {
    const source = new StopSource();
    const calls: string[] = [];
    let b: { unregister(): void } | undefined;
    source.token.onStop(() => {
      calls.push('a');
      b?.unregister();
    });
    b = source.token.onStop(() => calls.push('b'));
    source.token.onStop(() => calls.push('c'));
    source.token.onStop(() => calls.push('d'));
    source.requestStop();
    expect(calls).toEqual(['a', 'c', 'd']);
    expect(source.token.registrationCount).toBe(0);
  });

  it('runs every callback exactly once, whatever the callbacks do to the list', () => {
    // Each callback may unregister other registrations (of the same token or of another one),
    // register new ones (which run at once: the token has stopped) and stop another token.
    const action = fc.oneof(
      fc.record({ kind: fc.constant('unregister' as const), target: fc.nat(40) }),
      fc.record({ kind: fc.constant('register' as const), token: fc.nat(2) }),
      fc.record({ kind: fc.constant('stop' as const), token: fc.nat(2) }),
    );
    const registration = fc.record({
      token: fc.nat(2),
      actions: fc.array(action, { maxLength: 3 }),
    });
    fc.assert(
      fc.property(
        fc.array(registration, { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat(40), { maxLength: 5 }),
        fc.nat(2),
        (plan, unregisteredEarly, first) => {
          const sources = [new StopSource(), new StopSource(), new StopSource()];
          const runs = new Array<number>(plan.length).fill(0);
          const removed = new Array<boolean>(plan.length).fill(false);
          const lateRuns: number[] = [];
          const registrations: { unregister(): void }[] = [];
          plan.forEach((entry, i) => {
            registrations.push(
              sources[entry.token]!.token.onStop(() => {
                runs[i]!++;
                for (const a of entry.actions) {
                  if (a.kind === 'unregister') {
                    const target = a.target % plan.length;
                    if (runs[target] === 0) removed[target] = true;
                    registrations[target]!.unregister();
                  } else if (a.kind === 'register') {
                    const k = lateRuns.push(0) - 1;
                    sources[a.token]!.token.onStop(() => lateRuns[k]!++);
                  } else sources[a.token]!.requestStop('nested');
                }
              }),
            );
          });
          for (const target of unregisteredEarly) {
            const t = target % plan.length;
            removed[t] = true;
            registrations[t]!.unregister();
          }
          sources[first]!.requestStop('first');
          for (const s of sources) s.requestStop('rest');
          for (let i = 0; i < plan.length; i++) {
            // Removed before its turn: never runs; otherwise exactly once.
            expect(runs[i]).toBe(removed[i] ? 0 : 1);
          }
          // Registered while (or after) its token stopped: ran at once, exactly once.
          for (const n of lateRuns) expect(n).toBe(1);
          for (const s of sources) expect(s.token.registrationCount).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('no registrations pile up on a long-lived token or signal', () => {
  const uses = 100_000;

  it('StopToken.any over a server-lifetime signal', async () => {
    const server = new AbortController();
    for (let i = 0; i < uses; i++) StopToken.any([server.signal, new StopSource().token]);
    expect(await collectUntil(() => getEventListeners(server.signal, 'abort').length < 100)).toBe(
      true,
    );
  });

  it('StopToken.any over a server-lifetime token', async () => {
    const server = new StopSource();
    for (let i = 0; i < uses; i++) StopToken.any([server.token]);
    expect(await collectUntil(() => server.token.registrationCount < 100)).toBe(true);
    // A live combined token is still reached.
    const live = StopToken.any([server.token]);
    server.requestStop('bye');
    expect(live.reason).toBe('bye');
  });

  it('StopToken.fromSignal over a server-lifetime signal', async () => {
    const server = new AbortController();
    for (let i = 0; i < uses; i++) StopToken.fromSignal(server.signal);
    expect(await collectUntil(() => getEventListeners(server.signal, 'abort').length < 100)).toBe(
      true,
    );
  });

  it('a combined token that has callbacks is kept and reached', async () => {
    const server = new AbortController();
    const seen = vi.fn();
    StopToken.any([server.signal]).onStop(seen);
    await collectUntil(() => false, 3);
    server.abort('down');
    expect(seen).toHaveBeenCalledWith('down');
  });

  it('stopWith on tasks that never start registers nothing and keeps nothing alive', async () => {
    const server = new StopSource();
    const signal = new AbortController();
    const before = await heapAfterGc();
    for (let i = 0; i < uses; i++) {
      task(async (big: number[]) => big.length)(new Array(16).fill(i))
        .stopWith(server.token)
        .stopWith(signal.signal);
    }
    expect(await collectUntil(() => server.token.registrationCount === 0)).toBe(true);
    expect(getEventListeners(signal.signal, 'abort').length).toBe(0);
    // 100,000 tasks with a 16-element array each would hold well over 10 MB.
    expect((await heapAfterGc()) - before).toBeLessThan(5_000_000);
  });

  it('stopWith on a task that starts later still links it', async () => {
    const server = new StopSource();
    const t = task.withContext(
      (ctx) => new Promise((resolve) => ctx.stopToken.onStop((r) => resolve(r))),
    )();
    t.stopWith(server.token);
    t.start();
    expect(server.token.registrationCount).toBe(1);
    server.requestStop('parent');
    expect(await t).toBe('parent');
    expect(server.token.registrationCount).toBe(0);
  });

  it('a parent that stops before an unstarted task starts still reaches it', () => {
    const server = new StopSource();
    const t = task(async () => 1)().stopWith(server.token);
    server.requestStop('early');
    expect(t.stopRequested).toBe(true);
    expect(t.stopToken.reason).toBe('early');
  });
});

describe('the task context', () => {
  it('is not awaitable: a helper returning ctx does not hang the task', async () => {
    const helper = async <C>(ctx: C) => ctx;
    const t = task.withContext(async (ctx) => {
      const back = await helper(ctx);
      return back === ctx && !isAwaitable(ctx);
    })();
    expect(await syncWait(t, { timeout: 5_000 })).toBe(true);
  });

  it('offers the same view through `this`', async () => {
    const t = task(
      async function (this: { name: string | undefined; stopRequested: boolean }) {
        return [isAwaitable(this), this.name, this.stopRequested];
      },
      { name: 'viaThis' },
    )();
    expect(await t).toEqual([false, 'viaThis', false]);
    // Methods and bound functions see the context as `this` too (only arrows go without).
    const holder = {
      async method(this: unknown) {
        return isAwaitable(this) === false && (this as { name?: string }).name;
      },
    };
    expect(await task(holder.method, { name: 'm' })()).toBe('m');
  });
});

describe('internals are not reachable', () => {
  it('StopToken.none cannot be stopped and is frozen', () => {
    const none = StopToken.none as unknown as Record<string, unknown>;
    for (const key of ['_fire', '_stopped', '_reason', '_head', '_tail', '_controller']) {
      expect(none[key]).toBeUndefined();
    }
    expect(Object.isFrozen(StopToken.none)).toBe(true);
    expect(StopToken.none.stopRequested).toBe(false);
  });

  it('no underscore members on tokens, sources and tasks except the documented _run hook', () => {
    const names = (o: object) => Object.getOwnPropertyNames(o).filter((n) => n.startsWith('_'));
    const t = task(async () => 1)();
    expect(names(new StopSource().token)).toEqual([]);
    expect(names(StopToken.prototype)).toEqual([]);
    expect(names(new StopSource())).toEqual([]);
    expect(names(t)).toEqual([]);
    expect(names(Task.prototype)).toEqual(['_run']);
  });
});

describe('durations', () => {
  it('a timeout above 2^31-1 ms does not fire early (syncWait)', async () => {
    const never = new Promise(() => {});
    const warn = vi.spyOn(process, 'emitWarning');
    const source = new StopSource();
    const outcome = syncWait(never, { timeout: 2 ** 31, signal: source.token }).then(
      () => 'settled',
      (e: unknown) => (e instanceof TimeoutError ? 'timeout' : 'cancelled'),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    source.requestStop();
    expect(await outcome).toBe('cancelled');
    expect(warn).not.toHaveBeenCalledWith(expect.anything(), 'TimeoutOverflowWarning');
    warn.mockRestore();
  });

  it('a long timeout is chained and still fires after at least its duration', async () => {
    vi.useFakeTimers();
    try {
      const outcome = syncWait(new Promise(() => {}), { timeout: 2 ** 32 + 5 }).then(
        () => 'settled',
        (e: unknown) => (e instanceof TimeoutError ? 'timeout' : String(e)),
      );
      await vi.advanceTimersByTimeAsync(2 ** 32);
      let done = false;
      void outcome.then(() => {
        done = true;
      });
      await vi.advanceTimersByTimeAsync(1);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(10);
      expect(await outcome).toBe('timeout');
    } finally {
      vi.useRealTimers();
    }
  });

  it('timeout: Infinity means no timeout', async () => {
    const value = await syncWait(task(async () => 7)(), { timeout: Number.POSITIVE_INFINITY });
    expect(value).toBe(7);
  });

  it('timeout: 0 gives up unless the work is ready now', async () => {
    expect(await syncWait(Promise.resolve(3), { timeout: 0 })).toBe(3);
    await expect(syncWait(new Promise(() => {}), { timeout: 0 })).rejects.toBeInstanceOf(
      TimeoutError,
    );
  });

  it('bad timeouts and signals are InvalidArgumentError at the call, before anything runs', () => {
    for (const timeout of [-1, Number.NaN, '5', null]) {
      const body = vi.fn(async () => 1);
      const t = task(body)();
      expect(() => syncWait(t, { timeout } as never)).toThrow(InvalidArgumentError);
      expect(t.isStarted).toBe(false);
      expect(body).not.toHaveBeenCalled();
    }
    const t = task(async () => 1)();
    expect(() => syncWait(t, { signal: {} } as never)).toThrow(InvalidArgumentError);
    expect(t.isStarted).toBe(false);
    expect(() => onStop('x' as never, () => {})).toThrow(CoroError);
  });
});

describe('combinators and promises', () => {
  failOnUnhandledRejections();

  it('whenAll marks a raw promise handled at the call', async () => {
    const failing = Promise.reject(new Error('early'));
    const all = whenAll([failing, Promise.resolve(1)]);
    await flush();
    await expect(all).rejects.toThrow('early');
  });

  it('whenAny marks a raw promise handled at the call', async () => {
    const failing = Promise.reject(new Error('early'));
    const any = whenAny([failing]);
    await flush();
    await expect(any).rejects.toThrow('early');
  });

  it('Task.from(fn) calls fn with no arguments', async () => {
    const t = Task.from((...args: unknown[]) => args.length);
    expect(await t).toBe(0);
  });
});

describe('tracing', () => {
  it('does not keep records of tasks dropped without starting', async () => {
    enableTracing(true);
    try {
      const before = await heapAfterGc();
      for (let i = 0; i < 100_000; i++) task(async () => i)();
      // Before the fix: about 22 MB of records stayed until dumpTasks() ran.
      expect((await heapAfterGc()) - before).toBeLessThan(4_000_000);
    } finally {
      enableTracing(false);
    }
  });
});

describe('module structure', () => {
  it('has no import cycle among the source modules, type imports included', () => {
    const dir = new URL('../src/', import.meta.url);
    const files = readdirSync(dir, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.ts'));
    const graph = new Map<string, string[]>();
    for (const file of files) {
      const text = readFileSync(new URL(file, dir), 'utf8');
      const deps: string[] = [];
      for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from '(\.[^']+)'/gms)) {
        deps.push(new URL(m[1]!, new URL(file, dir)).pathname);
      }
      graph.set(new URL(file, dir).pathname, deps);
    }
    const cycles: string[] = [];
    const visit = (node: string, path: string[]) => {
      if (path.includes(node)) {
        cycles.push([...path.slice(path.indexOf(node)), node].join(' -> '));
        return;
      }
      for (const dep of graph.get(node) ?? []) visit(dep, [...path, node]);
    };
    for (const node of graph.keys()) visit(node, []);
    expect(cycles).toEqual([]);
  });
});
