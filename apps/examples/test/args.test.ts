// The network examples' command line: `--port N` takes a decimal port only, in either spelling.
import { describe, expect, it } from 'vitest';
import { parseServerArgs, UsageError } from '../src/net/args.ts';

describe('parseServerArgs', () => {
  it('reads --port N and --port=N, and --forever', () => {
    expect(parseServerArgs([])).toEqual({ port: 0, forever: false });
    expect(parseServerArgs(['--port', '8888', '--forever'])).toEqual({ port: 8888, forever: true });
    // Ignored before: the server came up on an ephemeral port instead of 8888.
    expect(parseServerArgs(['--port=8888', '--forever'])).toEqual({ port: 8888, forever: true });
    expect(parseServerArgs(['--port', '0', '--threads', '2'])).toEqual({ port: 0, forever: false });
  });

  it('refuses anything but a decimal port in 0–65535', () => {
    // '' and ' ' were port 0, '0x1F90' port 8080, '1e3' port 1000 (Number() read them).
    for (const value of [undefined, '', ' ', 'abc', '0x1F90', '1e3', '-1', '-0', '1.5', '65536']) {
      const argv = value === undefined ? ['--port'] : ['--port', value];
      expect(() => parseServerArgs(argv), String(value)).toThrow(/--port needs a port number/);
    }
    expect(() => parseServerArgs(['--port=', '--forever'])).toThrow(/--port needs a port number/);
    // The examples' serverArgs() turns this one error class into a usage line and exit status 2.
    expect(() => parseServerArgs(['--port', 'abc'])).toThrow(UsageError);
  });
});
