// The thread_pool example's output depends on thread timing (which thread comes up first,
// which child yields first, and the random sum), so its lines are checked for what must hold
// rather than for one exact order, like libcoro's own "example output (will vary)".
import { describe, expect, it } from 'vitest';
import { runExample } from './run.ts';

describe('coro_thread_pool', () => {
  it('four threads start, ten children yield halfway, the sum is printed, the threads stop', async () => {
    const { stdout, stderr, code } = await runExample('thread_pool');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4 + 10 + 1 + 4);

    const result = lines.findIndex((l) => l.startsWith('calculated thread pool result = '));
    expect(result).toBeGreaterThan(0);
    // Ten children, each summing a million random 0s and 1s: 5,000,000 give or take a few
    // thousand (a deviation of 10,000 is more than six standard deviations).
    const sum = Number(lines[result]!.slice('calculated thread pool result = '.length));
    expect(sum).toBeGreaterThan(4_990_000);
    expect(sum).toBeLessThan(5_010_000);

    for (let i = 0; i < 4; i++) {
      const starting = lines.indexOf(`thread pool worker ${i} is starting up.`);
      const stopping = lines.indexOf(`thread pool worker ${i} is shutting down.`);
      expect(starting).toBeGreaterThanOrEqual(0);
      expect(starting).toBeLessThan(result);
      // The pool is shut down after the result; each thread exits on its own, flushing what its
      // jobs printed (every child's line is there, checked below).
      expect(stopping).toBeGreaterThan(result);
    }
    for (let child = 0; child < 10; child++) {
      expect(lines.filter((l) => l === `Task ${child} is yielding()`)).toHaveLength(1);
      // Every child yields halfway through its work, so before the sum can be printed.
      expect(lines.indexOf(`Task ${child} is yielding()`)).toBeLessThan(result);
    }
  });
});
