// Worker side of sync-threads/ring-*: on { kind, n } sends the numbers 0..n-1 to the main
// thread, through the shared ring buffer or as postMessage messages.
import { parentPort, workerData } from 'node:worker_threads';
import { RingBuffer } from '@coro/sync/threads';

const ring = RingBuffer.from(workerData.ring as RingBuffer);

parentPort?.on('message', async (message: { kind: 'ring' | 'post'; n: number }) => {
  const n = message.n;
  if (message.kind === 'ring') {
    for (let i = 0; i < n; i++) {
      if (ring.tryProduce(i) !== 'produced') await ring.produce(i);
    }
  } else {
    for (let i = 0; i < n; i++) parentPort?.postMessage(i);
  }
});
