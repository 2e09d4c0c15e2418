// Every example that takes no options refuses one, as the README says of every example: one line
// on stderr naming the program, the option and what it takes (nothing), exit status 2, nothing
// on stdout. Before, all but io_scheduler and udp_peer ignored the option, ran and exited 0.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { examples, srcDir } from '../src/catalog.ts';
import { runExample } from './run.ts';

// The examples that take something: the servers read their options with serverArgs(), and
// dns_resolver takes host names. Every other example takes nothing.
const withOptions = examples().filter(
  (name) =>
    name === 'dns_resolver' ||
    readFileSync(join(srcDir, `${name}.ts`), 'utf8').includes('serverArgs('),
);
const withoutOptions = examples().filter((name) => !withOptions.includes(name));

describe('examples that take no options, given one', () => {
  it('has the examples that take options, and every other one to check', () => {
    expect([...withOptions].sort()).toEqual([
      'dns_resolver',
      'http_200_ok_server',
      'http_200_ok_server_threads',
      'tcp_echo_server',
      'tls_echo_server',
    ]);
    expect(withoutOptions.length).toBeGreaterThanOrEqual(18);
  });

  for (const name of withoutOptions) {
    it(`coro_${name} refuses --bogus with one usage line and exits 2`, async () => {
      const { stdout, stderr, code } = await runExample(name, ['--bogus']);
      expect(stderr).toBe(`${name}: takes no arguments, got "--bogus"\n`);
      expect(code).toBe(2);
      expect(stdout).toBe('');
    });
  }
});
