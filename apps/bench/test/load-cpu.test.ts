import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { childCpuSeconds } from '../src/scenarios/net/processes.ts';

describe("the load generator's CPU time", () => {
  it("reads the children's line of bash's `times`", () => {
    const out = 'Requests/sec: 1\n0m0.001s 0m0.002s\n0m0.420s 1m4.370s\n';
    expect(childCpuSeconds(out)).toBeCloseTo(64.79, 6);
    expect(childCpuSeconds('no times here')).toBeUndefined();
  });

  it('measures a real child that keeps a core busy', () => {
    // A child spinning for 300 ms of wall-clock time uses about 0.3 s of CPU.
    const spin = 'const end = Date.now() + 300; while (Date.now() < end);';
    const out = execFileSync('bash', [
      '-c',
      '"$0" -e "$1"; times',
      process.execPath,
      spin,
    ]).toString();
    const cpu = childCpuSeconds(out);
    expect(cpu).toBeGreaterThan(0.2);
    expect(cpu).toBeLessThan(5);
  });
});
