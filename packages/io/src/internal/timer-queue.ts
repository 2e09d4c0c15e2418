// The scheduler's one timer structure: buckets of waiters, one bucket per distinct deadline, kept
// in an indexed binary min-heap keyed by deadline (the index lets a bucket leave the heap in
// O(log n) when its last waiter is cancelled, so cancelled timers leave nothing behind).
//
// Waiters that cannot be cancelled (no `signal`) and share a deadline share one promise: the
// bucket holds a single resolve function for the whole run of them, so a pending
// `await yieldFor(d)` costs the awaiting frame and a promise reaction, nothing more. Waiters
// that can be cancelled get an entry object of their own. Order within a bucket is FIFO: the
// items are fired in the order they were added, and a shared promise runs its reactions in the
// order they were registered.
//
// The count of pending waits (`waiters`) has one owner: an entry leaves the pending state in
// exactly one place (`#release`), whether it fires or is cancelled — also when one callback of
// a bucket cancels a later entry of the same bucket while the bucket is being fired.

/** A cancellable timer entry: `fire()` runs when its deadline is reached. */
export class TimerEntry {
  /** @internal The bucket holding the entry while it is pending. */
  bucket: Bucket | undefined = undefined;
  /** @internal The entry's position in `bucket.items`. */
  index = -1;
  /** Whether the entry counts as a pending wait (`false` for a timeout guarding another wait). */
  counted = true;

  /** Called once when the deadline is reached (never after `cancel`). */
  fire(): void {}
}

/** A timer entry that calls a function. */
export class CallbackTimer extends TimerEntry {
  callback: (() => void) | undefined;

  constructor(callback: () => void) {
    super();
    this.callback = callback;
    this.counted = false;
  }

  override fire(): void {
    const callback = this.callback;
    this.callback = undefined;
    callback?.();
  }
}

type Item = (() => void) | TimerEntry | undefined;

/** All waiters due at one deadline. */
export class Bucket {
  readonly deadline: number;
  /** Position in the heap, -1 once it left the heap (fired or emptied). */
  heapIndex = -1;
  items: Item[] = [];
  /** Items not cancelled. */
  live = 0;
  /** Cancelled slots still in `items`. */
  holes = 0;
  /** Callers waiting on the bucket's shared promises (entries count for themselves). */
  sharedWaiters = 0;
  /** The promise of the trailing shared run, while the last item is that run's resolver. */
  shared: Promise<void> | undefined = undefined;

  constructor(deadline: number) {
    this.deadline = deadline;
  }
}

