// The server module of the thread-per-core HTTP 200 OK contender: every thread of serve() runs
// the same handler as the single-thread coro server, on its own scheduler.
export { onConnection } from '../net/servers/http-connection.ts';
