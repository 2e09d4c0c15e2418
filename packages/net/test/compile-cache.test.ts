// Node.js's compile cache (NODE_COMPILE_CACHE, module.enableCompileCache()) must not break the
// package. V8 mishandles a class with 75 or more private names there: the second run, from the
// cache, throws "Receiver must be class #…" at a private member (Node.js 24.21). The data
// path's Channel came within reach of that; this runs it twice from a fresh cache, and keeps
// every class of the package well below the limit.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/write-mode.ts', import.meta.url));
const src = fileURLToPath(new URL('../src', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('the compile cache', () => {
  it('runs a connection again from a cache the first run wrote', () => {
    const cache = mkdtempSync(join(tmpdir(), 'coro-compile-cache-'));
    try {
      for (let run = 0; run < 2; run++) {
        const out = execFileSync(process.execPath, ['--conditions=@coro/source', fixture], {
          env: { ...process.env, NODE_COMPILE_CACHE: cache, CORO_NET_HANDLE_IO: '' },
          encoding: 'utf8',
          timeout: 30_000,
        });
        expect(JSON.parse(out)).toMatchObject({ echoed: true });
      }
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it('keeps every class below 64 private names', () => {
    const counts: Record<string, number> = {};
    for (const file of sources(src)) {
      const text = readFileSync(file, 'utf8');
      const starts = [...text.matchAll(/^(?:export )?class (\w+)/gm)];
      starts.forEach((match, i) => {
        const body = text.slice(match.index, starts[i + 1]?.index ?? text.length);
        counts[match[1] as string] = new Set(body.match(/#\w+/g)).size;
      });
    }
    expect(Object.keys(counts)).toContain('Channel');
    const over = Object.entries(counts).filter(([, n]) => n >= 64);
    expect(over).toEqual([]);
  });
});
