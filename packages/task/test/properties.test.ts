// Property tests: whenAll and whenAny over random mixes of children that resolve, reject or
// hang (until asked to stop), after random numbers of microtask and macrotask hops.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Task,
  type TaskContext,
  task,
  whenAll,
  whenAny,
  whenAnyIndexed,
} from '../src/index.ts';
import { failOnUnhandledRejections, flush } from './utils/unhandled.ts';

const unhandled = failOnUnhandledRejections();

type Kind = 'resolve' | 'reject' | 'hang';
interface ChildSpec {
  kind: Kind;
  hops: number;
}

class ChildError extends Error {
  readonly index: number;
  constructor(index: number) {
    super(`child ${index} failed`);
    this.index = index;
  }
}

const childSpec = fc.record({
  kind: fc.constantFrom<Kind>('resolve', 'reject', 'hang'),
  hops: fc.integer({ min: 0, max: 6 }),
});

function untilStopped(ctx: TaskContext): Promise<void> {
  return new Promise((resolve) => ctx.stopToken.onStop(() => resolve()));
}

/** Builds the children; `settled` records the order in which they settle. */
function makeChildren(specs: ChildSpec[], settled: number[]): Task<unknown>[] {
  return specs.map((spec, i) =>
    task.withContext(async (ctx: TaskContext) => {
      for (let k = 0; k < spec.hops; k++) {
        if (k % 3 === 2) await new Promise((r) => setImmediate(r));
        else await null;
      }
      if (spec.kind === 'hang') {
        await untilStopped(ctx);
        settled.push(i);
        return `stopped-${i}`;
      }
      settled.push(i);
      if (spec.kind === 'reject') throw new ChildError(i);
      return i;
    })(),
  );
}

describe('whenAll properties', () => {
  it('keeps order, rejects with the first failure, stops the rest, leaves nothing unhandled', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(childSpec, { minLength: 0, maxLength: 8 }), async (specs) => {
        const settled: number[] = [];
        const children = makeChildren(specs, settled);
        const all = whenAll(children);
        const outcome = all.then(
          (value) => ({ ok: true as const, value }),
          (error: unknown) => ({ ok: false as const, error }),
        );
        const anyReject = specs.some((s) => s.kind === 'reject');
        if (!anyReject) {
          // Nothing will fail, so hanging children would hang forever: stop the whole group
          // once every finite child has settled.
          while (
            settled.filter((i) => specs[i]!.kind !== 'hang').length <
            specs.filter((s) => s.kind !== 'hang').length
          ) {
            await flush();
          }
          all.requestStop();
        }
        const result = await outcome;
        // Every child settled before the whenAll did: nothing is left running.
        expect([...settled].sort((a, b) => a - b)).toEqual(specs.map((_, i) => i));
        if (anyReject) {
          expect(result.ok).toBe(false);
          const firstFailure = settled.find((i) => specs[i]!.kind === 'reject');
          expect((result as { error: ChildError }).error.index).toBe(firstFailure);
          // Every child that had not settled by then was asked to stop.
          const failedAt = settled.indexOf(firstFailure!);
          for (const i of settled.slice(failedAt + 1))
            expect(children[i]!.stopRequested).toBe(true);
        } else {
          expect(result).toEqual({
            ok: true,
            value: specs.map((s, i) => (s.kind === 'hang' ? `stopped-${i}` : i)),
          });
        }
        await flush();
        expect(unhandled.seen).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });
});

describe('whenAny properties', () => {
  it('settles like the first child to settle, stops every loser, leaves nothing unhandled', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(childSpec, { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        async (specs, indexed) => {
          const settled: number[] = [];
          const children = makeChildren(specs, settled);
          const any = indexed ? whenAnyIndexed(children) : whenAny(children);
          const outcome = any.then(
            (value) => ({ ok: true as const, value }),
            (error: unknown) => ({ ok: false as const, error }),
          );
          if (specs.every((s) => s.kind === 'hang')) {
            await flush();
            any.requestStop();
          }
          const result = await outcome;
          const winner = settled[0]!;
          const spec = specs[winner]!;
          if (spec.kind === 'reject') {
            expect(result.ok).toBe(false);
            expect((result as { error: ChildError }).error.index).toBe(winner);
          } else {
            const value = spec.kind === 'hang' ? `stopped-${winner}` : winner;
            expect(result).toEqual({ ok: true, value: indexed ? { index: winner, value } : value });
          }
          children.forEach((child, i) => {
            if (i !== winner) expect(child.stopRequested).toBe(true);
          });
          // Let the losers finish; their values and errors must vanish quietly.
          while (settled.length < specs.length) await flush();
          await flush();
          expect(unhandled.seen).toEqual([]);
        },
      ),
      { numRuns: 150 },
    );
  });
});
