// The worker module of the when_all example: what runs on the pool's threads.

export function twice(x: number): number {
  return x + x;
}

export function square(x: number): number {
  return x * x;
}
