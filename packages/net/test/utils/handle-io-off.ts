// Imported first by tcp-fallback.test.ts: connections made in that test file skip the handle
// path (handle-io.ts reads the variable once, when the first connection asks).
process.env.CORO_NET_HANDLE_IO = 'off';
