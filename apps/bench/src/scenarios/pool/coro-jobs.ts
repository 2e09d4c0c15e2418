// The worker module of @coro/pool in the pool benchmarks (not a scenario file: load.ts only
// reads src/scenarios/*.ts).
import { withJobContext } from '@coro/pool';

export function add(a: number, b: number): number {
  return a + b;
}

export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/** Touches the buffer and sends it back, moved rather than copied. */
export const roundTrip = withJobContext((ctx, buffer: ArrayBuffer): ArrayBuffer => {
  new Uint8Array(buffer)[0]! += 1;
  ctx.transfer(buffer);
  return buffer;
});

/** The same, copied both ways (for reference). */
export function roundTripCopy(buffer: ArrayBuffer): ArrayBuffer {
  new Uint8Array(buffer)[0]! += 1;
  return buffer;
}
