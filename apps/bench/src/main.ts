// `pnpm bench [--quick | --smoke] [--filter text] [--out dir] [--no-history] [--libcoro BUILD_DIR]`
// Runs every scenario in src/scenarios (or those whose id contains a --filter text), prints
// progress, and writes results/latest.{json,md,svg} plus a line in results/history.jsonl.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { libcoroScenarios, libcoroSkipped } from './libcoro.ts';
import { loadScenarios } from './load.ts';
import { makeRecord, writeReport } from './report.ts';
import type { ScenarioResult } from './harness.ts';

// `pnpm bench -- --filter x` hands the script a literal `--` first (pnpm 10): drop it, so both
// `pnpm bench --filter x` and `pnpm bench -- --filter x` work.
const argv = process.argv.slice(2);
const { values } = parseArgs({
  args: argv[0] === '--' ? argv.slice(1) : argv,
  options: {
    quick: { type: 'boolean', default: false },
    // The test suite's run: every scenario once, as small as it goes (see RunContext.smoke).
    smoke: { type: 'boolean', default: false },
    filter: { type: 'string', multiple: true },
    out: { type: 'string' },
    'no-history': { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
    libcoro: { type: 'string' },
  },
});

if ((globalThis as { gc?: unknown }).gc === undefined) {
  console.error(
    'bench: run with --expose-gc (pnpm bench does) for steady measurements and memory figures',
  );
}

// The libcoro group runs libcoro's own bench binary, so it needs a build to point at.
const libcoro = values.libcoro === undefined ? [] : libcoroScenarios(values.libcoro);
if (values.libcoro === undefined) process.stderr.write(`${libcoroSkipped}\n`);
const scenarios = [...(await loadScenarios()), ...libcoro].filter(
  (s) => values.filter === undefined || values.filter.some((f) => s.id.includes(f)),
);
if (values.list) {
  for (const s of scenarios) console.log(`${s.id}\t${s.title}`);
  process.exit(0);
}
const outDir = values.out ?? fileURLToPath(new URL('../results/', import.meta.url));
const results: ScenarioResult[] = [];
const started = Date.now();
for (const [i, scenario] of scenarios.entries()) {
  const prefix = `[${i + 1}/${scenarios.length}] ${scenario.id}`;
  process.stderr.write(`${prefix}: ${scenario.title}\n`);
  const scenarioStarted = Date.now();
  const result = await scenario.run({
    quick: values.quick || values.smoke,
    smoke: values.smoke,
    progress: (message) => process.stderr.write(`${prefix}: ${message}\n`),
  });
  for (const c of result.comparisons) {
    const target =
      c.target === undefined ? '' : ` (target ${c.target.text}: ${c.pass ? 'met' : 'MISSED'})`;
    process.stderr.write(
      `${prefix}: ${c.subject} / ${c.baseline} = ${c.ratio.toFixed(2)}×${target}\n`,
    );
  }
  process.stderr.write(
    `${prefix}: done in ${((Date.now() - scenarioStarted) / 1000).toFixed(1)} s\n`,
  );
  results.push(result);
}
const record = makeRecord(results, values.quick || values.smoke, availableParallelism());
const { markdown } = writeReport(outDir, record, !values['no-history']);
console.log(markdown);
process.stderr.write(
  `bench: ${scenarios.length} scenarios in ${((Date.now() - started) / 1000).toFixed(1)} s; wrote ${outDir}\n`,
);
