import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { compare, memory, throughput } from '../src/harness.ts';
import { loadScenarios } from '../src/load.ts';
import { makeRecord, toMarkdown, toSvg, writeReport } from '../src/report.ts';

const quietCtx = { quick: true, progress() {} };
const out = mkdtempSync(join(tmpdir(), 'coro-bench-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('harness', () => {
  it('computes ratios and verdicts from measurements', () => {
    const measurements = [
      { name: 'a', value: 10, unit: 'ns/op' },
      { name: 'b', value: 20, unit: 'ns/op' },
    ];
    const [c] = compare(measurements, [
      { subject: 'a', baseline: 'b', target: { max: 0.6, text: '' } },
    ]);
    expect(c).toMatchObject({ ratio: 0.5, pass: true });
    const [d] = compare(measurements, [
      { subject: 'b', baseline: 'a', target: { max: 1.5, text: '' } },
    ]);
    expect(d).toMatchObject({ ratio: 2, pass: false });
    expect(() => compare(measurements, [{ subject: 'x', baseline: 'a' }])).toThrow(
      /no such measurement/,
    );
  });

  it('runs every contender of a throughput scenario the same number of times', async () => {
    const calls = { fast: 0, slow: 0 };
    const scenario = throughput({
      id: 't/x',
      group: 't',
      title: 'x',
      ops: 100,
      contenders: [
        { name: 'fast', run: (ops) => void (calls.fast += ops) },
        { name: 'slow', run: (ops) => void (calls.slow += ops) },
      ],
      compare: [{ subject: 'fast', baseline: 'slow' }],
    });
    const result = await scenario.run(quietCtx);
    expect(calls.fast).toBe(calls.slow);
    expect(result.measurements.map((m) => m.name)).toEqual(['fast', 'slow']);
    expect(result.comparisons[0]!.ratio).toBeGreaterThan(0);
  });

  it('measures retained memory per item', async () => {
    const scenario = memory({
      id: 'm/x',
      group: 'm',
      title: 'm',
      count: 100_000,
      contenders: [
        { name: 'small', create: (n) => new Array(n).fill(0) },
        {
          name: 'objects',
          create: (n) => Array.from({ length: n }, (_, i) => ({ i, s: `x${i}` })),
        },
      ],
      compare: [{ subject: 'objects', baseline: 'small' }],
    });
    const result = await scenario.run(quietCtx);
    expect(result.measurements.every((m) => Number.isFinite(m.value))).toBe(true);
  });

  it('writes JSON, Markdown and SVG, and keeps a history of full runs only', async () => {
    const result = await throughput({
      id: 'r/x',
      group: 'r',
      title: 'report',
      ops: 10,
      contenders: [
        { name: 'a', run() {} },
        { name: 'b', run() {} },
      ],
      compare: [{ subject: 'a', baseline: 'b', target: { max: 100, text: 'at most 100×' } }],
    }).run(quietCtx);
    const dir = join(out, 'report');
    writeReport(dir, makeRecord([result], false, 2), true);
    writeReport(dir, makeRecord([result], true, 2), true);
    const json = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8'));
    expect(json.results[0].id).toBe('r/x');
    const history = readFileSync(join(dir, 'history.jsonl'), 'utf8').trim().split('\n');
    expect(history).toHaveLength(1);
    const md = readFileSync(join(dir, 'latest.md'), 'utf8');
    expect(md).toMatch(/\| report \| a \| b \| [\d.]+× \| at most 100× \| met \| [\d.]+× \|/);
    expect(toMarkdown(makeRecord([result], false, 2), new Map())).toContain('| report |');
    expect(toSvg(makeRecord([result], false, 2))).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
  });
});

describe('every scenario', () => {
  it('has a unique id and a group prefix', async () => {
    const scenarios = await loadScenarios();
    const ids = scenarios.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const s of scenarios) expect(s.id.startsWith(`${s.group}/`)).toBe(true);
  });

  // The smoke run (every scenario once, at its smallest) still runs real servers under wrk for
  // a second each, and its wall time follows the machine's load. So no deadline on the whole
  // run; it counts as hung when it prints nothing for 180 s (its longest step between two
  // progress lines, one round of one scenario, takes a few seconds alone). The test's own
  // timeout is only a backstop.
  it('runs every scenario to completion in a smoke run of the real harness', async () => {
    const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
    const dir = join(out, 'smoke');
    const run = await runSilenceBounded(
      ['--expose-gc', '--conditions=@coro/source', main, '--smoke', '--no-history', '--out', dir],
      180_000,
    );
    expect(run.hung, `the quick run hung: nothing printed for 180 s after: ${run.last}`).toBe(
      false,
    );
    expect(run.code, run.stderr).toBe(0);
    const json = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8'));
    expect(json.quick).toBe(true);
    expect(json.results.length).toBeGreaterThan(0);
    for (const r of json.results) expect(r.comparisons.length).toBeGreaterThan(0);
  }, 3_600_000);
});

/** Runs node with `args`; kills it once it has printed nothing for `silenceMs`. */
function runSilenceBounded(
  args: string[],
  silenceMs: number,
): Promise<{ code: number | null; hung: boolean; last: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let hung = false;
    let last = '';
    let stderr = '';
    let silence: NodeJS.Timeout | undefined;
    const quiet = () => {
      clearTimeout(silence);
      silence = setTimeout(() => {
        hung = true;
        child.kill();
      }, silenceMs);
    };
    const lastLine = (chunk: string) => chunk.trimEnd().split('\n').at(-1) || last;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      last = lastLine(chunk);
      quiet();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      last = lastLine(chunk);
      quiet();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(silence);
      resolve({ code, hung, last, stderr });
    });
    quiet();
  });
}