/** Buckets by deadline in an indexed min-heap. */
export class TimerQueue {
  readonly #heap: Bucket[] = [];
  readonly #byDeadline = new Map<number, Bucket>();
  #captured: (() => void) | undefined = undefined;
  readonly #capture = (resolve: () => void): void => {
    this.#captured = resolve;
  };
  #waiters = 0;

  /** Pending timed waits in total. */
  get waiters(): number {
    return this.#waiters;
  }

  /** The earliest pending deadline, or `undefined` when there is none. */
  get earliest(): number | undefined {
    return this.#heap[0]?.deadline;
  }

  /** Number of distinct pending deadlines. */
  get bucketCount(): number {
    return this.#heap.length;
  }

  /** A promise resolved at `deadline`, shared with the other plain waiters of that deadline. */
  addShared(deadline: number): Promise<void> {
    const bucket = this.#bucketFor(deadline);
    bucket.sharedWaiters++;
    this.#waiters++;
    let promise = bucket.shared;
    if (promise === undefined) {
      promise = new Promise<void>(this.#capture);
      bucket.items.push(this.#captured);
      this.#captured = undefined;
      bucket.live++;
      bucket.shared = promise;
    }
    return promise;
  }

  /** Adds a cancellable entry fired at `deadline`. */
  add(deadline: number, entry: TimerEntry): void {
    const bucket = this.#bucketFor(deadline);
    if (entry.counted) this.#waiters++;
    entry.bucket = bucket;
    entry.index = bucket.items.length;
    bucket.items.push(entry);
    bucket.live++;
    bucket.shared = undefined;
  }

  /** Removes a pending entry at once. Returns `false` if it already fired or was cancelled. */
  cancel(entry: TimerEntry): boolean {
    const bucket = entry.bucket;
    if (bucket === undefined) return false;
    this.#release(entry);
    bucket.items[entry.index] = undefined;
    bucket.live--;
    bucket.holes++;
    if (bucket.heapIndex === -1) return true; // the bucket is being fired right now
    if (bucket.live === 0) {
      this.#remove(bucket);
    } else if (bucket.holes > 16 && bucket.holes * 2 > bucket.items.length) {
      compact(bucket);
    }
    return true;
  }

  /**
   * Takes the earliest bucket out of the queue if its deadline is ≤ `now`. The caller fires it
   * with `fire(bucket)`.
   */
  popDue(now: number): Bucket | undefined {
    const heap = this.#heap;
    const top = heap[0];
    if (top === undefined || top.deadline > now) return undefined;
    this.#remove(top);
    return top;
  }

  /** Fires every item of a bucket taken by `popDue`, in order. */
  fire(bucket: Bucket): void {
    // The callers sharing the bucket's promises resume now (their reactions run in order).
    this.#waiters -= bucket.sharedWaiters;
    bucket.sharedWaiters = 0;
    bucket.shared = undefined;
    const items = bucket.items;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (item === undefined) continue;
      if (typeof item === 'function') item();
      else {
        // Released before it runs: a cancel of this entry from inside its own callback is a
        // no-op; a later entry cancelled from here is skipped (its slot is emptied).
        this.#release(item);
        item.fire();
      }
    }
    bucket.items = [];
  }

  /** The one place an entry stops being pending, and stops being counted. */
  #release(entry: TimerEntry): void {
    entry.bucket = undefined;
    if (entry.counted) this.#waiters--;
  }

  #bucketFor(deadline: number): Bucket {
    let bucket = this.#byDeadline.get(deadline);
    if (bucket === undefined) {
      bucket = new Bucket(deadline);
      this.#byDeadline.set(deadline, bucket);
      this.#push(bucket);
    }
    return bucket;
  }

  #push(bucket: Bucket): void {
    const heap = this.#heap;
    bucket.heapIndex = heap.length;
    heap.push(bucket);
    this.#siftUp(bucket.heapIndex);
  }

  #remove(bucket: Bucket): void {
    const heap = this.#heap;
    const index = bucket.heapIndex;
    this.#byDeadline.delete(bucket.deadline);
    bucket.heapIndex = -1;
    const last = heap.pop()!;
    if (last === bucket) return;
    heap[index] = last;
    last.heapIndex = index;
    if (index > 0 && heap[(index - 1) >> 1]!.deadline > last.deadline) this.#siftUp(index);
    else this.#siftDown(index);
  }

  #siftUp(index: number): void {
    const heap = this.#heap;
    const bucket = heap[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (parent.deadline <= bucket.deadline) break;
      heap[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    heap[index] = bucket;
    bucket.heapIndex = index;
  }

  #siftDown(index: number): void {
    const heap = this.#heap;
    const n = heap.length;
    const bucket = heap[index]!;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && heap[right]!.deadline < heap[child]!.deadline) child = right;
      const smaller = heap[child]!;
      if (smaller.deadline >= bucket.deadline) break;
      heap[index] = smaller;
      smaller.heapIndex = index;
      index = child;
    }
    heap[index] = bucket;
    bucket.heapIndex = index;
  }
}

/** Drops the cancelled slots of a bucket, keeping the order, and renumbers the entries. */
function compact(bucket: Bucket): void {
  const items = bucket.items;
  let to = 0;
  for (let from = 0; from < items.length; from++) {
    const item = items[from];
    if (item === undefined) continue;
    if (typeof item !== 'function') item.index = to;
    items[to++] = item;
  }
  items.length = to;
  bucket.holes = 0;
}
