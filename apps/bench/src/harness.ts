// The benchmark harness. Every figure it reports is a ratio to a baseline measured in the same
// run, with the contenders interleaved round by round, because these machines are shared and
// noisy: an absolute number from one run means little, a same-run ratio means a lot.
import { performance } from 'node:perf_hooks';

/** How a scenario is run. */
export interface RunContext {
  /** Fewer rounds and smaller sizes: a smoke run that checks the scenario works. */
  readonly quick: boolean;
  /**
   * Even less (implies `quick`): one round of the harness's throughput and memory scenarios
   * at a hundredth / thousandth of their sizes. What the test suite runs, to prove that every
   * scenario runs to completion without spending CPU on figures nobody reads.
   */
  readonly smoke?: boolean;
  /** Reports progress on long scenarios (printed to stderr). */
  progress(message: string): void;
}

/** One contender's figure in a scenario. */
export interface Measurement {
  readonly name: string;
  /** The figure, in `unit` (for throughput: nanoseconds per operation, the median of rounds). */
  readonly value: number;
  readonly unit: string;
  /** Other figures worth showing (ops/s, p99, heap bytes…). */
  readonly detail?: Readonly<Record<string, number>>;
}

/** A target a comparison should meet: `ratio <= max` and/or `ratio >= min`. */
export interface Target {
  readonly max?: number;
  readonly min?: number;
  /** How the issue states it, e.g. "at most 1.2× Promise.all". */
  readonly text: string;
}

/** `subject` against `baseline`: ratio = subject's value ÷ baseline's value. */
export interface Comparison {
  readonly subject: string;
  readonly baseline: string;
  readonly ratio: number;
  readonly target?: Target | undefined;
  readonly pass?: boolean | undefined;
}

export interface ScenarioResult {
  readonly id: string;
  readonly group: string;
  readonly title: string;
  /** Whether a smaller value is better (time, bytes) or a larger one (ops/s). */
  readonly lowerIsBetter: boolean;
  readonly measurements: readonly Measurement[];
  readonly comparisons: readonly Comparison[];
}

export interface Scenario {
  /** Unique and stable, used for history and `--filter`: `group/name`. */
  readonly id: string;
  readonly group: string;
  readonly title: string;
  run(ctx: RunContext): Promise<ScenarioResult>;
}

/** What to compare in a scenario: subject and baseline by contender name, and the target. */
export interface CompareSpec {
  readonly subject: string;
  readonly baseline: string;
  readonly target?: Target;
}

/** Builds the comparisons of a result from its measurements. */
export function compare(
  measurements: readonly Measurement[],
  specs: readonly CompareSpec[],
): Comparison[] {
  return specs.map((spec) => {
    const subject = measurements.find((m) => m.name === spec.subject);
    const baseline = measurements.find((m) => m.name === spec.baseline);
    if (subject === undefined || baseline === undefined) {
      throw new Error(`comparison ${spec.subject} vs ${spec.baseline}: no such measurement`);
    }
    const ratio = subject.value / baseline.value;
    const target = spec.target;
    const pass =
      target === undefined
        ? undefined
        : (target.max === undefined || ratio <= target.max) &&
          (target.min === undefined || ratio >= target.min);
    return { subject: spec.subject, baseline: spec.baseline, ratio, target, pass };
  });
}

/** One contender of a throughput scenario. */
export interface Contender {
  readonly name: string;
  /** Runs `ops` operations. The time of the whole call is measured. */
  run(ops: number): void | Promise<void>;
  setup?(): void | Promise<void>;
  teardown?(): void | Promise<void>;
}

