import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Scenario } from './harness.ts';

/** Every scenario: each module in src/scenarios default-exports an array of them. */
export async function loadScenarios(): Promise<Scenario[]> {
  const dir = fileURLToPath(new URL('./scenarios/', import.meta.url));
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort();
  const scenarios: Scenario[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(`${dir}${file}`).href)) as { default: Scenario[] };
    scenarios.push(...mod.default);
  }
  return scenarios;
}
