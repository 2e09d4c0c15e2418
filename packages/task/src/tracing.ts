import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import type { Task } from './task.ts';

/**
 * @internal Switches read on every task creation, start and await. Kept as plain fields of one
 * object so that, when both are off, the cost is a property load and a branch.
 */
export const trace = { enabled: false, implicitStop: false };

/** The state of a traced task. */
export type TaskState = 'created' | 'running' | 'fulfilled' | 'rejected';

/** One task in a `dumpTasks()` snapshot. */
export interface TaskSnapshot {
  /** A number unique to this task, in creation order. */
  readonly id: number;
  /** The task's name, or `'<anonymous>'`. */
  readonly name: string;
  readonly state: TaskState;
  /** Milliseconds since the task was created. */
  readonly age: number;
  /** Milliseconds since the task started running, if it has. */
  readonly runningFor: number | undefined;
  /** What the task is waiting on right now, if known: a label. */
  readonly awaiting: string | undefined;
  /** Milliseconds it has been waiting on `awaiting`. */
  readonly awaitingFor: number | undefined;
  /** The id of the task whose body started this one, if any. */
  readonly parentId: number | undefined;
}

interface TraceRecord {
  readonly id: number;
  /** Weak while the task has not started (an unstarted task may simply be dropped). */
  weak: WeakRef<Task<unknown>> | undefined;
  strong: Task<unknown> | undefined;
  state: TaskState;
  readonly createdAt: number;
  startedAt: number | undefined;
  awaiting: string | undefined;
  awaitingSince: number | undefined;
  parentId: number | undefined;
}

let nextId = 1;
let storage: AsyncLocalStorage<Task<unknown>> | undefined;
const records = new Map<number, TraceRecord>();
const recordOf = new WeakMap<object, TraceRecord>();

function ensureStorage(): AsyncLocalStorage<Task<unknown>> {
  storage ??= new AsyncLocalStorage<Task<unknown>>();
  return storage;
}

/**
 * Turns task tracing on (or off with `false`). While on, every task created is recorded with
 * its state, and each running body's awaits of tasks and of `traceAwait` labels are noted, so
 * that `dumpTasks()` can show what every live task is waiting on. Off by default; when off a
 * task pays one property check. Turning it off forgets every record.
 */
export function enableTracing(on = true): void {
  trace.enabled = on;
  if (on) ensureStorage();
  else records.clear();
}

/** Whether task tracing is on. */
export function isTracing(): boolean {
  return trace.enabled;
}

/**
 * Opt-in implicit stop inheritance: while on, a task started from inside another task's body
 * is linked to it (`child.stopWith(parent)`), through `AsyncLocalStorage`. Off by default,
 * because it makes every task start pay for `AsyncLocalStorage.run` (about 150 ns on Node.js
 * 24), and on Node.js 20–22 merely using it slows every `await` in the process.
 */
export function setImplicitStopInheritance(on: boolean): void {
  trace.implicitStop = on;
  if (on) ensureStorage();
}

/**
 * The task whose body is running now, when tracing or implicit stop inheritance is on;
 * `undefined` otherwise or outside any task.
 */
export function currentTask(): Task<unknown> | undefined {
  return storage?.getStore();
}

/** @internal Records a new task. */
export function traceCreated(task: Task<unknown>): void {
  const record: TraceRecord = {
    id: nextId++,
    weak: new WeakRef(task),
    strong: undefined,
    state: 'created',
    createdAt: performance.now(),
    startedAt: undefined,
    awaiting: undefined,
    awaitingSince: undefined,
    parentId: undefined,
  };
  records.set(record.id, record);
  recordOf.set(task, record);
}

/** @internal Starts a task inside the async context that identifies it. */
export function runTraced<T>(task: Task<T>): Promise<T> {
  const als = ensureStorage();
  const parent = als.getStore();
  if (trace.implicitStop && parent !== undefined && parent !== task) task.stopWith(parent);
  const record = trace.enabled ? recordOf.get(task) : undefined;
  if (record !== undefined) {
    record.state = 'running';
    record.startedAt = performance.now();
    record.strong = task;
    record.weak = undefined;
    if (parent !== undefined) record.parentId = recordOf.get(parent)?.id;
  }
  const promise = als.run(task as Task<unknown>, () => task._run());
  if (record !== undefined) {
    promise.then(
      () => settle(record, 'fulfilled'),
      () => settle(record, 'rejected'),
    );
  }
  return promise;
}

