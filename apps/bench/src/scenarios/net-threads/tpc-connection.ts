// The server module of the thread-per-core HTTP 200 OK contender: the same request counting
// and fixed response as the single-thread coro server (../net/servers/coro-http.ts), run by
// every thread of serve() on its own scheduler.
import type { tcp } from '@coro/net';

const response = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n',
);

export async function onConnection(client: tcp.Client): Promise<void> {
  const buffer = Buffer.allocUnsafe(16 * 1024);
  let matched = 0;
  for (;;) {
    const [status, bytes] = await client.readSome(buffer);
    if (!status.isOk()) return;
    let count = 0;
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i];
      if (byte === (matched % 2 === 0 ? 13 : 10)) matched++;
      else matched = byte === 13 ? 1 : 0;
      if (matched === 4) {
        count++;
        matched = 0;
      }
    }
    if (count === 0) continue;
    const out =
      count === 1 ? response : Buffer.concat(Array.from({ length: count }, () => response));
    const [written] = await client.writeAll(out);
    if (!written.isOk()) return;
  }
}
