// The worker module of the sync_wait example: what runs on the pool's thread.

export function twice(x: number): number {
  return x + x;
}
