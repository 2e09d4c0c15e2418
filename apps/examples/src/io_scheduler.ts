// libcoro's io_scheduler example: a TCP server and a client on one scheduler, talking through
// poll() — wait until the socket can be read or written — and recv() / send(), the immediate
// attempts of libcoro's original API. The scheduler has a thread pool (executionStrategy
// 'pool'), and the server builds its response there with offload().
import { IoScheduler } from '@coro/io';
import { tcp } from '@coro/net';
import { syncWait, task, whenAll } from '@coro/task';
import { noArgs } from './net/args.ts';

noArgs('io_scheduler');

type Jobs = typeof import('./io_scheduler/jobs.ts');

const scheduler = new IoScheduler<Jobs>({
  // The event loop drives the scheduler ('spawn', the default); 'manual' would mean calling
  // processEvents() yourself, on virtual time.
  threadStrategy: 'spawn',
  // Called when the scheduler starts and once its shutdown has completed.
  onIoThreadStart: () => console.log('io_scheduler::process event thread start'),
  onIoThreadStop: () => console.log('io_scheduler::process event thread stop'),
  // A thread pool for CPU-heavy work: scheduler.offload(name, ...args) runs a function of this
  // module on one of its threads.
  pool: {
    module: new URL('./io_scheduler/jobs.ts', import.meta.url),
    threadCount: 2,
    onThreadStart: (i) => console.log(`io_scheduler::thread_pool worker ${i} starting`),
    onThreadStop: (i) => console.log(`io_scheduler::thread_pool worker ${i} stopping`),
  },
  executionStrategy: 'pool',
});

// Create the server before the tasks start: it binds and listens at once, so the client can
// connect as soon as it runs. Port 0 picks a free port.
const server = new tcp.Server(scheduler, { address: '127.0.0.1', port: 0 });
if (!(await server.ready()).isOk()) throw new Error('could not listen');

const makeServerTask = task(async (s: IoScheduler<Jobs>) => {
  await s.schedule();
  // Wait for an incoming connection and accept it.
  const accepted = await server.accept({ timeout: 5000 });
  if (!accepted.ok) return; // handle the error: accepted.error is an IoStatus
  await using client = accepted.value;

  // Wait for the client's message; it is small enough to arrive with one recv().
  if ((await client.poll('read', { timeout: 5000 })) !== 'read') return;
  const [recvStatus, bytes] = client.recv(Buffer.alloc(256));
  if (!recvStatus.isOk()) return; // see IoStatus for the kinds
  const request = Buffer.from(bytes).toString();
  console.log(`server: ${request}`);

  // Send the response: optimistically send(), and poll for room if part of it is left.
  let remaining: Uint8Array = Buffer.from(await s.offload('respond', request));
  for (;;) {
    const [sendStatus, rest] = client.send(remaining);
    if (!sendStatus.isOk() && !sendStatus.isWouldBlock()) return;
    if (rest.length === 0) break; // the whole message went out
    remaining = rest;
    if ((await client.poll('write', { timeout: 5000 })) !== 'write') return;
  }
  client.shutdown();
  server.shutdown();
});

const makeClientTask = task(async (s: IoScheduler<Jobs>) => {
  await s.schedule();
  await using client = new tcp.Client(s, { address: '127.0.0.1', port: server.port });
  // Error checks left out for the client, as in libcoro's example: each step returns a status.
  await client.connect({ timeout: 5000 });
  await client.poll('write', { timeout: 5000 });
  client.send(Buffer.from('Hello from client.'));

  // Wait for the response and receive it.
  await client.poll('read', { timeout: 5000 });
  const [, bytes] = client.recv(Buffer.alloc(256));
  console.log(`client: ${Buffer.from(bytes).toString()}`);
});

await syncWait(whenAll(makeServerTask(scheduler), makeClientTask(scheduler)));
await scheduler.shutdown();
