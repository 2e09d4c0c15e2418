import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { srcDir } from '../src/catalog.ts';

/**
 * Runs one example program as a user would, with command-line `args`, and returns what it
 * printed and its exit code. An example takes about a second alone; one still running after
 * `timeoutMs` (60× that, for a loaded machine) is killed and reported as hung, with what it
 * printed so far.
 */
export function runExample(
  name: string,
  args: readonly string[] = [],
  timeoutMs = 60_000,
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@coro/source', join(srcDir, `${name}.ts`), ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: timeoutMs,
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal === null) resolve({ stdout, stderr, code });
      else
        reject(
          new Error(
            `example ${name} hung: killed by ${signal} after ${timeoutMs / 1000} s; ` +
              `stdout: ${JSON.stringify(stdout)}, stderr: ${JSON.stringify(stderr)}`,
          ),
        );
    });
  });
}
