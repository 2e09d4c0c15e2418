import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach } from 'vitest';
import { type ThreadPerCore, type ThreadPerCoreOptions, serve } from '../../src/index.ts';

export const linesModule = new URL('../fixtures/thread-per-core/lines.ts', import.meta.url);

const servers: ThreadPerCore[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => server.close({ gracePeriod: 0 })));
});

/** A thread-per-core server of the line fixture on 127.0.0.1, closed after the test. */
export function startLines(options: Partial<ThreadPerCoreOptions> = {}): ThreadPerCore {
  const server = serve({ module: linesModule, address: '127.0.0.1', port: 0, ...options });
  servers.push(server);
  return server;
}

/** A line-oriented connection to 127.0.0.1:port (destroyed after the test). */
export class LineClient {
  readonly socket: Socket;
  readonly #lines: string[] = [];
  readonly #waiters: ((line: string | undefined) => void)[] = [];
  #rest = '';
  #ended = false;
  /** 'end', 'close' or an error code, once the connection is gone. */
  endedWith: string | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    sockets.push(socket);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#rest += chunk;
      let newline = this.#rest.indexOf('\n');
      while (newline >= 0) {
        this.#push(this.#rest.slice(0, newline));
        this.#rest = this.#rest.slice(newline + 1);
        newline = this.#rest.indexOf('\n');
      }
    });
    const finish = (how: string): void => {
      this.endedWith ??= how;
      this.#ended = true;
      for (const waiter of this.#waiters.splice(0)) waiter(undefined);
    };
    socket.on('end', () => finish('end'));
    socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? 'error'));
    socket.on('close', () => finish('close'));
  }

  static connect(port: number): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.removeListener('error', reject);
        resolve(new LineClient(socket));
      });
    });
  }

  #push(line: string): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter(line);
    else this.#lines.push(line);
  }

  send(line: string): void {
    this.socket.write(`${line}\n`);
  }

  /** The next line, or `undefined` once the connection ended. */
  next(): Promise<string | undefined> {
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.#ended) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Sends `line`, returns the answer. */
  async ask(line: string): Promise<string | undefined> {
    this.send(line);
    return this.next();
  }

  close(): void {
    this.socket.end();
  }
}

/** Asks `who` over a fresh connection; returns the thread index that answered. */
export async function whoAnswers(port: number): Promise<number> {
  const client = await LineClient.connect(port);
  const answer = await client.ask('who');
  client.socket.destroy();
  const match = /^thread (\d+)$/.exec(answer ?? '');
  if (match === null) throw new Error(`unexpected answer to who: ${String(answer)}`);
  return Number(match[1]);
}

/**
 * Polls `check` on every event-loop turn until it returns true; a hang fails with `what`.
 * The bound is generous: it only turns a hang into a failure message.
 */
export async function eventually(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A plain listener without reusePort holding a port, closed by the caller. */
export function occupyPort(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve(server));
  });
}

/** Whether 127.0.0.1:port can be bound exclusively right now (nothing is listening on it). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () =>
      server.close(() => resolve(true)),
    );
  });
}

/** A promise and its resolve function. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
