// The program every pool thread runs: it loads the user's worker module, then runs the jobs the
// pool sends (batches of them, several in flight), and sends the results back in batches.
// It is its own build entry (dist/worker.js) and is started by ThreadPool, never imported.
import { setImmediate as immediate } from 'node:timers/promises';
import { parentPort, type TransferListItem, workerData } from 'node:worker_threads';
import { CancelledError, StopSource, type StopToken } from '@coro/task';
import { DataCloneError, ModuleLoadError, UnknownJobError } from './errors.ts';
import {
  JOB_CONTEXT,
  MSG_LOAD_FAILED,
  MSG_READY,
  OP_CANCEL,
  OP_CLOSE,
  OP_RUN,
  SLOT_PENDING,
  SLOT_STARTED,
  SLOT_STOP,
  STATUS_ERROR,
  STATUS_OK,
  STATUS_SKIPPED,
  type SerializedError,
  serializeError,
  type WorkerBootData,
} from './internal/protocol.ts';
import type { JobContext } from './job-context.ts';

type JobFunction = (...args: unknown[]) => unknown;

const boot = workerData as WorkerBootData;
const port = parentPort!;
const states = new Int32Array(boot.slots);
const threadIndex = boot.threadIndex;

/** Contexts of the jobs that took one and have not finished, by slot. */
const contexts: (Context | undefined)[] = [];
/** Results waiting to be sent: [slot, status, value, …]. */
let out: unknown[] = [];
let outTransfer: TransferListItem[] | undefined;
let flushQueued = false;

class Context implements JobContext {
  readonly name: string;
  readonly threadIndex: number;
  _slot: number;
  _source: StopSource | undefined = undefined;
  _transfer: TransferListItem[] | undefined = undefined;
  _done = false;

  constructor(slot: number, name: string) {
    this._slot = slot;
    this.name = name;
    this.threadIndex = threadIndex;
  }

  get stopToken(): StopToken {
    let source = this._source;
    if (source === undefined) {
      source = this._source = new StopSource();
      if (!this._done && Atomics.load(states, this._slot) === SLOT_STOP) this._stop();
    }
    return source.token;
  }

  get signal(): AbortSignal {
    return this.stopToken.signal;
  }

  get stopRequested(): boolean {
    const source = this._source;
    if (source !== undefined && source.stopRequested) return true;
    if (this._done || Atomics.load(states, this._slot) !== SLOT_STOP) return false;
    this._stop();
    return true;
  }

  throwIfStopRequested(): void {
    if (this.stopRequested) throw this._source!.token.reason;
  }

  yield(): Promise<void> {
    return immediate();
  }

  transfer(...items: TransferListItem[]): void {
    (this._transfer ??= []).push(...items);
  }

  /** Fires the stop token (made now if the job never asked for it). */
  _stop(): void {
    (this._source ??= new StopSource()).requestStop(
      new CancelledError(`job '${this.name}' was cancelled`),
    );
  }
}

/** The module's exported functions: those that take the caller's arguments only… */
let functions: Record<string, JobFunction> = Object.create(null);
/** …and those marked by withJobContext, which take the job's context first. */
let contextFunctions: Record<string, JobFunction> = Object.create(null);
const exportNames: string[] = [];
let loadError: SerializedError | undefined;

