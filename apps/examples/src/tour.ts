// Runs every example in turn, each as its own program, as libcoro's examples are run.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { examples, srcDir } from './catalog.ts';

const only = process.argv.slice(2);
let failed = 0;
for (const name of examples()) {
  if (only.length > 0 && !only.includes(name)) continue;
  console.log(`\n$ ./examples/coro_${name}`);
  const result = spawnSync(
    process.execPath,
    ['--conditions=@coro/source', join(srcDir, `${name}.ts`)],
    {
      stdio: 'inherit',
      timeout: 60_000,
    },
  );
  if (result.status !== 0) {
    failed++;
    console.error(`coro_${name} failed (${result.signal ?? `exit ${result.status}`})`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
