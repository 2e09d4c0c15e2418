// V8 keeps an object shape (a "map") alive only through the objects that have it. A primitive
// made per operation (an Event per hand-off, say) may have no instance left between two bursts
// of work; a full GC then frees its shape, and the optimized code of `wait()` / `set()` is
// thrown away ("embedded weak objects cleared") and warms up again, each time. One permanent
// instance per such class holds its shape (@coro/task does the same for its tasks).

const kept: object[] = [];

/** @internal Keeps `instance` (and with it its class's shape) alive for good. */
export function keepShape(instance: object): void {
  kept.push(instance);
}
