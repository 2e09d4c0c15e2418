// `pnpm test`: lint, typecheck, every package's tests, build + package checks, through turbo,
// then one line per package and a closing `tests: N passed, N failed` line.
//
// Turbo runs at most one task per core (`--concurrency`), so the heavy tests (child processes,
// worker threads, property runs) share the machine with at most one task per core instead of
// all at once: a slow or loaded machine slows every task evenly rather than starving one past
// its deadline. `--continue` runs every package even when one fails, so the summary covers
// the whole workspace. Arguments are passed on to turbo: `pnpm test --force` skips the cache,
// `pnpm test --filter @coro/sync` tests one package.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

// A report left by an earlier run must not be counted for a package that did not report now
// (turbo restores the report of a cached test task from its cache).
for (const group of ['packages', 'apps']) {
  for (const name of readdirSync(join(root, group))) {
    const file = join(root, group, name, 'test-results.json');
    if (existsSync(file)) rmSync(file);
  }
}

const args = process.argv.slice(2);
// Type-checking: one TypeScript program over the whole workspace (tsconfig.workspace.json), so
// each package's sources are checked once rather than again by every package above it, and the
// compiler starts once. A run filtered to some packages (`--filter`) checks those packages
// with their own tsconfig instead.
const filtered = args.some((a) => a === '--filter' || a.startsWith('--filter=') || a === '-F');
const typecheck = filtered ? 'typecheck' : 'typecheck-workspace';
const concurrency = args.some((a) => a.startsWith('--concurrency'))
  ? []
  : [`--concurrency=${Math.max(2, availableParallelism())}`];
const localTurbo = join(root, 'node_modules/.bin/turbo');
const turbo = spawnSync(
  existsSync(localTurbo) ? localTurbo : 'turbo',
  [
    'run',
    'lint',
    typecheck,
    'test',
    'check',
    '--output-logs=errors-only',
    '--continue',
    ...concurrency,
    ...args,
  ],
  { cwd: root, stdio: 'inherit', env: { TURBO_TELEMETRY_DISABLED: '1', ...process.env } },
);
if (turbo.error) {
  console.error(`tests: could not run turbo (${turbo.error.message})`);
  process.exit(1);
}
if (turbo.status !== 0) console.error('turbo: some tasks failed (their errors are above)');
const summary = spawnSync(process.execPath, [join(root, 'tooling/test-summary.mjs')], {
  stdio: 'inherit',
});
process.exitCode = turbo.status === 0 && summary.status === 0 ? 0 : 1;
