// The worker module of pool.js: every exported function is a job.
import { isMainThread, threadId } from 'node:worker_threads';

export function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

export async function square(x) {
  return x * x;
}

export function whereAmI() {
  return { isMainThread, threadId };
}
