import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/shape-across-gc.ts', import.meta.url));

function run(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--trace-deopt', '--conditions=@coro/source', fixture],
      { timeout: 120_000, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`the fixture failed: ${error.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

describe('task shapes', () => {
  // V8 frees an object shape once nothing has it; a full GC then deoptimizes the code that used
  // it ("embedded weak objects cleared"). Tasks keep their shapes, so the hot path stays
  // optimized when every task of a burst has been collected. Not a timing test: it reads V8's
  // own deopt trace.
  it('keeps the hot path optimized across full GCs with no task alive', async () => {
    const out = await run();
    expect(out).toContain('done');
    const lost = out
      .split('\n')
      .filter((line) => line.includes('embedded weak objects cleared'))
      .filter((line) =>
        /task\.ts|SharedFunctionInfo (Task|makeTask|startTask|syncWait|_run|#start|whenAll|CombinatorTask)>/.test(
          line,
        ),
      );
    expect(lost).toEqual([]);
  }, 150_000);
});
