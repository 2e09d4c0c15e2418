// The default threadCount on a machine with more cores than the cap, without starting threads.
import { describe, expect, it, vi } from 'vitest';
import { readPoolOptions } from '../src/options.ts';
import { jobsModule } from './utils/pools.ts';

vi.mock('node:os', async (importOriginal) => {
  const os = await importOriginal<typeof import('node:os')>();
  const availableParallelism = () => 1000;
  return { ...os, availableParallelism, default: { ...os, availableParallelism } };
});

describe('ThreadPool options', () => {
  it('defaults threadCount to the available parallelism, at most 256', () => {
    expect(readPoolOptions({ module: jobsModule }).threadCount).toBe(256);
    expect(readPoolOptions({ module: jobsModule, threadCount: 256 }).threadCount).toBe(256);
  });
});
