// The threads constructors refuse options they do not take, and options that are not an object:
// a misspelt option would otherwise be ignored and its default used without a word.
import { describe, expect, it } from 'vitest';
import {
  ConditionVariable,
  Event,
  InvalidArgumentError,
  Latch,
  Mutex,
  Queue,
  RingBuffer,
  Semaphore,
  SharedMutex,
  WaitGroup,
} from '../../src/threads/index.ts';

const shared = 'maxWaiters';
const ring = 'slotBytes, maxWaiters';
const queue = 'initialCapacity, maxCapacity, slotBytes, maxWaiters';

/** Each constructor given `options`, where its messages say it failed, and the keys it takes. */
const constructors: [where: string, make: (options: unknown) => unknown, takes: string][] = [
  ['threads Mutex', (o) => new Mutex(o as never), shared],
  ['threads SharedMutex', (o) => new SharedMutex(o as never), shared],
  ['threads ConditionVariable', (o) => new ConditionVariable(o as never), shared],
  ['threads Event', (o) => new Event(false, o as never), shared],
  ['threads Latch', (o) => new Latch(1, o as never), shared],
  ['threads WaitGroup', (o) => new WaitGroup(0, o as never), shared],
  ['threads Semaphore', (o) => new Semaphore(2, 1, o as never), shared],
  ['threads Semaphore', (o) => new Semaphore(2, undefined, o as never), shared],
  ['threads RingBuffer', (o) => new RingBuffer(4, o as never), ring],
  ['threads Queue', (o) => new Queue(o as never), queue],
];

/** Every documented option of each constructor. */
const every: Record<string, object> = {
  maxWaiters: { maxWaiters: 8 },
  'slotBytes, maxWaiters': { slotBytes: 16, maxWaiters: 8 },
  'initialCapacity, maxCapacity, slotBytes, maxWaiters': {
    initialCapacity: 2,
    maxCapacity: 8,
    slotBytes: 16,
    maxWaiters: 8,
  },
};

describe('threads constructors refuse options they do not take', () => {
  it.each(constructors)(
    '%s: a misspelt key is InvalidArgumentError naming it',
    (where, make, takes) => {
      for (const options of [
        { maxWaiter: 8 },
        { maxwaiters: 8 },
        { maxWaiters: 8, slotbytes: 4 },
      ]) {
        expect(() => make(options)).toThrow(InvalidArgumentError);
      }
      expect(() => make({ maxWaiter: 8 })).toThrow(
        `${where}: unknown option "maxWaiter" (it takes ${takes})`,
      );
    },
  );

  it.each(constructors)(
    '%s: null or a non-object is InvalidArgumentError, not accepted',
    (where, make) => {
      for (const bad of [null, 5, 'maxWaiters']) {
        expect(() => make(bad)).toThrow(InvalidArgumentError);
        expect(() => make(bad)).toThrow(`${where}: options must be an object`);
      }
    },
  );

  it.each(constructors)(
    '%s: every documented option is still accepted, and none',
    (_, make, takes) => {
      expect(() => make(every[takes])).not.toThrow();
      expect(() => make({})).not.toThrow();
      expect(() => make(undefined)).not.toThrow();
      expect(() => make({ maxWaiters: undefined })).not.toThrow();
    },
  );

  it('options of a Queue are not a RingBuffer’s and the other way round', () => {
    expect(() => new RingBuffer(4, { initialCapacity: 2 } as never)).toThrow(
      'threads RingBuffer: unknown option "initialCapacity" (it takes slotBytes, maxWaiters)',
    );
    const q = new Queue({ initialCapacity: 2, maxCapacity: 8 });
    expect(q.capacity).toBe(2);
  });

  it('from() still rebuilds every primitive (it passes no options)', () => {
    expect(Mutex.from(new Mutex({ maxWaiters: 4 }).buffer)).toBeInstanceOf(Mutex);
    expect(SharedMutex.from(new SharedMutex().buffer)).toBeInstanceOf(SharedMutex);
    expect(ConditionVariable.from(new ConditionVariable().buffer)).toBeInstanceOf(
      ConditionVariable,
    );
    expect(Event.from(new Event().buffer)).toBeInstanceOf(Event);
    expect(Latch.from(new Latch(1).buffer)).toBeInstanceOf(Latch);
    expect(WaitGroup.from(new WaitGroup().buffer)).toBeInstanceOf(WaitGroup);
    expect(Semaphore.from(new Semaphore(1).buffer)).toBeInstanceOf(Semaphore);
    expect(RingBuffer.from(new RingBuffer(2, { slotBytes: 4 }).buffer)).toBeInstanceOf(RingBuffer);
    expect(Queue.from(new Queue({ slotBytes: 4 }).buffer)).toBeInstanceOf(Queue);
  });
});