function settle(record: TraceRecord, state: TaskState): void {
  record.state = state;
  record.strong = undefined;
  record.awaiting = undefined;
  records.delete(record.id);
}

/** @internal Notes that the current task (if any) is awaiting `awaited`. */
export function traceAwaiting(awaited: Task<unknown>, promise: Promise<unknown>): void {
  const current = storage?.getStore();
  if (current === undefined || current === awaited) return;
  const label = `task ${awaited.name === undefined ? '<anonymous>' : JSON.stringify(awaited.name)}`;
  markAwaiting(current, label, promise);
}

function markAwaiting(current: Task<unknown>, label: string, promise: PromiseLike<unknown>): void {
  const record = recordOf.get(current);
  if (record === undefined) return;
  record.awaiting = label;
  const since = performance.now();
  record.awaitingSince = since;
  const clear = () => {
    if (record.awaitingSince === since) {
      record.awaiting = undefined;
      record.awaitingSince = undefined;
    }
  };
  promise.then(clear, clear);
}

/**
 * Labels what the current task is waiting on, for `dumpTasks()`: returns `awaitable` itself,
 * so it wraps an await in place. Costs nothing but a property check while tracing is off.
 *
 * @example
 * const rows = await traceAwait('SELECT users', db.query(sql));
 */
export function traceAwait<T extends PromiseLike<unknown>>(label: string, awaitable: T): T {
  if (!trace.enabled) return awaitable;
  const current = storage?.getStore();
  if (current !== undefined) markAwaiting(current, label, awaitable);
  return awaitable;
}

/**
 * Lists every live task (created and not yet collected, or running), oldest first, with its
 * state, what it awaits and for how long. Empty when tracing is off.
 */
export function dumpTasks(): TaskSnapshot[] {
  const now = performance.now();
  const snapshots: TaskSnapshot[] = [];
  for (const [id, record] of records) {
    const task = record.strong ?? record.weak?.deref();
    if (task === undefined) {
      records.delete(id);
      continue;
    }
    snapshots.push({
      id,
      name: task.name ?? '<anonymous>',
      state: record.state,
      age: now - record.createdAt,
      runningFor: record.startedAt === undefined ? undefined : now - record.startedAt,
      awaiting: record.awaiting,
      awaitingFor: record.awaitingSince === undefined ? undefined : now - record.awaitingSince,
      parentId: record.parentId,
    });
  }
  return snapshots;
}

/**
 * A readable "coroutine dump": one line per live task, children indented under the task that
 * started them.
 *
 * @example
 * enableTracing();
 * // ... later, when something hangs:
 * console.log(formatTaskDump());
 * // #1 "handler" running 5012ms, awaiting task "query" for 5011ms
 * //   #2 "query" running 5011ms, awaiting SELECT users for 5011ms
 */
export function formatTaskDump(snapshots: readonly TaskSnapshot[] = dumpTasks()): string {
  if (snapshots.length === 0) return trace.enabled ? 'no live tasks' : 'task tracing is off';
  const byParent = new Map<number | undefined, TaskSnapshot[]>();
  const ids = new Set(snapshots.map((s) => s.id));
  for (const snapshot of snapshots) {
    const parent =
      snapshot.parentId !== undefined && ids.has(snapshot.parentId) ? snapshot.parentId : undefined;
    let siblings = byParent.get(parent);
    if (siblings === undefined) byParent.set(parent, (siblings = []));
    siblings.push(snapshot);
  }
  const lines: string[] = [];
  const visit = (parent: number | undefined, depth: number) => {
    for (const s of byParent.get(parent) ?? []) {
      let line = `${'  '.repeat(depth)}#${s.id} ${JSON.stringify(s.name)} ${s.state}`;
      line += s.runningFor === undefined ? ` (created ${ms(s.age)} ago)` : ` ${ms(s.runningFor)}`;
      if (s.awaiting !== undefined)
        line += `, awaiting ${s.awaiting} for ${ms(s.awaitingFor ?? 0)}`;
      lines.push(line);
      visit(s.id, depth + 1);
    }
  };
  visit(undefined, 0);
  return lines.join('\n');
}

function ms(value: number): string {
  return `${Math.round(value)}ms`;
}
