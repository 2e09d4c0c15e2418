// Worker side of the sync-threads scenarios: on { kind, n } it increments the shared counter
// n times under the named lock, then replies 'done'.
import { parentPort, workerData } from 'node:worker_threads';
import { Mutex } from '@coro/sync/threads';

const mutex = Mutex.from(workerData.mutex as Mutex);
const counter = workerData.counter as Int32Array;
const futex = workerData.futex as Int32Array;
const tickets = workerData.tickets as Int32Array; // [next ticket, now serving]
const gate = workerData.gate as Int32Array; // workers arrived, so that both start together

// Drepper's futex mutex ("Futexes Are Tricky", mutex #2): 0 free, 1 locked, 2 locked with
// waiters. The classic way to lock across threads when a thread may block.
function futexLock(): void {
  let c = Atomics.compareExchange(futex, 0, 0, 1);
  if (c === 0) return;
  do {
    if (c === 2 || Atomics.compareExchange(futex, 0, 1, 2) !== 0) Atomics.wait(futex, 0, 2);
    c = Atomics.compareExchange(futex, 0, 0, 2);
  } while (c !== 0);
}

function futexUnlock(): void {
  if (Atomics.sub(futex, 0, 1) !== 1) {
    Atomics.store(futex, 0, 0);
    Atomics.notify(futex, 0, 1);
  }
}

// A FIFO ticket lock on Atomics.wait: as fair as coro's Mutex (each unlock hands the lock to
// the thread in line, so two contending threads alternate), but blocking its thread.
function ticketLock(): void {
  const ticket = Atomics.add(tickets, 0, 1);
  for (;;) {
    const serving = Atomics.load(tickets, 1);
    if (serving === ticket) return;
    Atomics.wait(tickets, 1, serving);
  }
}

function ticketUnlock(): void {
  Atomics.add(tickets, 1, 1);
  Atomics.notify(tickets, 1);
}

parentPort?.on(
  'message',
  async (message: { kind: 'coro' | 'futex' | 'ticket'; n: number; gate: number }) => {
    const n = message.n;
    // Start barrier: both workers must contend from the first increment on.
    Atomics.add(gate, 0, 1);
    Atomics.notify(gate, 0);
    for (let seen = Atomics.load(gate, 0); seen < message.gate; seen = Atomics.load(gate, 0)) {
      Atomics.wait(gate, 0, seen);
    }
    if (message.kind === 'coro') {
      for (let i = 0; i < n; i++) {
        using _lock = await mutex.lock();
        counter[0] = (counter[0] as number) + 1;
      }
    } else if (message.kind === 'ticket') {
      for (let i = 0; i < n; i++) {
        ticketLock();
        counter[0] = (counter[0] as number) + 1;
        ticketUnlock();
      }
    } else {
      for (let i = 0; i < n; i++) {
        futexLock();
        counter[0] = (counter[0] as number) + 1;
        futexUnlock();
      }
    }
    parentPort?.postMessage('done');
  },
);
