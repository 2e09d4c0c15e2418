// The network examples' command line: `--port N` takes a decimal port only, in either spelling.
import { describe, expect, it } from 'vitest';
import { parseNoArgs, parseServerArgs, UsageError } from '../src/net/args.ts';

describe('parseServerArgs', () => {
  it('reads --port N and --port=N, and --forever', () => {
    expect(parseServerArgs([])).toEqual({ port: 0, forever: false, threads: 1 });
    expect(parseServerArgs(['--port', '8888', '--forever'])).toMatchObject({
      port: 8888,
      forever: true,
    });
    // Ignored before: the server came up on an ephemeral port instead of 8888.
    expect(parseServerArgs(['--port=8888', '--forever'])).toMatchObject({
      port: 8888,
      forever: true,
    });
    expect(parseServerArgs(['--forever', '--port', '0'])).toMatchObject({ port: 0, forever: true });
  });

  it('reads --threads N where the example takes it, with its default otherwise', () => {
    expect(parseServerArgs(['--port', '0', '--threads', '2'], { threads: 4 })).toEqual({
      port: 0,
      forever: false,
      threads: 2,
    });
    expect(parseServerArgs(['--threads=3'], { threads: 4 }).threads).toBe(3);
    expect(parseServerArgs([], { threads: 4 }).threads).toBe(4);
    expect(() => parseServerArgs(['--threads', '2'])).toThrow(/unknown option "--threads"/);
  });

  it('refuses what it does not know, and an option given twice', () => {
    // Each of these ran the bounded tour (or the wrong port) and exited 0 before.
    for (const argv of [
      ['--forevr'],
      ['--prot', '8888'],
      ['8888'],
      ['-p', '8888'],
      ['--bogus=1'],
    ]) {
      expect(() => parseServerArgs(argv), argv.join(' ')).toThrow(UsageError);
      expect(() => parseServerArgs(argv), argv.join(' ')).toThrow(/unknown option/);
    }
    expect(() => parseServerArgs(['--port', '1', '--port', '2'])).toThrow(
      /--port is given more than once/,
    );
    expect(() => parseServerArgs(['--forever', '--forever'])).toThrow(/more than once/);
    expect(() => parseServerArgs(['--forever=yes'])).toThrow(/--forever takes no value/);
    expect(() => parseServerArgs(['--port', '--forever'])).toThrow(/got nothing/);
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

describe('parseNoArgs', () => {
  it('takes an empty command line and refuses anything on it', () => {
    expect(() => parseNoArgs([])).not.toThrow();
    expect(() => parseNoArgs(['--bogus'])).toThrow(/takes no arguments, got "--bogus"/);
    expect(() => parseNoArgs(['--forever', '--port', '5'])).toThrow(UsageError);
  });
});
