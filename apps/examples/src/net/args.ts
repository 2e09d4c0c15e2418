// Command-line options shared by the network examples: bounded by default (the tour), or
// `--port 8888 --forever` to stay up for a load generator, as libcoro's examples do.

/** `--port N` or `--port=N` (default 0: a free port) and `--forever`. */
export function serverArgs(argv = process.argv.slice(2)): { port: number; forever: boolean } {
  const at = argv.findIndex((arg) => arg === '--port' || arg.startsWith('--port='));
  const text = at === -1 ? '0' : argv[at] === '--port' ? argv[at + 1] : argv[at]!.slice(7);
  // Decimal digits only: Number() would take '' and ' ' for 0, '0x1F90' for 8080, '1e3' for 1000.
  const port = text !== undefined && /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port <= 65535)) {
    throw new Error(`--port needs a port number in 0–65535, got ${JSON.stringify(text)}`);
  }
  return { port, forever: argv.includes('--forever') };
}
