import { Worker } from 'node:worker_threads';

const workerUrl = new URL('./worker.ts', import.meta.url);

/**
 * Runs one scenario of `worker.ts` on a real worker thread and resolves with what it posts back.
 * The worker is always terminated afterwards, so a failing test leaves no thread behind.
 */
export function runWorker<R = unknown>(
  scenario: string,
  data: Record<string, unknown> = {},
  onStart?: (worker: Worker) => void,
): Promise<R> {
  const worker = new Worker(workerUrl, { workerData: { scenario, ...data } });
  onStart?.(worker);
  return new Promise<R>((resolve, reject) => {
    worker.on('message', (message: { result?: R; error?: string; event?: string }) => {
      if (message.event !== undefined) return;
      if (message.error !== undefined) reject(new Error(message.error));
      else resolve(message.result as R);
      void worker.terminate();
    });
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`worker exited with code ${code}`)));
  });
}

/**
 * Runs a scenario and resolves with its result once the worker has **exited by itself** (it is
 * not terminated): proof that no timer, listener or parked wait kept its event loop alive.
 */
export function runWorkerToExit<R = unknown>(
  scenario: string,
  data: Record<string, unknown> = {},
): Promise<R> {
  const worker = new Worker(workerUrl, { workerData: { scenario, ...data } });
  let result: { value: R } | undefined;
  return new Promise<R>((resolve, reject) => {
    // A worker starts and exits in well under a second alone; 45 s is for a loaded machine, and
    // stays under the 60 s test timeout so that this message, saying what hung, is the one seen.
    const guard = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`the worker running ${scenario} did not exit by itself within 45 s`));
    }, 45_000);
    worker.on('message', (message: { result?: R; error?: string }) => {
      if (message.error !== undefined) reject(new Error(message.error));
      else result = { value: message.result as R };
    });
    worker.on('error', reject);
    worker.on('exit', (code) => {
      clearTimeout(guard);
      if (result !== undefined && code === 0) resolve(result.value);
      else reject(new Error(`worker exited with code ${code} and ${result ? 'a' : 'no'} result`));
    });
  });
}

/** Resolves once `condition()` holds, polling every few ms (bounded by the test timeout). */
export async function until(condition: () => boolean, what = 'condition'): Promise<void> {
  const deadline = Date.now() + 45_000; // under the 60 s test timeout, see runWorkerToExit
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** One macrotask turn: lets other threads and timers interleave. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
