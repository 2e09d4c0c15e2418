// Reads and checks the options of a ThreadPerCore server, all of them before anything starts.
import { availableParallelism } from 'node:os';
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidArgumentError, type StopLike, toStopLike } from '@coro/task';
import { checkAcceptors, refuseUnknownOptions } from './options.ts';
import type { IpAddress } from '../ip-address.ts';
import { checkPort, toIpAddress } from '../socket-address.ts';
import type { ThreadPerCoreOptions } from '../thread-per-core-types.ts';

/** @internal The checked options, with defaults filled in. */
export interface ThreadPerCoreConfig {
  readonly module: string;
  readonly threads: number;
  readonly address: string;
  readonly port: number;
  readonly backlog: number;
  readonly reusePort: boolean;
  readonly acceptors: number;
  readonly noDelay: boolean;
  readonly gracePeriod: number;
  readonly restart: { readonly initialDelay: number; readonly maxDelay: number } | false;
  readonly handleSignals: boolean;
  readonly statsInterval: number;
  readonly timeout: number;
  readonly signal: StopLike | undefined;
  readonly data: unknown;
}

/** @internal Checks a duration in ms: a number ≥ 0, Infinity allowed. */
export function checkDuration(value: unknown, where: string): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0) {
    throw new InvalidArgumentError(
      `${where} must be a number of milliseconds ≥ 0 (Infinity for none), got ${String(value)}`,
    );
  }
  return value;
}

function checkBoolean(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean') {
    throw new InvalidArgumentError(`${where} must be a boolean, got ${String(value)}`);
  }
  return value;
}

function resolveModule(module: unknown): string {
  if (module instanceof URL) return module.href;
  if (typeof module !== 'string' || module === '') {
    throw new InvalidArgumentError(
      `serve: module must be a URL or a non-empty path, got ${String(module)}`,
    );
  }
  if (/^(file|data):/.test(module)) return module;
  if (!isAbsolute(module)) {
    throw new InvalidArgumentError(
      `serve: module must be a URL or an absolute path (threads resolve nothing relative to the caller), got ${module}`,
    );
  }
  return pathToFileURL(module).href;
}

function readRestart(value: unknown): ThreadPerCoreConfig['restart'] {
  if (value === undefined || value === true) return { initialDelay: 100, maxDelay: 10_000 };
  if (value === false) return false;
  if (value === null || typeof value !== 'object') {
    throw new InvalidArgumentError(
      `serve: restart must be a boolean or { initialDelay, maxDelay }, got ${String(value)}`,
    );
  }
  const { initialDelay = 100, maxDelay = 10_000 } = value as {
    initialDelay?: unknown;
    maxDelay?: unknown;
  };
  const initial = checkDuration(initialDelay, 'serve: restart.initialDelay');
  const max = checkDuration(maxDelay, 'serve: restart.maxDelay');
  if (initial === Infinity || max < initial) {
    throw new InvalidArgumentError(
      `serve: restart needs a finite initialDelay ≤ maxDelay, got ${initial} and ${max}`,
    );
  }
  return { initialDelay: initial, maxDelay: max };
}

// ThreadPerCoreOptions' keys (a record, so that the compiler holds it to the interface).
const optionKeys: Readonly<Record<keyof ThreadPerCoreOptions, true>> = {
  module: true,
  threads: true,
  address: true,
  port: true,
  backlog: true,
  reusePort: true,
  acceptors: true,
  noDelay: true,
  gracePeriod: true,
  restart: true,
  onRestart: true,
  onThreadReady: true,
  onError: true,
  handleSignals: true,
  statsInterval: true,
  timeout: true,
  signal: true,
  data: true,
};

/**
 * @internal The most threads `serve()` starts. Each is a V8 isolate (~10 MB before it serves
 * anything) started at once; a count far above the cores buys nothing but switching, and a
 * thousand of them on a small machine take gigabytes and starve the main thread for a minute.
 */
export const maxThreads = 256;

/** @internal Checks every option; throws `InvalidArgumentError` / `InvalidAddressError`. */
export function readThreadPerCoreOptions(options: ThreadPerCoreOptions): ThreadPerCoreConfig {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(`serve: options must be an object, got ${String(options)}`);
  }
  refuseUnknownOptions(options, optionKeys, 'serve');
  const threads = options.threads ?? Math.min(availableParallelism(), maxThreads);
  if (
    typeof threads !== 'number' ||
    !Number.isInteger(threads) ||
    threads < 1 ||
    threads > maxThreads
  ) {
    throw new InvalidArgumentError(
      `serve: threads must be an integer from 1 to ${maxThreads}, got ${String(threads)}`,
    );
  }
  const backlog = options.backlog ?? 511;
  if (typeof backlog !== 'number' || !Number.isInteger(backlog) || backlog < 0) {
    throw new InvalidArgumentError(`serve: backlog must be an integer ≥ 0, got ${String(backlog)}`);
  }
  const address: IpAddress = toIpAddress(options.address ?? '0.0.0.0');
  const statsInterval = checkDuration(options.statsInterval ?? 250, 'serve: statsInterval');
  if (statsInterval === 0 || statsInterval === Infinity) {
    throw new InvalidArgumentError(
      `serve: statsInterval must be finite and > 0, got ${statsInterval}`,
    );
  }
  for (const name of ['onRestart', 'onThreadReady', 'onError'] as const) {
    const callback = options[name];
    if (callback !== undefined && typeof callback !== 'function') {
      throw new InvalidArgumentError(`serve: ${name} must be a function`);
    }
  }
  let signal: StopLike | undefined;
  try {
    signal = toStopLike(options.signal);
  } catch (error) {
    throw new InvalidArgumentError(`serve: ${(error as Error).message}`, { cause: error });
  }
  const data = options.data;
  try {
    structuredClone(data);
  } catch (error) {
    throw new InvalidArgumentError(
      `serve: data must be structured-cloneable (it is copied to every thread): ${(error as Error).message}`,
      { cause: error },
    );
  }
  return {
    module: resolveModule(options.module),
    threads,
    address: address.toString(),
    port: checkPort(options.port ?? 0),
    backlog,
    reusePort: checkBoolean(options.reusePort ?? true, 'serve: reusePort'),
    acceptors: checkAcceptors(options.acceptors ?? 1, 'serve: acceptors'),
    noDelay: checkBoolean(options.noDelay ?? false, 'serve: noDelay'),
    gracePeriod: checkDuration(options.gracePeriod ?? 10_000, 'serve: gracePeriod'),
    restart: readRestart(options.restart),
    handleSignals: checkBoolean(options.handleSignals ?? false, 'serve: handleSignals'),
    statsInterval,
    timeout: checkDuration(options.timeout ?? Infinity, 'serve: timeout'),
    signal,
    data,
  };
}
