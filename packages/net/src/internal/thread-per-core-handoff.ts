// The handoff mode of a ThreadPerCore server: one listener in the main thread accepts (paused,
// nothing read) and moves each socket to the ready thread with the fewest open connections,
// holding a bounded number while no thread is ready.
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { OPEN, type SharedStats } from './thread-per-core-stats.ts';
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
    if (thread !== undefined && thread.hand(socket)) return;
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
      const open = this.#stats.get(thread.index, OPEN);
      if (open < bestOpen) {
        best = thread;
        bestOpen = open;
      }
    }
    this.#next = (this.#next + 1) % count;
    return best;
  }

  /** Hands the held connections to the threads that are ready now. */
  flush(): void {
    while (this.#pending.length > 0) {
      const thread = this.#pick();
      if (thread === undefined) return;
      const socket = this.#pending.shift()!;
      socket.removeListener('error', ignore);
      if (!thread.hand(socket)) socket.destroy();
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