try {
  const namespace = (await import(boot.module)) as Record<string, unknown>;
  // A plain object of the exported functions: property lookups on a module namespace object
  // are slower, and this runs for every job.
  const plain: Record<string, JobFunction> = Object.create(null);
  const contextual: Record<string, JobFunction> = Object.create(null);
  for (const key of Object.keys(namespace)) {
    const value = namespace[key];
    if (typeof value !== 'function') continue;
    if ((value as unknown as Record<symbol, unknown>)[JOB_CONTEXT] === true) {
      contextual[key] = value as JobFunction;
    } else plain[key] = value as JobFunction;
    exportNames.push(key);
  }
  functions = plain;
  contextFunctions = contextual;
} catch (error) {
  loadError = serializeError(new ModuleLoadError(boot.module, { cause: error }));
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * How long each function's synchronous part took lately (ms; the recent maximum, decaying).
 * Results wait in a batch until the current message is done; before a job that may take a
 * while, the results so far are sent first, so a quick job's result is never held back behind
 * a long job that happened to come in the same batch.
 */
const recentCost: Record<string, number> = Object.create(null);
/** Below this a job counts as quick: its neighbours' results may wait for it. */
const QUICK_MS = 0.05;

/** Runs the job whose arguments are `message[at …at + argc)`. */
function runJob(slot: number, name: string, message: unknown[], at: number, argc: number): void {
  // A job cancelled before it starts must never start: the pool marks its slot, we check it.
  if (Atomics.compareExchange(states, slot, SLOT_PENDING, SLOT_STARTED) !== SLOT_PENDING) {
    out.push(slot, STATUS_SKIPPED, undefined);
    return;
  }
  if (loadError !== undefined) {
    out.push(slot, STATUS_ERROR, loadError);
    return;
  }
  let fn = functions[name];
  let ctx: Context | undefined;
  if (fn === undefined) {
    fn = contextFunctions[name];
    if (fn === undefined) {
      out.push(slot, STATUS_ERROR, serializeError(new UnknownJobError(name, exportNames)));
      return;
    }
    ctx = new Context(slot, name);
  }
  const cost = recentCost[name];
  if (out.length !== 0 && (cost === undefined || cost > QUICK_MS)) flush();
  let result: unknown;
  const started = performance.now();
  try {
    if (ctx !== undefined) {
      const args = new Array<unknown>(argc + 1);
      args[0] = ctx;
      for (let k = 0; k < argc; k++) args[k + 1] = message[at + k];
      result = fn.apply(undefined, args);
    } else if (argc === 0) result = fn();
    else if (argc === 1) result = fn(message[at]);
    else if (argc === 2) result = fn(message[at], message[at + 1]);
    else if (argc === 3) result = fn(message[at], message[at + 1], message[at + 2]);
    else result = fn.apply(undefined, message.slice(at, at + argc));
  } catch (error) {
    if (ctx !== undefined) ctx._done = true;
    out.push(slot, STATUS_ERROR, serializeError(error));
    return;
  }
  const elapsed = performance.now() - started;
  recentCost[name] = cost === undefined || elapsed > cost ? elapsed : cost * 0.5;
  let promise: Promise<unknown> | undefined;
  try {
    // Promise.resolve returns a native promise as it is; any other thenable it adopts the way
    // `await` would: a `then` that throws rejects, and a `then` that calls back twice counts
    // once (a second result for the slot would settle whichever job holds it next).
    if (isThenable(result)) promise = Promise.resolve(result);
  } catch (error) {
    // Reading `then` threw (a getter, a Proxy): the job failed with that error.
    if (ctx !== undefined) ctx._done = true;
    out.push(slot, STATUS_ERROR, serializeError(error));
    return;
  }
  if (promise !== undefined) {
    if (ctx !== undefined) contexts[slot] = ctx;
    promise.then(
      (value) => finishAsync(slot, ctx, STATUS_OK, value),
      (error: unknown) => finishAsync(slot, ctx, STATUS_ERROR, serializeError(error)),
    );
    return;
  }
  if (ctx !== undefined) {
    ctx._done = true;
    if (ctx._transfer !== undefined) (outTransfer ??= []).push(...ctx._transfer);
  }
  out.push(slot, STATUS_OK, result);
}

function finishAsync(slot: number, ctx: Context | undefined, status: number, value: unknown) {
  if (ctx !== undefined) {
    ctx._done = true;
    contexts[slot] = undefined;
    if (status === STATUS_OK && ctx._transfer !== undefined) {
      (outTransfer ??= []).push(...ctx._transfer);
    }
  }
  out.push(slot, status, value);
  if (!flushQueued) {
    flushQueued = true;
    queueMicrotask(flushLater);
  }
}

function flushLater(): void {
  flushQueued = false;
  flush();
}

function flush(): void {
  if (out.length === 0) return;
  const batch = out;
  const transfer = outTransfer;
  out = [];
  outTransfer = undefined;
  try {
    if (transfer === undefined) port.postMessage(batch);
    else port.postMessage(batch, transfer);
  } catch {
    // Some result cannot be cloned; send them one by one so that only that job fails.
    for (let i = 0; i < batch.length; i += 3) {
      const record = [batch[i], batch[i + 1], batch[i + 2]];
      try {
        port.postMessage(
          record,
          transfer?.filter((item) => containsTransferable(record, item)),
        );
      } catch (error) {
        port.postMessage([
          batch[i],
          STATUS_ERROR,
          serializeError(
            new DataCloneError(
              `the job's result could not be sent to the main thread: ${(error as Error).message}`,
              { cause: error },
            ),
          ),
        ]);
      }
    }
  }
}

/** Whether `item` is (shallowly or one level deep) inside `value`: for the rare retry path. */
function containsTransferable(value: unknown, item: unknown): boolean {
  const seen = new Set<unknown>();
  const visit = (v: unknown, depth: number): boolean => {
    if (v === item) return true;
    if (v === null || typeof v !== 'object' || depth > 6 || seen.has(v)) return false;
    seen.add(v);
    if (ArrayBuffer.isView(v)) return v.buffer === item;
    for (const child of Object.values(v)) if (visit(child, depth + 1)) return true;
    return false;
  };
  return visit(value, 0);
}

port.on('message', (message: unknown[]) => {
  if (message[0] === OP_RUN) {
    for (let i = 1; i < message.length; ) {
      const argc = message[i + 2] as number;
      runJob(message[i] as number, message[i + 1] as string, message, i + 3, argc);
      i += 3 + argc;
    }
    flush();
  } else if (message[0] === OP_CANCEL) {
    contexts[message[1] as number]?._stop();
  } else if (message[0] === OP_CLOSE) {
    // Nothing is running (the pool drained first). With the port closed the event loop runs
    // dry and the thread exits by itself, flushing its stdout and stderr on the way.
    port.close();
  }
});

if (loadError === undefined) port.postMessage([MSG_READY]);
else port.postMessage([MSG_LOAD_FAILED, loadError]);
