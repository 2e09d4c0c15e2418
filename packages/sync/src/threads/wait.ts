/**
 * Parking on a waiter slot of the shared engine (`core.ts`): the waits, timer and stop
 * registration of one waiter, and how it claims what it was handed or leaves the line.
 *
 * @internal
 */
import {
  isStopRequested,
  onStop,
  type StopLike,
  type StopRegistration,
  traceAwait,
  type WaitOptions,
} from '@coro/task';
import {
  CANCELLED,
  FREE,
  GRANTED,
  LIFE_TOKENS,
  type LeaveHook,
  type SharedCore,
  TIMED_OUT,
  WAITING,
} from './core.ts';
import { holdAlive, releaseAlive } from './keep-alive.ts';
import { readThreadWaitOptions } from './timing.ts';

/** The longest delay a Node timer takes as it is (longer ones fire after 1 ms). */
const MAX_TIMER_MS = 0x7fffffff;

/**
 * What a waiter does, under the guard, with what it was handed (`GRANTED` / `WOKEN`) at the
 * moment it claims it: e.g. a ring buffer producer writes into its reserved cell there, so the
 * reservation never outlives the claim. Returns the wait's result.
 */
export type Claim = (state: number) => number;

/**
 * The whole wait of a "wait until a shared condition holds" primitive (Event, Latch,
 * WaitGroup): `true` at once if `ready` holds under the guard, `false` at once if the stop has
 * already been requested or `timeout` is 0, otherwise parks on `list` until a waker grants it
 * (`true`) or the timeout / stop ends the wait (`false`). Bad options throw
 * `InvalidArgumentError` here, at the call; what goes wrong later rejects.
 */
export function waitUntilReady(
  core: SharedCore,
  list: number,
  ready: () => boolean,
  options: WaitOptions | undefined,
  label: string,
): Promise<boolean> {
  const { signal, timeout } = readThreadWaitOptions(options);
  return parkUntilReady(core, list, ready, signal, timeout, label);
}

async function parkUntilReady(
  core: SharedCore,
  list: number,
  ready: () => boolean,
  signal: StopLike | undefined,
  timeout: number | undefined,
  label: string,
): Promise<boolean> {
  const held = (): boolean | Promise<boolean> => {
    // The one precedence rule: a call whose stop came first answers false, even when ready.
    if (isStopRequested(signal)) {
      core.unlock();
      return false;
    }
    if (ready()) {
      core.unlock();
      return true;
    }
    if (timeout === 0) {
      core.unlock();
      return false;
    }
    const slot = core.enqueue(list, 0);
    return waitOn(core, list, slot, signal, timeout, undefined, label).then(isGranted);
  };
  if (core.tryLockBriefly()) return held();
  return core.lockAsync(held);
}

function isGranted(state: number): boolean {
  return state === GRANTED;
}

/**
 * Parks on `slot` until it is granted / woken, the timeout runs out or the stop fires. Must be
 * called **with the guard held**, right after `enqueue`: it registers its waits first (the one
 * a grant wakes and its life tokens, see `core.ts`) and then releases the guard, so that a
 * granter always finds this thread parked. Resolves with the slot's final state (`GRANTED` /
 * `WOKEN`, or what `claim` made of it), `TIMED_OUT` or `CANCELLED`; the slot is freed and every
 * timer and stop registration removed before it resolves. Rejects with
 * `SharedStateAbandonedError` if the guard was abandoned meanwhile.
 */
export function waitOn(
  core: SharedCore,
  list: number,
  slot: number,
  signal: StopLike | undefined,
  timeout: number | undefined,
  hook: LeaveHook | undefined,
  label: string,
  claim?: Claim,
): Promise<number> {
  const i32 = core.i32;
  const index = core.stateIndex(slot);
  const result = Atomics.waitAsync(i32, index, WAITING);
  if (!result.async) {
    // Cannot happen (the cell is WAITING under the guard); stay correct anyway.
    core.unlink(list, slot);
    core.release(slot);
    core.unlock();
    return Promise.resolve(TIMED_OUT);
  }
  const tokens: Promise<unknown>[] = [];
  for (let k = 0; k < LIFE_TOKENS; k++) {
    const token = Atomics.waitAsync(i32, index, WAITING);
    if (token.async) tokens.push(token.value);
  }
  core.parked();
  core.unlock();
  const parked = new Promise<number>((resolve, reject) => {
    const wait = new SlotWait(core, list, slot, hook, claim, resolve, reject);
    holdAlive();
    result.value.then(wait.onWake);
    for (const token of tokens) token.then(wait.onWake);
    if (timeout !== undefined) wait.armTimeout(timeout);
    if (signal !== undefined) wait.registration = onStop(signal, wait.onCancel);
  });
  // With tracing on, `dumpTasks()` shows a task stuck on a cross-thread wait by its name.
  return traceAwait(label, parked);
}

