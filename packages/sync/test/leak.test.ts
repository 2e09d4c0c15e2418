// A million timed-out or cancelled waits leave the heap flat: run in a child process with
// --expose-gc (so the measurement is after full collections, away from vitest's own heap).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('./fixtures/leak.ts', import.meta.url));

describe('leaks', () => {
  it('a million timed-out or cancelled waits leave heap usage flat', () => {
    const child = spawnSync(
      process.execPath,
      ['--expose-gc', '--conditions=@coro/source', script, '1000000'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    const result = JSON.parse(child.stdout) as {
      waits: number;
      growth: number;
      waiters: number;
      tokenRegistrations: number;
    };
    expect(result.waits).toBe(1_000_000);
    expect(result.waiters).toBe(0);
    expect(result.tokenRegistrations).toBe(0);
    // A leaked waiter, timer or listener costs ≥ 100 bytes: a million would be ≥ 100 MB. Allow
    // 4 MB of noise (JIT code, heap bookkeeping) and call that flat.
    expect(result.growth).toBeLessThan(4 * 1024 * 1024);
  }, 60_000);
});
