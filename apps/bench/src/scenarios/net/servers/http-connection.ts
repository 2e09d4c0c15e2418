// The HTTP 200 OK connection handler every coro contender runs (the single-thread server in
// coro-http.ts and each thread of serve() in ../../net-threads/tpc-connection.ts): readSome,
// count "\r\n\r\n", writeAll one fixed response per request. It returns when the client is
// done or a read or write fails; the caller closes the client.
import type { tcp } from '@coro/net';

const response = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n',
);

// Read buffers go from one connection to the next (a free list) instead of a fresh 16 KiB
// ArrayBuffer per connection: each wrk run opens its connections anew.
const spare: Buffer[] = [];

/** Serves `client` until it closes or fails. */
export async function onConnection(client: tcp.Client): Promise<void> {
  const buffer = spare.pop() ?? Buffer.allocUnsafe(16 * 1024);
  try {
    await serve(client, buffer);
  } finally {
    spare.push(buffer);
  }
}

async function serve(client: tcp.Client, buffer: Buffer): Promise<void> {
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
