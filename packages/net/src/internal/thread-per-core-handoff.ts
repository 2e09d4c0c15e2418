// The handoff mode of a ThreadPerCore server: one listener in the main thread accepts (paused,
// nothing read) and moves each socket to the ready thread with the fewest open connections,
// holding a bounded number while no thread is ready.
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { ACCEPTED, OPEN, type SharedStats } from './thread-per-core-stats.ts';
import type { SupervisedThread } from './thread-per-core-thread.ts';

/** Connections held while no thread is ready; more are refused. */
const MAX_PENDING = 4096;

function ignore(): void {}

/** @internal */
export class HandoffListener {
  readonly #threads: readonly SupervisedThread[];
  readonly #stats: SharedStats;
  readonly #onError: (error: Error) => void;
  readonly #pending: Socket[] = [];
  #server: NetServer | undefined;
  #next = 0;
  #closed = false;
  // Per thread: sockets handed to it since it became ready, and its ACCEPTED count then. A
  // thread counts a socket as open only once it has arrived, so during a burst the picker adds
  // those still in flight (handed, not yet accepted) to what the thread reports.
  readonly #handed = new Map<SupervisedThread, { readyAt: number; base: number; handed: number }>();

  constructor(
    threads: readonly SupervisedThread[],
    stats: SharedStats,
    onError: (error: Error) => void,
  ) {
    this.#threads = threads;
    this.#stats = stats;
    this.#onError = onError;
  }

  /** Listens; resolves with the bound port, rejects with the bind error. */
  listen(address: string, port: number, backlog: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer({ pauseOnConnect: true, allowHalfOpen: true });
      this.#server = server;
      const onError = (error: Error): void => {
        this.#server = undefined;
        reject(error);
      };
      server.once('error', onError);
      server.on('connection', (socket: Socket) => this.#dispatch(socket));
      server.listen({ host: address, port, backlog, exclusive: true }, () => {
        server.removeListener('error', onError);
        server.on('error', this.#onError);
        const bound = server.address();
        resolve(typeof bound === 'object' && bound !== null ? bound.port : port);
      });
    });
  }

  #dispatch(socket: Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    const thread = this.#pick();
    if (thread !== undefined && this.#hand(thread, socket)) return;
    if (this.#pending.length >= MAX_PENDING) socket.destroy();
    else {
      socket.on('error', ignore);
      this.#pending.push(socket);
    }
  }

  /** The ready thread with the fewest open connections, starting the scan one further each time. */
  #pick(): SupervisedThread | undefined {
    const threads = this.#threads;
    const count = threads.length;
    let best: SupervisedThread | undefined;
    let bestOpen = Infinity;
    for (let k = 0; k < count; k++) {
      const thread = threads[(this.#next + k) % count]!;
      if (thread.state !== 'ready') continue;
      const open = this.#stats.get(thread.index, OPEN) + this.#inFlight(thread);
      if (open < bestOpen) {
        best = thread;
        bestOpen = open;
      }
    }
    this.#next = (this.#next + 1) % count;
    return best;
  }

  /** `thread.hand(socket)`, counted as in flight until the thread's ACCEPTED count shows it. */
  #hand(thread: SupervisedThread, socket: Socket): boolean {
    if (!thread.hand(socket)) return false;
    this.#record(thread).handed++;
    return true;
  }

  /** Sockets handed to `thread` that it has not counted yet. */
  #inFlight(thread: SupervisedThread): number {
    const record = this.#record(thread);
    const arrived = this.#stats.get(thread.index, ACCEPTED) - record.base;
    return Math.max(0, record.handed - arrived);
  }

  // The thread's record, begun afresh each time it became ready (a replacement thread never
  // receives what was in flight to the one before it).
  #record(thread: SupervisedThread): { readyAt: number; base: number; handed: number } {
    let record = this.#handed.get(thread);
    if (record === undefined || record.readyAt !== thread.readyAt) {
      record = {
        readyAt: thread.readyAt,
        base: this.#stats.get(thread.index, ACCEPTED),
        handed: 0,
      };
      this.#handed.set(thread, record);
    }
    return record;
  }

  /** Hands the held connections to the threads that are ready now. */
  flush(): void {
    while (this.#pending.length > 0) {
      const thread = this.#pick();
      if (thread === undefined) return;
      const socket = this.#pending.shift()!;
      socket.removeListener('error', ignore);
      if (!this.#hand(thread, socket)) socket.destroy();
    }
  }

  /** Stops accepting and drops the held connections. */
  close(): void {
    this.#closed = true;
    this.#server?.close();
    this.#server = undefined;
    for (const socket of this.#pending.splice(0)) socket.destroy();
  }
}
