// HTTP 200 OK on @coro/net's serve(): one thread per core (or argv[3] threads), each with its
// own IoScheduler and SO_REUSEPORT listener; argv[4] = 'handoff' forces the handoff mode.
// Usage: node tpc-http.ts PORT [THREADS] [handoff] — prints "listening PORT" once ready.
import { availableParallelism } from 'node:os';
import { serve } from '@coro/net';

const server = serve({
  module: new URL('./tpc-connection.ts', import.meta.url),
  threads: Number(process.argv[3] ?? availableParallelism()),
  address: '127.0.0.1',
  port: Number(process.argv[2] ?? 0),
  backlog: 4096,
  noDelay: true,
  reusePort: process.argv[4] !== 'handoff',
  handleSignals: true,
});
console.log(`listening ${await server.ready}`);
