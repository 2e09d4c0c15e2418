// libcoro's io_scheduler example: a TCP server and a client on one scheduler, talking through
// poll() — wait until the socket can be read or written, then read or write without waiting.
// coro's networking package wraps this in tcp.Client / tcp.Server; here it is node:net and the
// scheduler's poll() directly. The scheduler has a thread pool (executionStrategy 'pool'), and
// the server builds its response there with offload().
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { IoScheduler } from '@coro/io';
import { syncWait, task, whenAll } from '@coro/task';

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

// Listen before the tasks start, so the client can connect at once.
const server = createServer();
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = server.address() as { port: number };

const makeServerTask = task(async (s: IoScheduler<Jobs>) => {
  await s.schedule();
  // Wait for an incoming connection and accept it.
  const [client] = (await once(server, 'connection')) as [Socket];

  // Wait for the client's message; it is small enough to arrive in one piece.
  let status = await s.poll(client, 'read', { timeout: 5000 });
  if (status !== 'read') return; // handle the error: see the poll statuses
  const request = String(client.read());
  console.log(`server: ${request}`);

  // Make sure the socket can be written to, then send the response.
  status = await s.poll(client, 'write', { timeout: 5000 });
  if (status !== 'write') return;
  const response = await s.offload('respond', request);
  client.end(response);
  server.close();
});

const makeClientTask = task(async (s: IoScheduler<Jobs>) => {
  await s.schedule();
  const client = connect(port, '127.0.0.1');

  // Connected and writable? Send the request.
  if ((await s.poll(client, 'write', { timeout: 5000 })) !== 'write') return;
  client.write('Hello from client.');

  // Wait for the response and receive it.
  let response = '';
  for (;;) {
    const status = await s.poll(client, 'read', { timeout: 5000 });
    if (status !== 'read') break; // 'closed': the server is done
    response += String(client.read());
  }
  console.log(`client: ${response}`);
  client.destroy();
});

await syncWait(whenAll(makeServerTask(scheduler), makeClientTask(scheduler)));
await scheduler.shutdown();
