// A writer pushing `total` bytes to a reader that reads slowly, both in this process; prints
// {"peakRssGrowth": bytes} as JSON. Usage: node slow-reader.ts coro|net TOTAL_BYTES
import { createServer, connect as netConnect } from 'node:net';
import { IoScheduler } from '@coro/io';
import { tcp } from '@coro/net';

const [mode = 'coro', totalText = String(1 << 30)] = process.argv.slice(2);
const total = Number(totalText);
const chunk = Buffer.alloc(1 << 20, 's');
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

(globalThis as { gc?: () => void }).gc?.();
const before = process.memoryUsage().rss;
let peak = before;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 5);

if (mode === 'coro') {
  const scheduler = new IoScheduler();
  const server = new tcp.Server(scheduler, { address: '127.0.0.1', port: 0 });
  await server.ready();
  const client = new tcp.Client(scheduler, { address: '127.0.0.1', port: server.port });
  const [, accepted] = await Promise.all([client.connect(), server.accept()]);
  if (!accepted.ok) process.exit(1);
  const writer = accepted.value;
  const writing = (async () => {
    for (let sent = 0; sent < total; sent += chunk.length) await writer.writeAll(chunk);
    writer.shutdown();
  })();
  const buffer = Buffer.alloc(64 * 1024);
  for (;;) {
    const [status] = await client.readSome(buffer);
    if (!status.isOk()) break;
    await turn(); // the slow part: one read per turn of the event loop
  }
  await writing;
  client.close();
  writer.close();
  server.shutdown();
} else {
  const server = createServer((socket) => {
    let sent = 0;
    const pump = () => {
      while (sent < total) {
        sent += chunk.length;
        if (!socket.write(chunk)) {
          socket.once('drain', pump);
          return;
        }
      }
      socket.end();
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = netConnect((server.address() as { port: number }).port, '127.0.0.1');
  await new Promise<void>((resolve) => {
    socket.on('data', () => {
      socket.pause();
      setImmediate(() => socket.resume()); // the slow part: one chunk per turn
    });
    socket.on('end', () => resolve());
  });
  socket.destroy();
  server.close();
}
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
console.log(JSON.stringify({ peakRssGrowth: peak - before }));
