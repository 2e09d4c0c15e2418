// Command-line options shared by the network examples: bounded by default (the tour), or
// `--port 8888 --forever` to stay up for a load generator, as libcoro's examples do.

/** A command line the examples cannot run with; the message says what was wrong. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * `--port N` or `--port=N` (default 0: a free port) and `--forever`. Throws `UsageError` for a
 * port that is not a decimal number in 0–65535.
 */
export function parseServerArgs(argv: readonly string[]): { port: number; forever: boolean } {
  const at = argv.findIndex((arg) => arg === '--port' || arg.startsWith('--port='));
  const text = at === -1 ? '0' : argv[at] === '--port' ? argv[at + 1] : argv[at]!.slice(7);
  // Decimal digits only: Number() would take '' and ' ' for 0, '0x1F90' for 8080, '1e3' for 1000.
  const port = text !== undefined && /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port <= 65535)) {
    const got = text === undefined ? 'nothing' : JSON.stringify(text);
    throw new UsageError(`--port needs a port number in 0–65535, got ${got}`);
  }
  return { port, forever: argv.includes('--forever') };
}

/**
 * `--threads N` (a whole number ≥ 1), or `fallback` without it. Throws `UsageError` otherwise.
 */
export function parseThreads(argv: readonly string[], fallback: number): number {
  const at = argv.findIndex((arg) => arg === '--threads' || arg.startsWith('--threads='));
  if (at === -1) return fallback;
  const text = argv[at] === '--threads' ? argv[at + 1] : argv[at]!.slice(10);
  const threads = text !== undefined && /^\d{1,4}$/.test(text) ? Number(text) : Number.NaN;
  if (!(threads >= 1)) {
    const got = text === undefined ? 'nothing' : JSON.stringify(text);
    throw new UsageError(`--threads needs a whole number of threads, at least 1, got ${got}`);
  }
  return threads;
}

/**
 * Runs `parse` on an example's own command line. A bad option is the user's mistake, not the
 * program's, so it ends the program the way command-line tools do: one line on stderr naming
 * `program` and what was wrong, and exit status 2 (a usage error), rather than an uncaught
 * exception with a stack trace pointing into this file.
 */
function orUsage<T>(program: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${program}: ${error.message}`);
    process.exit(2);
  }
}

/** `parseServerArgs` for an example's own command line (see `orUsage`). */
export function serverArgs(
  program: string,
  argv: readonly string[] = process.argv.slice(2),
): { port: number; forever: boolean } {
  return orUsage(program, () => parseServerArgs(argv));
}

/** `parseThreads` for an example's own command line (see `orUsage`). */
export function threadsArg(program: string, argv: readonly string[], fallback: number): number {
  return orUsage(program, () => parseThreads(argv, fallback));
}
