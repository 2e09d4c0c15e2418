// The wire format between a pool and its workers. Messages are flat arrays because the
// structured-clone cost of a message grows with the number of objects in it, and a batch of
// jobs as one flat array is far cheaper to send than an array of job objects.
//
// main → worker
//   [OP_RUN, slot, name, argc, ...args, slot, …]       start jobs (arguments inline)
//   [OP_CANCEL, slot]                                  stop the running job in `slot`
//   [OP_CLOSE]                                         exit once idle (shutdown)
// worker → main
//   [MSG_READY]                                        the module loaded
//   [MSG_LOAD_FAILED, serializedError]                 the module did not load
//   [slot, status, value, slot, status, value, …]      results (slot ≥ 0)
//
// Each worker has a small SharedArrayBuffer with one Int32 state per slot, so that a job can be
// cancelled before it starts (it then never starts) and a running synchronous job can see a
// stop request without returning to its event loop.

import { errorClassForCode } from '@coro/task';
// Loads the pool's errors, which registers them.
import '../errors.ts';

/**
 * The mark `withJobContext` puts on a function. A registered symbol, so that a worker module
 * that loaded another copy of this package is still understood.
 */
export const JOB_CONTEXT = Symbol.for('@coro/pool.jobContext');

export const OP_RUN = 0;
export const OP_CANCEL = 1;
export const OP_CLOSE = 2;

export const MSG_READY = -1;
export const MSG_LOAD_FAILED = -2;

/** Result statuses. */
export const STATUS_OK = 0;
export const STATUS_ERROR = 1;
/** The job was cancelled before it started: it never ran. */
export const STATUS_SKIPPED = 2;

/** Slot states (in the shared Int32Array). */
export const SLOT_PENDING = 0;
export const SLOT_STARTED = 1;
/** Cancelled before it started: the worker must not start it. */
export const SLOT_CANCELLED = 2;
/** Stop requested while it runs. */
export const SLOT_STOP = 3;

/** What the worker gets as `workerData`. */
export interface WorkerBootData {
  readonly module: string;
  readonly threadIndex: number;
  readonly slots: SharedArrayBuffer;
}

/** An error as it crosses the thread boundary. */
export interface SerializedError {
  /** 1: an Error-like object; 0: some other thrown value in `value`. */
  readonly kind: 0 | 1;
  readonly value?: unknown;
  readonly name?: string;
  readonly message?: string;
  readonly stack?: string | undefined;
  readonly hasCause?: boolean;
  readonly cause?: SerializedError;
  readonly errors?: SerializedError[];
  readonly props?: Record<string, unknown>;
}

const cloneable = (value: unknown): boolean => {
  const type = typeof value;
  if (value === null || (type !== 'object' && type !== 'function' && type !== 'symbol')) {
    return true;
  }
  if (type !== 'object') return false;
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
};

/** Turns anything thrown into something that survives structured clone, keeping its shape. */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error) || depth > 8) {
    return { kind: 0, value: cloneable(error) ? error : String(error) };
  }
  const props: Record<string, unknown> = {};
  let hasProps = false;
  for (const key of Object.keys(error)) {
    if (key === 'cause' || key === 'errors' || key === 'stack' || key === 'message') continue;
    const value = (error as unknown as Record<string, unknown>)[key];
    if (cloneable(value)) {
      props[key] = value;
      hasProps = true;
    }
  }
  // CoroError keeps `code` as an own field; read inherited ones (getters) too.
  const code = (error as { code?: unknown }).code;
  if (!('code' in props) && code !== undefined && cloneable(code)) {
    props.code = code;
    hasProps = true;
  }
  const serialized: {
    -readonly [K in keyof SerializedError]: SerializedError[K];
  } = {
    kind: 1,
    name: String(error.name),
    message: String(error.message),
    stack: typeof error.stack === 'string' ? error.stack : undefined,
  };
  if ('cause' in error) {
    serialized.hasCause = true;
    serialized.cause = serializeError(error.cause, depth + 1);
  }
  if (error instanceof AggregateError && Array.isArray(error.errors)) {
    serialized.errors = error.errors.map((e: unknown) => serializeError(e, depth + 1));
  }
  if (hasProps) serialized.props = props;
  return serialized;
}

type ErrorClass = abstract new (...args: never[]) => Error;

// Built-in errors are rebuilt by name; coro errors by their `code`, from the registry that
// every coro package feeds with its own classes (@coro/task's registerErrorClass).
const builtinErrors: Record<string, ErrorClass> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
  AggregateError,
};

function errorClassOf(name: string, code: unknown): ErrorClass | undefined {
  if (typeof code === 'string') {
    const registered = errorClassForCode(code, name);
    if (registered !== undefined) return registered;
  }
  return Object.hasOwn(builtinErrors, name) ? builtinErrors[name] : undefined;
}

/** Rebuilds a thrown value sent by `serializeError`. */
export function deserializeError(serialized: SerializedError): unknown {
  if (serialized.kind === 0) return serialized.value;
  const name = serialized.name ?? 'Error';
  const known = errorClassOf(name, serialized.props?.code);
  const options =
    serialized.hasCause === true ? { cause: deserializeError(serialized.cause!) } : undefined;
  // Reflect.construct makes a genuine Error object with the known class's prototype without
  // running that class's constructor (whose parameters differ from class to class).
  const error = Reflect.construct(
    Error,
    [serialized.message ?? '', options],
    (known ?? Error) as unknown as new () => Error,
  ) as Error & Record<string, unknown>;
  if (error.name !== name) {
    Object.defineProperty(error, 'name', {
      value: name,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  if (serialized.errors !== undefined) {
    Object.defineProperty(error, 'errors', {
      value: serialized.errors.map(deserializeError),
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  const props = serialized.props;
  if (props !== undefined) {
    for (const key of Object.keys(props)) error[key] = props[key];
  }
  if (serialized.stack !== undefined) {
    Object.defineProperty(error, 'stack', {
      value: serialized.stack,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  return error;
}
