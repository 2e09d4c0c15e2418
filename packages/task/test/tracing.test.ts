import { afterEach, describe, expect, it } from 'vitest';
import {
  currentTask,
  dumpTasks,
  enableTracing,
  formatTaskDump,
  isTracing,
  setImplicitStopInheritance,
  type TaskContext,
  task,
  traceAwait,
  whenAll,
} from '../src/index.ts';
import { deferred, flush } from './utils/unhandled.ts';

afterEach(() => {
  enableTracing(false);
  setImplicitStopInheritance(false);
});

describe('task tracing', () => {
  it('is off by default and records nothing then', () => {
    expect(isTracing()).toBe(false);
    task(async () => 1)();
    expect(dumpTasks()).toEqual([]);
    expect(formatTaskDump()).toBe('task tracing is off');
  });

  it('shows a deliberately hung task, what it awaits and for how long', async () => {
    enableTracing();
    const never = new Promise<void>(() => {});
    const query = task(async function query() {
      await traceAwait('SELECT * FROM users', never);
    });
    const handler = task(async function handler() {
      await query();
    });
    const beforeStart = performance.now();
    handler().start();
    await flush(); // both tasks now run and await: their clocks started before `since`
    // The window is measured on tracing's clock (performance.now()) once both tasks are known
    // to be awaiting. A 25 ms timer armed right after start() is not that window: the awaits
    // are recorded in microtasks after it, and a process preempted in between (a loaded
    // machine) saw `awaitingFor` < 15. These bounds hold however slow the machine is: awaiting
    // for at least [since, beforeDump], at most the whole test.
    const since = performance.now();
    while (performance.now() - since < 25) await new Promise((resolve) => setTimeout(resolve, 5));
    const beforeDump = performance.now();
    const dump = dumpTasks();
    const afterDump = performance.now();

    const h = dump.find((s) => s.name === 'handler')!;
    const q = dump.find((s) => s.name === 'query')!;
    expect(h.state).toBe('running');
    expect(h.awaiting).toBe('task "query"');
    expect(h.awaitingFor).toBeGreaterThanOrEqual(beforeDump - since);
    expect(h.awaitingFor).toBeLessThanOrEqual(afterDump - beforeStart);
    expect(q.state).toBe('running');
    expect(q.awaiting).toBe('SELECT * FROM users');
    expect(q.parentId).toBe(h.id);
    expect(q.runningFor).toBeGreaterThanOrEqual(beforeDump - since);
    expect(q.runningFor).toBeLessThanOrEqual(afterDump - beforeStart);
    expect(q.awaitingFor).toBeGreaterThanOrEqual(beforeDump - since);

    const text = formatTaskDump(dump);
    expect(text).toMatch(/^#\d+ "handler" running \d+ms, awaiting task "query" for \d+ms$/m);
    expect(text).toMatch(
      /^ {2}#\d+ "query" running \d+ms, awaiting SELECT \* FROM users for \d+ms$/m,
    );
  });

  it('drops finished tasks and clears the awaiting label when the wait ends', async () => {
    enableTracing();
    const gate = deferred();
    const t = task(async function waiter() {
      await traceAwait('gate', gate.promise);
      await new Promise(() => {});
    })();
    t.start();
    await flush();
    expect(dumpTasks().find((s) => s.name === 'waiter')?.awaiting).toBe('gate');
    gate.resolve();
    await flush();
    expect(dumpTasks().find((s) => s.name === 'waiter')?.awaiting).toBeUndefined();

    const done = task(async function done() {})();
    await done;
    await flush();
    expect(dumpTasks().some((s) => s.name === 'done')).toBe(false);
  });

  it('lists created tasks that have not started', () => {
    enableTracing();
    const pending = task(async function notYet() {})();
    const snapshot = dumpTasks().find((s) => s.name === 'notYet');
    expect(snapshot?.state).toBe('created');
    expect(snapshot?.runningFor).toBeUndefined();
    expect(formatTaskDump()).toMatch(/"notYet" created \(created \d+ms ago\)/);
    expect(pending.isStarted).toBe(false);
  });

  it('names combinators and knows the current task', async () => {
    enableTracing();
    let seen: unknown;
    const inner = task(async function inner() {
      seen = currentTask()?.name;
      await new Promise(() => {});
    });
    whenAll([inner()]).start();
    await flush();
    expect(seen).toBe('inner');
    expect(dumpTasks().some((s) => s.name === 'whenAll')).toBe(true);
    expect(currentTask()).toBeUndefined();
  });

  it('traceAwait returns its argument untouched', async () => {
    const p = Promise.resolve(3);
    expect(traceAwait('x', p)).toBe(p);
    enableTracing();
    expect(traceAwait('x', p)).toBe(p);
  });
});

describe('implicit stop inheritance (opt-in)', () => {
  it('links tasks started inside a body to that task', async () => {
    setImplicitStopInheritance(true);
    const childStopped = deferred<unknown>();
    const child = task.withContext(async (ctx: TaskContext) => {
      ctx.stopToken.onStop((reason) => childStopped.resolve(reason));
      await new Promise(() => {});
    });
    const parent = task(async function parent() {
      await child();
    })();
    parent.start();
    await flush();
    parent.requestStop('cascade');
    expect(await childStopped.promise).toBe('cascade');
  });

  it('does nothing when off', async () => {
    const child = task.withContext(async (ctx: TaskContext) => {
      await flush();
      return ctx.stopRequested;
    });
    const parent = task(async () => child())();
    parent.start();
    parent.requestStop();
    expect(await parent).toBe(false);
  });
});
