// The server module of net.js's serve(): each thread answers one HTTP request per connection.
export async function onConnection(client, context) {
  const buffer = Buffer.alloc(16 * 1024);
  let request = '';
  while (!request.includes('\r\n\r\n')) {
    const [status, bytes] = await client.readSome(buffer, {
      signal: context.closing,
      timeout: 5000,
    });
    if (!status.isOk()) return;
    request += Buffer.from(bytes).toString('latin1');
  }
  const path = request.split(' ')[1];
  const body = `thread ${context.threadIndex} of ${context.threadCount}: ${path}`;
  await client.writeAll(
    Buffer.from(
      `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    ),
    { timeout: 5000 },
  );
}
