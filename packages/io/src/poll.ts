import type { Duplex, Readable, Writable } from 'node:stream';
import {
  InvalidArgumentError,
  isStopRequested,
  onStop,
  type StopRegistration,
  type WaitOptions,
} from '@coro/task';
import type { Clock } from './internal/clock.ts';
import { readWaitOptions } from './internal/durations.ts';
import { CallbackTimer } from './internal/timer-queue.ts';
import type { TimerService } from './internal/timer-service.ts';

/** What to wait for: data to read, room to write, or either (libcoro's `poll_op`). */
export type PollOp = 'read' | 'write' | 'readWrite';

/**
 * The outcome of `poll`:
 * - `'read'`: data is buffered in the stream; `target.read()` returns it.
 * - `'write'`: the stream is connected and below its high-water mark; a write goes out.
 * - `'closed'`: the stream ended (end of data for a read) or was destroyed.
 * - `'error'`: the stream failed; `target.errored` holds the error.
 * - `'timeout'`: the `timeout` ran out first.
 * - `'cancelled'`: the `signal` stopped first.
 */
export type PollStatus = 'read' | 'write' | 'timeout' | 'error' | 'closed' | 'cancelled';

/** What `poll` accepts: a `net.Socket`, a `tls.TLSSocket`, or any Node.js stream. */
export type PollTarget = Readable | Writable | Duplex;

/**
 * Options of `poll`: `{ timeout, signal }`. `timeout` in ms: `Infinity` (or none) waits as
 * long as it takes, `0` reports only what is ready now.
 */
export type PollOptions = WaitOptions;

/** @internal What poll needs from its scheduler. */
export interface PollHost {
  readonly clock: Clock;
  readonly timers: TimerService;
  /** Delivers the outcome (in manual mode: inside processEvents). */
  deliver(fn: () => void): void;
  /** Counts a pending poll in the scheduler's size. */
  started(): void;
  ended(): void;
}

interface StreamLike {
  readonly destroyed?: boolean;
  readonly errored?: unknown;
  readonly readableLength?: number;
  readonly readableEnded?: boolean;
  readonly writableEnded?: boolean;
  readonly writableNeedDrain?: boolean;
  readonly connecting?: boolean;
  readonly _readableState?: { readonly ended?: boolean };
  read?: unknown;
  write?: unknown;
  on(event: string, listener: () => void): unknown;
  removeListener(event: string, listener: () => void): unknown;
}

const readEvents = ['readable', 'end'];
const writeEvents = ['drain', 'connect', 'finish'];
const commonEvents = ['error', 'close'];

function isReadable(t: StreamLike): boolean {
  return typeof t.read === 'function' && typeof t.readableLength === 'number';
}

function isWritable(t: StreamLike): boolean {
  return typeof t.write === 'function' && typeof t.writableNeedDrain === 'boolean';
}

function readStatus(t: StreamLike): PollStatus | undefined {
  if (t.errored != null) return 'error';
  if (t.destroyed) return 'closed';
  if (t.readableLength! > 0) return 'read';
  // `_readableState.ended` is set when the end of the data arrived, before 'end' is emitted
  // (which waits for a read): for a poller that is already "closed".
  if (t.readableEnded || t._readableState?.ended === true) return 'closed';
  return undefined;
}

function writeStatus(t: StreamLike): PollStatus | undefined {
  if (t.errored != null) return 'error';
  if (t.destroyed || t.writableEnded) return 'closed';
  if (t.connecting === true || t.writableNeedDrain) return undefined;
  return 'write';
}

function status(t: StreamLike, op: PollOp): PollStatus | undefined {
  if (op === 'read') return readStatus(t);
  if (op === 'write') return writeStatus(t);
  const r = readStatus(t);
  if (r === 'error' || r === 'read') return r;
  const w = writeStatus(t);
  if (w !== undefined) return w;
  return r;
}

/** @internal `IoScheduler.poll`. */
export function pollTarget(
  host: PollHost,
  target: PollTarget,
  op: PollOp,
  options: PollOptions | undefined,
): Promise<PollStatus> {
  if (op !== 'read' && op !== 'write' && op !== 'readWrite') {
    throw new InvalidArgumentError(
      `poll op must be 'read', 'write' or 'readWrite', got ${String(op)}`,
    );
  }
  const stream = target as unknown as StreamLike;
  if (stream === null || typeof stream !== 'object' || typeof stream.on !== 'function') {
    throw new InvalidArgumentError('poll expects a net.Socket or a Node.js stream');
  }
  const wantRead = op !== 'write';
  const wantWrite = op !== 'read';
  if (wantRead && !isReadable(stream)) {
    throw new InvalidArgumentError(`poll(${op}) needs a readable stream`);
  }
  if (wantWrite && !isWritable(stream)) {
    throw new InvalidArgumentError(`poll(${op}) needs a writable stream`);
  }
  const { signal, timeout } = readWaitOptions(options, 'poll');
  const ready = status(stream, op);
  if (ready !== undefined) return Promise.resolve(ready);
  if (signal !== undefined && isStopRequested(signal)) return Promise.resolve('cancelled');
  if (timeout === 0) return Promise.resolve('timeout');

  return new Promise<PollStatus>((resolve) => {
    host.started();
    const events = wantRead
      ? wantWrite
        ? [...readEvents, ...writeEvents, ...commonEvents]
        : [...readEvents, ...commonEvents]
      : [...writeEvents, ...commonEvents];
    let done = false;
    let timer: CallbackTimer | undefined;
    let registration: StopRegistration | undefined;
    const finish = (result: PollStatus) => {
      if (done) return;
      done = true;
      for (const event of events) stream.removeListener(event, onEvent);
      if (timer !== undefined) host.timers.cancel(timer);
      registration?.unregister();
      host.ended();
      host.deliver(() => resolve(result));
    };
    const onEvent = () => {
      const result = status(stream, op);
      if (result !== undefined) finish(result);
    };
    for (const event of events) stream.on(event, onEvent);
    if (timeout !== undefined) {
      timer = new CallbackTimer(() => finish('timeout'));
      host.timers.add(host.clock.deadlineAfter(timeout), timer);
    }
    if (signal !== undefined) registration = onStop(signal, () => finish('cancelled'));
  });
}
