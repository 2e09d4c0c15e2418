// Command-line options shared by the network examples: bounded by default (the tour), or
// `--port 8888 --forever` to stay up for a load generator, as libcoro's examples do.

/** `--port N` (default 0: a free port) and `--forever`. */
export function serverArgs(argv = process.argv.slice(2)): { port: number; forever: boolean } {
  const at = argv.indexOf('--port');
  const port = at === -1 ? 0 : Number(argv[at + 1]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port needs a port number, got ${argv[at + 1]}`);
  }
  return { port, forever: argv.includes('--forever') };
}
