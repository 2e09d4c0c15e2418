// Writes a run's results: JSON (for tools), a Markdown table (for people and the README), an SVG
// chart of the ratios against their targets, and one line appended to the history so that a
// regression shows up as a change from the last run.
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Comparison, ScenarioResult } from './harness.ts';

export interface RunRecord {
  readonly date: string;
  readonly commit: string | undefined;
  readonly node: string;
  readonly cpus: number;
  readonly quick: boolean;
  readonly results: readonly ScenarioResult[];
}

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

export function makeRecord(
  results: readonly ScenarioResult[],
  quick: boolean,
  cpus: number,
): RunRecord {
  return {
    date: new Date().toISOString(),
    commit: gitCommit(),
    node: process.version,
    cpus,
    quick,
    results,
  };
}

/** The ratios of the last full (non-quick) run in the history, by `scenario|subject|baseline`. */
export function lastRatios(historyFile: string): Map<string, number> {
  const ratios = new Map<string, number>();
  if (!existsSync(historyFile)) return ratios;
  for (const line of readFileSync(historyFile, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const record = JSON.parse(line) as { results: { id: string; comparisons: Comparison[] }[] };
      for (const r of record.results) {
        for (const c of r.comparisons) ratios.set(`${r.id}|${c.subject}|${c.baseline}`, c.ratio);
      }
    } catch {
      // A damaged line does not stop the report.
    }
  }
  return ratios;
}

function fmt(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function verdict(c: Comparison): string {
  if (c.pass === undefined) return '';
  return c.pass ? 'met' : '**missed**';
}

export function toMarkdown(record: RunRecord, previous: Map<string, number>): string {
  const lines: string[] = [];
  lines.push(`# coro benchmark`);
  lines.push('');
  lines.push(
    `${record.date} · commit ${record.commit ?? 'unknown'} · Node.js ${record.node} · ${record.cpus} CPUs${record.quick ? ' · quick run (smoke test, not figures)' : ''}`,
  );
  lines.push('');
  lines.push(
    'Ratios are subject ÷ baseline, measured side by side in the same run: for time and bytes, lower is better (0.5× = twice as fast).',
  );
  lines.push('');
  lines.push('| scenario | subject | baseline | ratio | target | verdict | last run |');
  lines.push('| --- | --- | --- | ---: | --- | --- | ---: |');
  for (const r of record.results) {
    for (const c of r.comparisons) {
      const last = previous.get(`${r.id}|${c.subject}|${c.baseline}`);
      lines.push(
        `| ${r.title} | ${c.subject} | ${c.baseline} | ${fmt(c.ratio)}× | ${c.target?.text ?? ''} | ${verdict(c)} | ${last === undefined ? '' : `${fmt(last)}×`} |`,
      );
    }
  }
  lines.push('');
  lines.push('## Measurements');
  lines.push('');
  lines.push('| scenario | contender | value | detail |');
  lines.push('| --- | --- | ---: | --- |');
  for (const r of record.results) {
    for (const m of r.measurements) {
      const detail = Object.entries(m.detail ?? {})
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join(', ');
      lines.push(`| ${r.title} | ${m.name} | ${fmt(m.value)} ${m.unit} | ${detail} |`);
    }
  }
  lines.push('');
  return lines.join('\n');
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A horizontal bar per comparison: the ratio on a log scale, the target as a tick. */
export function toSvg(record: RunRecord): string {
  const rows: {
    label: string;
    ratio: number;
    target: number | undefined;
    pass: boolean | undefined;
  }[] = [];
  for (const r of record.results) {
    for (const c of r.comparisons) {
      rows.push({
        label: `${r.title}: ${c.subject} vs ${c.baseline}`,
        ratio: c.ratio,
        target: c.target?.max ?? c.target?.min,
        pass: c.pass,
      });
    }
  }
  const rowHeight = 22;
  // About 6.6 px per character of 12 px sans-serif: the label column fits the longest label.
  const labelWidth = Math.ceil(Math.max(200, ...rows.map((row) => row.label.length * 6.6)) + 20);
  const plotWidth = 360;
  const width = labelWidth + plotWidth + 80;
  const height = 50 + rows.length * rowHeight;
  const lo = Math.log10(0.05);
  const hi = Math.log10(20);
  const x = (ratio: number) =>
    labelWidth +
    ((Math.min(Math.max(Math.log10(Math.max(ratio, 1e-9)), lo), hi) - lo) / (hi - lo)) * plotWidth;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="100%" height="100%" fill="white"/>`);
  parts.push(
    `<text x="10" y="20" font-size="14" font-weight="bold">coro benchmark: ratio to baseline (log scale, 1× marked; lower is better)</text>`,
  );
  parts.push(
    `<line x1="${x(1)}" y1="30" x2="${x(1)}" y2="${height - 10}" stroke="#888" stroke-dasharray="4 3"/>`,
  );
  rows.forEach((row, i) => {
    const y = 40 + i * rowHeight;
    const color = row.pass === undefined ? '#5b8def' : row.pass ? '#3aa65b' : '#d9534f';
    parts.push(`<text x="10" y="${y + 14}">${escapeXml(row.label)}</text>`);
    parts.push(
      `<rect x="${labelWidth}" y="${y + 3}" width="${Math.max(1, x(row.ratio) - labelWidth)}" height="14" fill="${color}"/>`,
    );
    if (row.target !== undefined) {
      parts.push(
        `<line x1="${x(row.target)}" y1="${y}" x2="${x(row.target)}" y2="${y + 20}" stroke="black" stroke-width="2"/>`,
      );
    }
    parts.push(`<text x="${labelWidth + plotWidth + 8}" y="${y + 14}">${fmt(row.ratio)}×</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** Writes latest.{json,md,svg} to `dir`, and appends the run to history.jsonl unless quick. */
export function writeReport(
  dir: string,
  record: RunRecord,
  history: boolean,
): { markdown: string } {
  mkdirSync(dir, { recursive: true });
  const historyFile = join(dir, 'history.jsonl');
  const previous = lastRatios(historyFile);
  const markdown = toMarkdown(record, previous);
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(record, null, 2)}\n`);
  writeFileSync(join(dir, 'latest.md'), markdown);
  writeFileSync(join(dir, 'latest.svg'), toSvg(record));
  if (history && !record.quick) {
    const slim = {
      ...record,
      results: record.results.map((r) => ({
        id: r.id,
        title: r.title,
        comparisons: r.comparisons,
        measurements: r.measurements,
      })),
    };
    appendFileSync(historyFile, `${JSON.stringify(slim)}\n`);
  }
  return { markdown };
}
