import { performance } from 'node:perf_hooks';
import { currentOwner, ensureStorage, switches } from './context.ts';

/** What tracing needs of a task: it never calls back into `Task`. */
interface Traced {
  readonly name: string | undefined;
}

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
  weak: WeakRef<Traced> | undefined;
  strong: Traced | undefined;
  state: TaskState;
  readonly createdAt: number;
  startedAt: number | undefined;
  awaiting: string | undefined;
  awaitingSince: number | undefined;
  parentId: number | undefined;
}

let nextId = 1;
let records = new Map<number, TraceRecord>();
/** The most records held since the map was last rebuilt. */
let peak = 0;
/** Where a traced task keeps its record (a WeakMap would keep its capacity after a burst). */
const RECORD: unique symbol = Symbol('coro.traceRecord');
function recordOf(task: Traced): TraceRecord | undefined {
  return (task as { [RECORD]?: TraceRecord })[RECORD];
}
/** Forgets the record of a task that was dropped without starting, once it is collected. */
const forget = new FinalizationRegistry<number>((id) => {
  const record = records.get(id);
  if (record !== undefined && record.strong === undefined) forgetRecord(id);
});

function forgetRecord(id: number): void {
  records.delete(id);
  // A Map keeps its capacity after deletions: rebuild it once it is mostly empty, so that a
  // burst of dropped tasks does not keep megabytes of empty slots.
  if (peak > 1024 && records.size * 4 < peak) {
    records = new Map(records);
    peak = records.size;
  }
}

/**
 * Turns task tracing on (or off with `false`). While on, every task created is recorded with
 * its state, and each running body's awaits of tasks and of `traceAwait` labels are noted, so
 * that `dumpTasks()` can show what every live task is waiting on. Off by default; when off a
 * task pays one property check. Turning it off forgets every record. A task dropped without
 * starting is not kept alive by tracing, and its record goes once it is collected.
 */
export function enableTracing(on = true): void {
  switches.tracing = on;
  if (on) ensureStorage();
  else {
    records = new Map();
    peak = 0;
  }
}

/** Whether task tracing is on. */
export function isTracing(): boolean {
  return switches.tracing;
}

/** @internal Records a new task. */
export function traceCreated(task: Traced): void {
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
  if (records.size > peak) peak = records.size;
  (task as { [RECORD]?: TraceRecord })[RECORD] = record;
  forget.register(task, record.id);
}

/** @internal Notes that `task` started (from the body of `parent`, if any) and returned `promise`. */
export function traceStarted(
  task: Traced,
  parent: Traced | undefined,
  promise: Promise<unknown>,
): void {
  const record = recordOf(task);
  if (record === undefined) return;
  record.state = 'running';
  record.startedAt = performance.now();
  record.strong = task;
  record.weak = undefined;
  if (parent !== undefined) record.parentId = recordOf(parent)?.id;
  promise.then(
    () => settle(record, 'fulfilled'),
    () => settle(record, 'rejected'),
  );
}

function settle(record: TraceRecord, state: TaskState): void {
  record.state = state;
  record.strong = undefined;
  record.awaiting = undefined;
  forgetRecord(record.id);
}

/** @internal Notes that the current task (if any) is awaiting `awaited`. */
export function traceAwaiting(awaited: Traced, promise: Promise<unknown>): void {
  const current = currentOwner() as Traced | undefined;
  if (current === undefined || current === awaited) return;
  const label = `task ${awaited.name === undefined ? '<anonymous>' : JSON.stringify(awaited.name)}`;
  markAwaiting(current, label, promise);
}

function markAwaiting(current: Traced, label: string, promise: PromiseLike<unknown>): void {
  const record = recordOf(current);
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
  if (!switches.tracing) return awaitable;
  const current = currentOwner() as Traced | undefined;
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
  if (snapshots.length === 0) return switches.tracing ? 'no live tasks' : 'task tracing is off';
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
