import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/first-failure.ts', import.meta.url));
// The methods a connection runs, from the sources of its channel and of the TCP client.
const connectionMethods = new Set(
  ['../src/internal/channel.ts', '../src/tcp/client.ts'].flatMap((file) =>
    [
      ...readFileSync(new URL(file, import.meta.url), 'utf8').matchAll(
        /^ {2}(?:static |private |async )*(#?\w+)(?:<[^>]*>)?\(/gm,
      ),
    ].map((match) => match[1] as string),
  ),
);

/** Runs the fixture with V8's optimization trace; splits the trace at the failure. */
function firstFailure(env: Record<string, string>) {
  const out = execFileSync(
    process.execPath,
    [
      '--conditions=@coro/source',
      '--allow-natives-syntax',
      '--trace-opt',
      '--trace-deopt',
      fixture,
    ],
    { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 },
  );
  const lines = out.split('\n');
  const begins = lines.indexOf('failure begins');
  const ends = lines.indexOf('failure ends');
  const markers = lines.filter((line) => line.includes('failure')).join(' | ');
  expect(begins, `the fixture reached the failure (${markers})`).toBeGreaterThan(0);
  expect(ends, `the fixture went on after it (${markers})`).toBeGreaterThan(begins);
  // V8's trace may come between the markers and the result: the result is the JSON line.
  const result = JSON.parse(lines.find((line) => line.startsWith('{')) ?? '') as {
    failed: string;
    ended: string;
    sameShape: boolean;
  };
  return { before: lines.slice(0, begins), during: lines.slice(begins, ends), result };
}

/** The names of the functions V8 finished optimizing with TurboFan in `trace`. */
function turbofanned(trace: string[]): Set<string> {
  const names = new Set<string>();
  for (const line of trace) {
    const match = /^\[completed optimizing .*<JSFunction (\S+) .*\(target TURBOFAN_JS\)/.exec(line);
    if (match) names.add(match[1] as string);
  }
  return names;
}

/** The connection methods whose optimized code V8 threw away because a field's constness changed. */
function constnessDeopts(trace: string[]): string[] {
  const names: string[] = [];
  for (const line of trace) {
    const match = /<SharedFunctionInfo (\S+)>.*reason: dependent field type constness changed/.exec(
      line,
    );
    if (match && connectionMethods.has(match[1] as string)) names.push(match[1] as string);
  }
  return names;
}

describe("a connection's first failure", () => {
  it('finds the connection methods in their sources', () => {
    for (const name of ['#onData', '#startRead', '#startWrite', 'readExact', 'close']) {
      expect(connectionMethods.has(name), name).toBe(true);
    }
  });

  // V8 treats a field no object of a class has changed yet as a constant and drops the code
  // built on that the first time one changes: a connection's end used to send every other
  // connection's read and write paths back to slower code. And a status made for a failure
  // had another shape than the shared ones, so the first failure met code that had seen only
  // one shape.
  for (const [path, env] of [
    ['the handle path', {}],
    ['the stream path', { CORO_NET_HANDLE_IO: 'off' }],
  ] as const) {
    it(`keeps the optimized read and write code of other connections (${path})`, () => {
      // The check means something only if the hot paths were optimized before the failure;
      // V8 compiles them on another thread, which a loaded machine can hold up: a run where
      // they were not is run again.
      const hot = ['#onData', '#startRead', '#startWrite'];
      let run = firstFailure(env);
      let optimized = turbofanned(run.before);
      for (let attempt = 1; attempt < 4 && !hot.every((name) => optimized.has(name)); attempt++) {
        run = firstFailure(env);
        optimized = turbofanned(run.before);
      }
      for (const name of hot) {
        expect(optimized.has(name), `${name} optimized before the failure`).toBe(true);
      }
      expect(run.result).toEqual({ failed: 'connectionReset', ended: 'closed', sameShape: true });
      expect(constnessDeopts(run.during)).toEqual([]);
    });
  }
});