export interface ThroughputOptions {
  readonly id: string;
  readonly group: string;
  readonly title: string;
  /** Operations per sample; the quick run uses a tenth, the smoke run a hundredth. */
  readonly ops: number;
  /** Rounds of samples (each contender once per round, in rotating order). Default 9. */
  readonly rounds?: number;
  readonly contenders: readonly Contender[];
  readonly compare: readonly CompareSpec[];
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Collects garbage if the process runs with `--expose-gc`. */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/**
 * A throughput scenario: each contender runs `ops` operations per sample, the contenders take
 * turns round by round (the order rotating so none always goes first), and each one's figure
 * is the median time per operation.
 */
export function throughput(options: ThroughputOptions): Scenario {
  return {
    id: options.id,
    group: options.group,
    title: options.title,
    async run(ctx) {
      const scale = ctx.smoke ? 100 : ctx.quick ? 10 : 1;
      const ops = Math.max(1, Math.round(options.ops / scale));
      const rounds = ctx.smoke ? 1 : ctx.quick ? 2 : (options.rounds ?? 9);
      const contenders = options.contenders;
      const samples = contenders.map(() => [] as number[]);
      for (const c of contenders) await c.setup?.();
      // Warm up every contender so the JIT has seen each before measuring.
      for (const c of contenders) await c.run(Math.max(1, Math.round(ops / 10)));
      for (let round = 0; round < rounds; round++) {
        for (let k = 0; k < contenders.length; k++) {
          const index = (k + round) % contenders.length;
          const contender = contenders[index]!;
          collectGarbage();
          const start = performance.now();
          await contender.run(ops);
          const elapsed = performance.now() - start;
          samples[index]!.push((elapsed * 1e6) / ops);
        }
        ctx.progress(`round ${round + 1}/${rounds}`);
      }
      for (const c of contenders) await c.teardown?.();
      const measurements: Measurement[] = contenders.map((c, i) => {
        const nsPerOp = median(samples[i]!);
        return {
          name: c.name,
          value: nsPerOp,
          unit: 'ns/op',
          detail: { opsPerSec: 1e9 / nsPerOp },
        };
      });
      return {
        id: options.id,
        group: options.group,
        title: options.title,
        lowerIsBetter: true,
        measurements,
        comparisons: compare(measurements, options.compare),
      };
    },
  };
}

/** One contender of a memory scenario: makes `count` live items and returns what holds them. */
export interface MemoryContender {
  readonly name: string;
  create(count: number): unknown | Promise<unknown>;
  /** Lets the items go (settles what is pending), after the heap was measured. */
  release?(held: unknown): void | Promise<void>;
}

export interface MemoryOptions {
  readonly id: string;
  readonly group: string;
  readonly title: string;
  readonly count: number;
  readonly contenders: readonly MemoryContender[];
  readonly compare: readonly CompareSpec[];
}

/**
 * A memory scenario: heap bytes per live item, measured after a full collection (run the
 * harness with `--expose-gc`, as `pnpm bench` does). Each contender is measured three times,
 * in turns, and the median kept.
 */
export function memory(options: MemoryOptions): Scenario {
  return {
    id: options.id,
    group: options.group,
    title: options.title,
    async run(ctx) {
      const scale = ctx.smoke ? 1000 : ctx.quick ? 100 : 1;
      const count = Math.max(1, Math.round(options.count / scale));
      const rounds = ctx.quick ? 1 : 3;
      const samples = options.contenders.map(() => [] as number[]);
      for (let round = 0; round < rounds; round++) {
        for (let i = 0; i < options.contenders.length; i++) {
          const contender = options.contenders[i]!;
          collectGarbage();
          collectGarbage();
          const before = process.memoryUsage().heapUsed;
          const held = await contender.create(count);
          collectGarbage();
          collectGarbage();
          const after = process.memoryUsage().heapUsed;
          samples[i]!.push((after - before) / count);
          await contender.release?.(held);
          ctx.progress(`${contender.name}: ${((after - before) / count).toFixed(0)} B/item`);
        }
      }
      const measurements: Measurement[] = options.contenders.map((c, i) => ({
        name: c.name,
        value: median(samples[i]!),
        unit: 'B/item',
      }));
      return {
        id: options.id,
        group: options.group,
        title: options.title,
        lowerIsBetter: true,
        measurements,
        comparisons: compare(measurements, options.compare),
      };
    },
  };
}
