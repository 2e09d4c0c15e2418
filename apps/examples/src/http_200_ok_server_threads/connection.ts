// The server module each thread of http_200_ok_server_threads runs: one HTTP connection, on
// the thread's own scheduler. It reads with readSome(), counts requests by their blank line
// ("\r\n\r\n", which also answers pipelined requests) and writes one fixed 200 OK per request
// with writeAll(). A graceful shutdown (context.closing) ends idle keep-alive connections.
import type { ThreadContext, tcp } from '@coro/net';

const response = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n',
);

export async function onConnection(client: tcp.Client, { closing }: ThreadContext): Promise<void> {
  const buffer = Buffer.allocUnsafe(16 * 1024);
  let matched = 0; // how much of "\r\n\r\n" the bytes so far end with
  let responses = response;
  for (;;) {
    const [status, bytes] = await client.readSome(buffer, { signal: closing });
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
    if (responses.length !== count * response.length) {
      responses = Buffer.concat(Array.from({ length: count }, () => response));
    }
    const [written] = await client.writeAll(responses);
    if (!written.isOk()) return;
  }
}
