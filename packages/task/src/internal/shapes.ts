// V8 keeps an object shape (a "map") alive only through the objects that have it. Classes that
// are allocated per call — a task, a task's context — may have no instance left at all between
// two bursts of work; a full GC then frees their shape, and every optimized function that
// handled them is thrown away ("embedded weak objects cleared") and has to warm up again.
// Measured on `await syncWait(task())` with a full GC between samples: about 2.1× a plain async
// call instead of 1.3×. One permanent instance per class holds its shape.

const kept: object[] = [];

/** @internal Keeps `instance` (and with it its class's shape) alive for good. */
export function keepShape(instance: object): void {
  kept.push(instance);
}
