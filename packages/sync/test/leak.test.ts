// Timed-out or cancelled waits leave the heap flat: run in a child process with --expose-gc (so
// the measurement is after full collections, away from vitest's own heap).
//
// What it detects: 160,000 measured waits, 5,000 for each of the 32 combinations of primitive
// (8) and way of giving up (4: timeout on a long-lived token, timeout on a long-lived signal,
// StopSource stop, AbortController abort). A leaked waiter, timer, listener or closure costs
// ≥ 100 bytes, so a leak confined to a single combination grows the heap by ≥ 500 KB, and one
// on every wait by ≥ 16 MB; the noise after warm-up is ~15 KB. The 256 KB bound sits between.
// Leftover waiters and token registrations are counted exactly. Detection power comes from the
// per-combination count, not from a big total: the fixture takes ~2 s alone.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('./fixtures/leak.ts', import.meta.url));

// ~2 s of work alone, 44 s seen in a full run at load 20 on 2 cores: 600 s before calling it
// hung.
const fixtureDeadline = 600_000;

describe('leaks', () => {
  it(
    'waits that time out or are cancelled, every primitive every way, leave the heap flat',
    () => {
      const child = spawnSync(
        process.execPath,
        ['--expose-gc', '--conditions=@coro/source', script, '160000'],
        { encoding: 'utf8', timeout: fixtureDeadline },
      );
      expect(
        child.signal,
        `leak fixture hung: killed after ${fixtureDeadline / 1000} s (stdout: ${child.stdout})`,
      ).toBeNull();
      expect(child.stderr).toBe('');
      expect(child.status).toBe(0);
      const result = JSON.parse(child.stdout) as {
        waits: number;
        perCombination: number;
        growth: number;
        waiters: number;
        tokenRegistrations: number;
      };
      expect(result.waits).toBe(160_000);
      expect(result.perCombination).toBe(5_000);
      expect(result.waiters).toBe(0);
      expect(result.tokenRegistrations).toBe(0);
      expect(result.growth).toBeLessThan(256 * 1024);
    },
    fixtureDeadline + 10_000,
  );
});
