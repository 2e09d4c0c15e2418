// The worker module of tinypool in the pool benchmarks: one argument per task, as tinypool runs.
import { Tinypool } from 'tinypool';

export function add(args: [number, number]): number {
  return args[0] + args[1];
}

export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

export function roundTrip(buffer: ArrayBuffer): unknown {
  new Uint8Array(buffer)[0]! += 1;
  return Tinypool.move(buffer);
}
