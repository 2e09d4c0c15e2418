import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { makePool } from './utils/pools.ts';

describe('transfer', () => {
  it('moves an ArrayBuffer to the thread: the source is detached', async () => {
    const pool = makePool({ threadCount: 1 });
    const buffer = new ArrayBuffer(1024 * 1024);
    const length = await pool.runWith({ transfer: [buffer] }, 'byteLength', buffer);
    expect(length).toBe(1024 * 1024);
    expect(buffer.byteLength).toBe(0);
    expect(buffer.detached).toBe(true);
  });

  it('copies when not transferred: the source stays usable', async () => {
    const pool = makePool({ threadCount: 1 });
    const buffer = new ArrayBuffer(16);
    expect(await pool.run('byteLength', buffer)).toBe(16);
    expect(buffer.byteLength).toBe(16);
  });

  it('moves a result back with ctx.transfer()', async () => {
    const pool = makePool({ threadCount: 1 });
    const buffer = new ArrayBuffer(4096);
    const back = await pool.runWith({ transfer: [buffer] }, 'fillAndReturn', buffer, 7);
    expect(buffer.detached).toBe(true);
    expect(back.byteLength).toBe(4096);
    expect(new Uint8Array(back).every((b) => b === 7)).toBe(true);
  });

  it('moves a MessagePort, which then talks to the job', async () => {
    const pool = makePool({ threadCount: 1 });
    const { port1, port2 } = new MessageChannel();
    const reply = new Promise((resolve) => port1.once('message', resolve));
    expect(await pool.runWith({ transfer: [port2] }, 'greetOnPort', port2)).toBe('sent');
    expect(await reply).toBe('hello from thread 0');
    port1.close();
  });

  it('a transfer in one job of a batch does not disturb the others', async () => {
    const pool = makePool({ threadCount: 1, concurrentTasksPerWorker: 8 });
    const buffers = Array.from({ length: 4 }, () => new ArrayBuffer(64));
    const tasks = buffers.map((b) => pool.runWith({ transfer: [b] }, 'byteLength', b).start());
    const plain = pool.run('add', 1, 2).start();
    expect(await Promise.all(tasks)).toEqual([64, 64, 64, 64]);
    expect(await plain).toBe(3);
    for (const b of buffers) expect(b.detached).toBe(true);
  });
});
