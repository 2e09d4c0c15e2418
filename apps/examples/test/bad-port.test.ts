// Every network example refuses a bad `--port` as a command-line tool should: one line on
// stderr naming the program and the value, exit status 2 (a usage error), no stack trace and
// nothing on stdout. Before, the parser's exception went uncaught and Node.js printed it with
// its stack, exiting 1.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { examples, srcDir } from '../src/catalog.ts';
import { runExample } from './run.ts';

// The examples that take --port: those that read their command line with serverArgs().
const withPort = examples().filter((name) =>
  readFileSync(join(srcDir, `${name}.ts`), 'utf8').includes('serverArgs('),
);

// Each bad command line and how the message shows the value it got.
const badArgs: [args: string[], shown: string][] = [
  [['--port', 'abc'], '"abc"'],
  [['--port', '70000'], '"70000"'],
  [['--port', '-1'], '"-1"'],
  [['--port=0x1F90'], '"0x1F90"'],
  [['--port'], 'nothing'],
];

/**
 * Runs `name` with each bad command line of `cases` at once and checks each printed exactly
 * `${name}: ${message} got ${shown}` on stderr, nothing on stdout, no stack, and exited 2.
 */
async function expectUsageErrors(
  name: string,
  cases: readonly [args: string[], shown: string][],
  message: string,
): Promise<void> {
  const runs = await Promise.all(cases.map(([args]) => runExample(name, args)));
  runs.forEach(({ stdout, stderr, code }, i) => {
    const [args, shown] = cases[i]!;
    const what = `${name} ${args.join(' ')}`;
    expect(stderr, what).not.toMatch(/^\s+at /m);
    expect(stderr, what).toBe(`${name}: ${message}, got ${shown}\n`);
    expect(code, what).toBe(2);
    expect(stdout, what).toBe('');
  });
}

describe('network examples given a bad --port', () => {
  it('has the four examples that take --port', () => {
    expect([...withPort].sort()).toEqual([
      'http_200_ok_server',
      'http_200_ok_server_threads',
      'tcp_echo_server',
      'tls_echo_server',
    ]);
  });

  for (const name of withPort) {
    it(`coro_${name} prints one usage line and exits 2`, () =>
      expectUsageErrors(name, badArgs, '--port needs a port number in 0–65535'));
  }
});

describe('http_200_ok_server_threads given a bad --threads', () => {
  it('prints one usage line and exits 2', () =>
    expectUsageErrors(
      'http_200_ok_server_threads',
      [
        [['--threads', 'abc'], '"abc"'],
        [['--threads', '0'], '"0"'],
        [['--threads', '1.5'], '"1.5"'],
        [['--threads=-2'], '"-2"'],
        [['--threads'], 'nothing'],
      ],
      '--threads needs a whole number of threads, at least 1',
    ));
});

describe('network examples given an option they do not take', () => {
  // Each ran as if nothing was given (a misspelt --forever: the bounded tour, exit 0).
  const servers = [
    'http_200_ok_server',
    'http_200_ok_server_threads',
    'tcp_echo_server',
    'tls_echo_server',
  ];
  for (const name of servers) {
    it(`coro_${name} refuses a misspelt or repeated option`, async () => {
      const runs = await Promise.all([
        runExample(name, ['--forevr']),
        runExample(name, ['--port', '0', '--port', '1']),
      ]);
      for (const { stdout, stderr, code } of runs) {
        expect(stderr).not.toMatch(/^\s+at /m);
        expect(stderr).toMatch(
          new RegExp(`^${name}: (unknown option "--forevr"|--port is given more than once)`),
        );
        expect(code).toBe(2);
        expect(stdout).toBe('');
      }
    });
  }

  for (const name of ['io_scheduler', 'udp_peer']) {
    it(`coro_${name} takes no arguments`, async () => {
      const { stdout, stderr, code } = await runExample(name, ['--forever', '--port', '5']);
      expect(stderr).toBe(`${name}: takes no arguments, got "--forever" "--port" "5"\n`);
      expect(code).toBe(2);
      expect(stdout).toBe('');
    });
  }

  it('coro_dns_resolver refuses an option, and a name that is not a host name', async () => {
    const [option, name] = await Promise.all([
      runExample('dns_resolver', ['--verbose']),
      runExample('dns_resolver', ['a b']),
    ]);
    expect(option.stderr).toBe('dns_resolver: takes host names only, got the option "--verbose"\n');
    expect(option.code).toBe(2);
    expect(option.stdout).toBe('');
    // The local names are resolved first; the refused one ends the program, without a stack.
    expect(name.stderr).toMatch(/^dns_resolver: not a host name/);
    expect(name.stderr).not.toMatch(/^\s+at /m);
    expect(name.code).toBe(2);
  });
});
