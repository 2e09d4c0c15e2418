// The network examples' command line: `--port N` takes a decimal port only, in either spelling.
import { describe, expect, it } from 'vitest';
import { serverArgs } from '../src/net/args.ts';

describe('serverArgs', () => {
  it('reads --port N and --port=N, and --forever', () => {
    expect(serverArgs([])).toEqual({ port: 0, forever: false });
    expect(serverArgs(['--port', '8888', '--forever'])).toEqual({ port: 8888, forever: true });
    // Ignored before: the server came up on an ephemeral port instead of 8888.
    expect(serverArgs(['--port=8888', '--forever'])).toEqual({ port: 8888, forever: true });
    expect(serverArgs(['--port', '0', '--threads', '2'])).toEqual({ port: 0, forever: false });
  });

  it('refuses anything but a decimal port in 0–65535', () => {
    // '' and ' ' were port 0, '0x1F90' port 8080, '1e3' port 1000 (Number() read them).
    for (const value of [undefined, '', ' ', 'abc', '0x1F90', '1e3', '-1', '-0', '1.5', '65536']) {
      const argv = value === undefined ? ['--port'] : ['--port', value];
      expect(() => serverArgs(argv), String(value)).toThrow(/--port needs a port number/);
    }
    expect(() => serverArgs(['--port=', '--forever'])).toThrow(/--port needs a port number/);
  });
});
