// Starting a pool thread: the worker entry's URL and the Node.js flags it may inherit.
import { Worker, type WorkerOptions } from 'node:worker_threads';

const workerUrl = new URL(
  import.meta.url.endsWith('.ts') ? '../worker.ts' : './worker.js',
  import.meta.url,
);

/** Flags that only make sense for a main script given on the command line. */
const MAIN_SCRIPT_FLAGS = ['-e', '--eval', '-p', '--print', '--input-type'];
let workerArgv: string[] | undefined | null = null;

/**
 * Threads inherit the parent's Node.js flags (`--conditions`, `--import` loaders…), which is
 * what we want, except for those that only make sense for a main script: a thread started from
 * `node --input-type=module -e '…'` would refuse to start. Returns `undefined` (inherit as is)
 * unless such a flag is present, and then the list without them.
 */
function workerExecArgv(): string[] | undefined {
  if (workerArgv !== null) return workerArgv;
  const argv = process.execArgv;
  const kept: string[] = [];
  let dropped = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (MAIN_SCRIPT_FLAGS.includes(arg)) {
      i++; // and its value
      dropped = true;
    } else if (/^--(input-type|eval|print)=/.test(arg)) dropped = true;
    else kept.push(arg);
  }
  workerArgv = dropped ? kept : undefined;
  return workerArgv;
}

/** `new Worker` for the pool's worker entry, with the inherited flags cleaned up if need be. */
export function startWorker(options: WorkerOptions): Worker {
  const execArgv = workerExecArgv();
  if (execArgv === undefined) return new Worker(workerUrl, options);
  try {
    return new Worker(workerUrl, { ...options, execArgv });
  } catch (error) {
    // Explicit flags are checked more strictly than inherited ones: process-wide flags such as
    // --expose-gc are refused. Drop those the error names and try once more.
    const code = (error as { code?: string }).code;
    if (code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw error;
    const invalid = String((error as Error).message)
      .replace(/^[^:]*:\s*/, '')
      .split(', ');
    workerArgv = execArgv.filter((arg) => !invalid.includes(arg));
    return new Worker(workerUrl, { ...options, execArgv: workerArgv });
  }
}
