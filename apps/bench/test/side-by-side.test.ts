import { describe, expect, it } from 'vitest';
import { median } from '../src/harness.ts';
import { splitNodeFlags } from '../src/scenarios/net/processes.ts';
import { parseSpec } from '../src/side-by-side.ts';

describe('side-by-side', () => {
  it('reads a server spec: environment first, then the server and its arguments', () => {
    expect(parseSpec('PLAIN=1 BUF=1024 coro-http coroutine', '/checkout')).toEqual({
      root: '/checkout',
      server: 'coro-http',
      args: ['coroutine'],
      env: { PLAIN: '1', BUF: '1024' },
    });
    expect(parseSpec('  net-http ', '/x')).toEqual({
      root: '/x',
      server: 'net-http',
      args: [],
      env: {},
    });
  });

  it('refuses a spec without a server name, or with a path for one', () => {
    expect(() => parseSpec('A=1')).toThrow(/SERVER/);
    expect(() => parseSpec('')).toThrow(/SERVER/);
    expect(() => parseSpec('../../evil')).toThrow(/SERVER/);
  });

  it("gives NODE_FLAGS to the server's node, not to its environment", () => {
    const spec = parseSpec('NODE_FLAGS=--max-semi-space-size=1,--no-maglev PLAIN=1 coro-http');
    expect(splitNodeFlags(spec.env)).toEqual({
      flags: ['--max-semi-space-size=1', '--no-maglev'],
      env: { PLAIN: '1' },
    });
    expect(splitNodeFlags({})).toEqual({ flags: [], env: {} });
  });

  it('takes the median of the rounds', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
