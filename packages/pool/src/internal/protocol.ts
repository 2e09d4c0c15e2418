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

import { CoroError, errorClassForCode } from '@coro/task';
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
  /**
   * 1: an Error-like object; 0: some other thrown value in `value`; 2: an error already on the
   * way here (a cycle: a cause or an `errors` entry that contains its own ancestor), `ref`
   * being its depth from the top.
   */
  readonly kind: 0 | 1 | 2;
  readonly value?: unknown;
  readonly ref?: number;
  readonly name?: string;
  readonly message?: string;
  readonly stack?: string | undefined;
  /** A `CoroError` (of any copy of `@coro/task`): rebuilt as one even if its code is unknown. */
  readonly coro?: boolean;
  readonly hasCause?: boolean;
  readonly cause?: SerializedError;
  readonly errors?: SerializedError[];
  readonly props?: Record<string, unknown>;
}

/** What `read` returns for a field whose getter (or a Proxy trap) threw. */
const UNREADABLE: unique symbol = Symbol('unreadable');

/** `target[key]`, or UNREADABLE when reading it throws. */
function read(target: object, key: PropertyKey): unknown {
  try {
    return (target as Record<PropertyKey, unknown>)[key];
  } catch {
    return UNREADABLE;
  }
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

/** `String(value)`, or a description when even that throws (no `toString`, a hostile one). */
function describe(value: unknown): string {
  try {
    return String(value);
  } catch {
    try {
      return Object.prototype.toString.call(value);
    } catch {
      return `[a thrown ${typeof value} that cannot be read]`;
    }
  }
}

/** `String(value)`, or `fallback` when that throws. */
function describeOr(value: unknown, fallback: string): string {
  try {
    return String(value);
  } catch {
    return fallback;
  }
}

/** `value instanceof Error`, false when asking throws (a revoked Proxy). */
function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}

/**
 * Whether `error` is a `CoroError`: of this copy of `@coro/task`, or of another one the worker
 * module loaded (told by the class name, as `withJobContext`'s mark is told by a registered
 * symbol).
 */
function isCoroError(error: Error): boolean {
  try {
    if (error instanceof CoroError) return true;
    let proto: unknown = Object.getPrototypeOf(error);
    // Bounded: a Proxy's getPrototypeOf trap can make the chain endless.
    for (let i = 0; i < 64 && proto !== null && typeof proto === 'object'; i++) {
      const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value as unknown;
      if (typeof ctor === 'function' && ctor.name === 'CoroError') return true;
      proto = Object.getPrototypeOf(proto);
    }
  } catch {}
  return false;
}

/**
 * Turns anything thrown into something that survives structured clone, keeping its shape. It
 * never throws: a field that cannot be read (a getter that throws, a Proxy's trap) is left out,
 * a name or message that cannot be made a string falls back to the default, and a cause or an
 * `errors` entry that is its own ancestor is sent as a reference to it, so the cycle arrives.
 */
export function serializeError(error: unknown, path: unknown[] = []): SerializedError {
  const isAnError = isError(error);
  if (isAnError) {
    const ref = path.indexOf(error);
    if (ref !== -1) return { kind: 2, ref };
  }
  if (!isAnError || path.length > 8) {
    return { kind: 0, value: cloneable(error) ? error : describe(error) };
  }
  const props: Record<string, unknown> = Object.create(null);
  let hasProps = false;
  let keys: string[];
  try {
    keys = Object.keys(error);
  } catch {
    keys = [];
  }
  for (const key of keys) {
    if (key === 'cause' || key === 'errors' || key === 'stack' || key === 'message') continue;
    const value = read(error, key);
    if (value !== UNREADABLE && cloneable(value)) {
      props[key] = value;
      hasProps = true;
    }
  }
  // CoroError keeps `code` as an own field; read inherited ones (getters) too.
  if (!('code' in props)) {
    const code = read(error, 'code');
    if (code !== undefined && code !== UNREADABLE && cloneable(code)) {
      props.code = code;
      hasProps = true;
    }
  }
  const name = read(error, 'name');
  const message = read(error, 'message');
  const stack = read(error, 'stack');
  const serialized: {
    -readonly [K in keyof SerializedError]: SerializedError[K];
  } = {
    kind: 1,
    name: name === UNREADABLE || name === undefined ? 'Error' : describeOr(name, 'Error'),
    message: message === UNREADABLE || message === undefined ? '' : describeOr(message, ''),
    stack: typeof stack === 'string' ? stack : undefined,
  };
  if (isCoroError(error)) serialized.coro = true;
  path.push(error);
  let hasCause = false;
  try {
    hasCause = 'cause' in error;
  } catch {}
  if (hasCause) {
    const cause = read(error, 'cause');
    if (cause !== UNREADABLE) {
      serialized.hasCause = true;
      serialized.cause = serializeError(cause, path);
    }
  }
  try {
    if (error instanceof AggregateError) {
      const errors = error.errors;
      if (Array.isArray(errors)) serialized.errors = errors.map((e) => serializeError(e, path));
    }
  } catch {}
  path.pop();
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
export function deserializeError(serialized: SerializedError, path: Error[] = []): unknown {
  if (serialized.kind === 0) return serialized.value;
  if (serialized.kind === 2) return path[serialized.ref!];
  const name = serialized.name ?? 'Error';
  const known =
    errorClassOf(name, serialized.props?.code) ??
    (serialized.coro === true ? CoroError : undefined);
  // Reflect.construct makes a genuine Error object with the known class's prototype without
  // running that class's constructor (whose parameters differ from class to class).
  const error = Reflect.construct(
    Error,
    [serialized.message ?? ''],
    (known ?? Error) as unknown as new () => Error,
  ) as Error;
  if (error.name !== name) define(error, 'name', name);
  // The cause and the errors are rebuilt once this error exists, so that one of them that is
  // this error (a cycle) can be this very object.
  path.push(error);
  if (serialized.hasCause === true)
    define(error, 'cause', deserializeError(serialized.cause!, path));
  if (serialized.errors !== undefined) {
    define(
      error,
      'errors',
      serialized.errors.map((e) => deserializeError(e, path)),
    );
  }
  path.pop();
  const props = serialized.props;
  if (props !== undefined) {
    // Defined, not assigned: a field named like an accessor of the class (CoroError's `name`)
    // or `__proto__` becomes an own field, as it was on the thread.
    for (const key of Object.keys(props)) {
      Object.defineProperty(error, key, {
        value: props[key],
        writable: true,
        configurable: true,
        enumerable: true,
      });
    }
  }
  if (serialized.stack !== undefined) define(error, 'stack', serialized.stack);
  return error;
}

/** Defines `key` on `error` the way Error does its own fields: writable, not enumerable. */
function define(error: Error, key: string, value: unknown): void {
  Object.defineProperty(error, key, {
    value,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}
