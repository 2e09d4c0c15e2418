// Prints what `pnpm test` ran: one line per package from the JSON reports vitest wrote
// (test-results.json, see tooling/vitest), then one closing line for the whole workspace.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
let skipped = 0;
let packages = 0;
/** Every test file's wall time, for the "slowest files" line. */
const files = [];
for (const group of ['packages', 'apps']) {
  for (const name of readdirSync(join(root, group)).sort()) {
    const file = join(root, group, name, 'test-results.json');
    if (!existsSync(file)) continue;
    const report = JSON.parse(readFileSync(file, 'utf8'));
    const skippedHere = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    console.log(
      `  ${group}/${name}: ${report.numPassedTests} passed, ${report.numFailedTests} failed` +
        (skippedHere ? `, ${skippedHere} skipped` : ''),
    );
    for (const result of report.testResults ?? []) {
      if (typeof result.startTime === 'number' && typeof result.endTime === 'number') {
        files.push({ name: result.name.slice(root.length), ms: result.endTime - result.startTime });
      }
    }
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    skipped += skippedHere;
    packages++;
  }
}
if (packages === 0) {
  console.error('tests: no test report found (did vitest run?)');
  process.exit(1);
}
// On a loaded machine these are the files to look at first (time includes waiting for cores).
files.sort((a, b) => b.ms - a.ms);
const slowest = files.slice(0, 5).map((f) => `${f.name} ${(f.ms / 1000).toFixed(1)} s`);
if (slowest.length > 0) console.log(`  slowest files: ${slowest.join(', ')}`);
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
