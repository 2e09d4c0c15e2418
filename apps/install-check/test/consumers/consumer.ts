// A TypeScript user of every package: the test type-checks this file with tsc against the
// installed declarations (dist/*.d.ts), then runs it with Node.js. The `@ts-expect-error` lines
// prove the types are real: were a declaration to resolve to `any`, they would not be errors,
// and tsc would report the unused directives.
import { IoScheduler, type IoSchedulerOptions } from '@coro/io';
import { dns, type IoStatus, IpAddress, type ThreadContext, tcp, udp } from '@coro/net';
import { ThreadPool } from '@coro/pool';
import { type LockStatus, Mutex, ScopedLock, Semaphore } from '@coro/sync';
import { Mutex as ThreadMutex } from '@coro/sync/threads';
import { type Expected, err, ok, StopSource, syncWait, type Task, task, whenAll } from '@coro/task';
import { type Connection, type ConnectionStatus, Context, tls } from '@coro/tls';

const double = task(async (x: number) => x * 2);
const doubled: Task<number> = double(21);
// @ts-expect-error a Task<number> is not a Task<string>
const wrong: Task<string> = double(1);
void wrong;
const pair: [number, string] = await syncWait(whenAll(double(1), task(async () => 'two')()));
function parse(text: string): Expected<number, 'nan'> {
  const value = Number(text);
  return Number.isNaN(value) ? err('nan') : ok(value);
}
const parsed = parse('7');

const mutex = new Mutex();
const held: ScopedLock | LockStatus = await mutex.lock({ timeout: 1000 });
const heldLock = held instanceof ScopedLock;
if (held instanceof ScopedLock) held.unlock();
const semaphore = new Semaphore(2);
const sharedBuffer: SharedArrayBuffer = new ThreadMutex().buffer;

const options: IoSchedulerOptions = {};
const scheduler = new IoScheduler(options);
await scheduler.yieldFor(1);

// Jobs typed by an interface (the module itself is JavaScript): names, arguments and results
// are checked at the call.
interface Jobs {
  fib(n: number): number;
}
const pool = new ThreadPool<Jobs>({
  module: new URL('./pool-jobs.js', import.meta.url),
  threadCount: 1,
});
// @ts-expect-error no job of that name
void (() => pool.run('fbi', 20));
// @ts-expect-error fib takes a number
void (() => pool.run('fib', '20'));
const fib: number = await syncWait(pool.run('fib', 10), { timeout: 10_000 });
await pool.shutdown();

// A TCP client closed before it connects resolves `cancelled` and opens no socket. (A TLS
// client is only made and closed: its connect() after close() does connect.)
const tcpClient = new tcp.Client(scheduler, { address: '127.0.0.1', port: 9 });
tcpClient.close();
const tcpStatus: Statuses = await tcpClient.connect();
dial(new Context({ minVersion: 'TLSv1.3' })).close();
await scheduler.shutdown();

/** What a serve() module and a routine for TCP and TLS alike look like to a user. */
export async function onConnection(client: tcp.Client, context: ThreadContext): Promise<void> {
  const [status]: [IoStatus, Uint8Array] = await client.readSome(Buffer.alloc(16), {
    signal: context.closing,
  });
  if (status.isOk()) await echo(client);
}
export async function echo(connection: Connection): Promise<void> {
  const [status, bytes] = await connection.readSome(Buffer.alloc(16));
  if (status.isOk()) await connection.writeAll(bytes);
  connection.close();
}
export function dial(context: Context): tls.Client {
  return new tls.Client(scheduler, { address: '127.0.0.1', port: 9 }, context, {
    serverName: 'localhost',
  });
}
export type Statuses = ConnectionStatus | Awaited<ReturnType<tcp.Client['connect']>>;
export const makers = { resolver: () => new dns.Resolver(), peer: () => new udp.Peer(scheduler) };

console.log(
  JSON.stringify({
    doubled: await doubled,
    pair,
    parsed: parsed.ok ? parsed.value : parsed.error,
    heldLock,
    permits: semaphore.value,
    shared: sharedBuffer.byteLength > 0,
    loopback: IpAddress.parse('127.0.0.1').isLoopback,
    fib,
    connectAfterClose: tcpStatus,
    stopped: new StopSource().requestStop('done'),
  }),
);
