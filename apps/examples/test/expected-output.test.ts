// Every example with a deterministic output has expected/<name>.txt: the program must print
// exactly that (libcoro's expected output, in coro's words where the two differ). Examples
// whose output depends on timing have their own test file instead.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { examples, expectedDir } from '../src/catalog.ts';
import { runExample } from './run.ts';

const withExpected = examples().filter((name) => existsSync(join(expectedDir, `${name}.txt`)));

describe('example programs print what libcoro shows', () => {
  it('has examples to check', () => {
    expect(withExpected.length).toBeGreaterThan(0);
  });

  for (const name of withExpected) {
    it(`coro_${name}`, async () => {
      const { stdout, stderr, code } = await runExample(name);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toBe(readFileSync(join(expectedDir, `${name}.txt`), 'utf8'));
    });
  }
});
