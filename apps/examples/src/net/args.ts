// The examples' command lines. The network servers run bounded by default (the tour), or with
// `--port 8888 --forever` stay up for a load generator, as libcoro's examples do; every example
// that takes nothing calls noArgs(). Anything else on a command line is refused with a usage
// line (exit status 2).

/** A command line the examples cannot run with; the message says what was wrong. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** What a network server example was asked for on its command line. */
export interface ServerArgs {
  readonly port: number;
  readonly forever: boolean;
  /** `--threads N`, for the examples that take it (`threads` in `parseServerArgs`' options). */
  readonly threads: number;
}

/**
 * `--port N` or `--port=N` (default 0: a free port), `--forever`, and with `options.threads`
 * (its default) `--threads N` too. Throws `UsageError` for a port that is not a decimal number
 * in 0–65535, a thread count that is not a whole number ≥ 1, an option given twice, and
 * anything else on the command line (a misspelt `--forever` would otherwise run the bounded
 * tour and exit as if all was well).
 */
export function parseServerArgs(
  argv: readonly string[],
  options: { readonly threads?: number } = {},
): ServerArgs {
  const values = new Map<string, string | undefined>();
  const known =
    options.threads === undefined ? ['--port', '--forever'] : ['--port', '--forever', '--threads'];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    if (!known.includes(name)) {
      throw new UsageError(`unknown option ${JSON.stringify(arg)} (it takes ${known.join(', ')})`);
    }
    if (values.has(name)) throw new UsageError(`${name} is given more than once`);
    if (name === '--forever') {
      if (eq > 0) throw new UsageError(`--forever takes no value, got ${JSON.stringify(arg)}`);
      values.set(name, undefined);
    } else if (eq > 0) {
      values.set(name, arg.slice(eq + 1));
    } else {
      // A value of its own; a following option is no value (`--port --forever`).
      const next = argv[i + 1];
      values.set(name, next === undefined || next.startsWith('--') ? undefined : next);
      if (next !== undefined && !next.startsWith('--')) i++;
    }
  }
  return {
    port: values.has('--port') ? parsePort(values.get('--port')) : 0,
    forever: values.has('--forever'),
    threads: values.has('--threads')
      ? parseThreadCount(values.get('--threads'))
      : (options.threads ?? 1),
  };
}

function parsePort(text: string | undefined): number {
  // Decimal digits only: Number() would take '' and ' ' for 0, '0x1F90' for 8080, '1e3' for 1000.
  const port = text !== undefined && /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port <= 65535)) {
    const got = text === undefined ? 'nothing' : JSON.stringify(text);
    throw new UsageError(`--port needs a port number in 0–65535, got ${got}`);
  }
  return port;
}

function parseThreadCount(text: string | undefined): number {
  const threads = text !== undefined && /^\d{1,4}$/.test(text) ? Number(text) : Number.NaN;
  if (!(threads >= 1)) {
    const got = text === undefined ? 'nothing' : JSON.stringify(text);
    throw new UsageError(`--threads needs a whole number of threads, at least 1, got ${got}`);
  }
  return threads;
}

/** An example that takes no command line: anything on it is a `UsageError`. */
export function parseNoArgs(argv: readonly string[]): void {
  if (argv.length > 0) {
    throw new UsageError(`takes no arguments, got ${argv.map((a) => JSON.stringify(a)).join(' ')}`);
  }
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
  options: { readonly threads?: number } = {},
): ServerArgs {
  return orUsage(program, () => parseServerArgs(argv, options));
}

/** `parseNoArgs` for an example's own command line (see `orUsage`). */
export function noArgs(program: string, argv: readonly string[] = process.argv.slice(2)): void {
  orUsage(program, () => parseNoArgs(argv));
}

/**
 * Exits as `orUsage` does for a `UsageError`: for a mistake found after the command line was
 * read (a host name the resolver refuses, say), with `message`.
 */
export function usageExit(program: string, message: string): never {
  console.error(`${program}: ${message}`);
  process.exit(2);
}