class SlotWait {
  readonly core: SharedCore;
  readonly list: number;
  readonly slot: number;
  readonly hook: LeaveHook | undefined;
  readonly claim: Claim | undefined;
  readonly resolve: (state: number) => void;
  readonly reject: (error: unknown) => void;
  settled = false;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  registration: StopRegistration | undefined = undefined;

  constructor(
    core: SharedCore,
    list: number,
    slot: number,
    hook: LeaveHook | undefined,
    claim: Claim | undefined,
    resolve: (state: number) => void,
    reject: (error: unknown) => void,
  ) {
    this.core = core;
    this.list = list;
    this.slot = slot;
    this.hook = hook;
    this.claim = claim;
    this.resolve = resolve;
    this.reject = reject;
  }

  armTimeout(ms: number): void {
    if (ms <= MAX_TIMER_MS) this.timer = setTimeout(this.onTimeout, ms);
    else this.timer = setTimeout(() => this.armTimeout(ms - MAX_TIMER_MS), MAX_TIMER_MS);
  }

  /** Runs `body` under the guard, waiting for it asynchronously if it is busy. */
  #guarded(body: () => void): void {
    if (this.settled) return;
    let now: boolean;
    try {
      now = this.core.tryLockBriefly();
    } catch (error) {
      this.fail(error);
      return;
    }
    if (now) body();
    else this.core.lockAsyncWhile(body, this.#unsettled).catch(this.fail);
  }

  readonly #unsettled = (): boolean => !this.settled;

  readonly onWake = (): void => {
    this.#guarded(this.#woken);
  };

  readonly #woken = (): void => {
    const core = this.core;
    if (this.settled) {
      core.unlock();
      return;
    }
    const index = core.stateIndex(this.slot);
    const state = Atomics.load(core.i32, index);
    if (state === WAITING) {
      // Not ours to act on (cannot happen with coro's own writers); park again, registered
      // before the guard is released like every wait.
      const again = Atomics.waitAsync(core.i32, index, WAITING);
      core.unlock();
      if (again.async) again.value.then(this.onWake);
      else this.onWake();
      return;
    }
    this.#claimed(state);
  };

  /** Under the guard: the slot was handed over; take it (and what came with it). */
  #claimed(state: number): void {
    const core = this.core;
    const result = this.claim === undefined ? state : this.claim(state);
    core.claim(this.slot);
    core.unlock();
    this.settle(result);
  }

  readonly onTimeout = (): void => {
    this.timer = undefined;
    this.#guarded(this.#timedOut);
  };

  readonly onCancel = (): void => {
    this.#guarded(this.#cancelled);
  };

  readonly #timedOut = (): void => this.#giveUp(TIMED_OUT);
  readonly #cancelled = (): void => this.#giveUp(CANCELLED);

  #giveUp(outcome: number): void {
    const core = this.core;
    if (this.settled) {
      core.unlock();
      return;
    }
    const index = core.stateIndex(this.slot);
    const state = Atomics.load(core.i32, index);
    if (state !== WAITING) {
      // Handed over in the same turn: keep it (the grant won the race under the guard).
      this.#claimed(state);
      return;
    }
    core.unlink(this.list, this.slot);
    // Wake our own pending waits so that nothing stays parked on the cell; they are the only
    // waiters there, and `settled` makes their callbacks no-ops.
    Atomics.store(core.i32, index, FREE);
    Atomics.notify(core.i32, index);
    this.hook?.afterLeave(this.list);
    core.release(this.slot);
    core.unlock();
    this.settle(outcome);
  }

  #cleanUp(): void {
    this.settled = true;
    this.core.unparked();
    releaseAlive();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.registration?.unregister();
    this.registration = undefined;
  }

  settle(state: number): void {
    this.#cleanUp();
    this.resolve(state);
  }

  readonly fail = (error: unknown): void => {
    if (this.settled) return;
    this.#cleanUp();
    this.reject(error);
  };
}
