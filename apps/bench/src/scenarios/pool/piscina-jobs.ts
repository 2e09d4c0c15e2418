// The worker module of piscina in the pool benchmarks: one argument per task, as piscina runs.
import { Piscina } from 'piscina';

export function add(args: [number, number]): number {
  return args[0] + args[1];
}

export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

export function roundTrip(buffer: ArrayBuffer): unknown {
  new Uint8Array(buffer)[0]! += 1;
  return Piscina.move(buffer);
}
