// The libcoro build to run side by side: `--libcoro BUILD_DIR` on the bench's command line (or
// CORO_BENCH_LIBCORO), e.g. /work/libcoro-peer/libcoro/build. Read here from process.argv so
// the network scenarios need nothing from main.ts beyond accepting the option.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The libcoro build directory given to the bench, if any. */
export function libcoroBuildDir(argv = process.argv): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--libcoro') return argv[i + 1];
    if (arg.startsWith('--libcoro=')) return arg.slice('--libcoro='.length);
  }
  return process.env.CORO_BENCH_LIBCORO || undefined;
}

/** The path of one of libcoro's example binaries in that build, if it exists. */
export function libcoroExample(
  name: 'coro_http_200_ok_server' | 'coro_tcp_echo_server',
): string | undefined {
  const dir = libcoroBuildDir();
  if (dir === undefined) return undefined;
  const path = join(dir, 'examples', name);
  if (!existsSync(path))
    throw new Error(`--libcoro ${dir}: no ${path} (build it with build-libcoro.sh)`);
  return path;
}

/** The ports libcoro's examples listen on (8888 in the peers' README, 8080 in some sources). */
export const libcoroPorts = [8888, 8080] as const;
