import { fileURLToPath } from 'node:url';
import { defineProject, type ViteUserConfig } from 'vitest/config';

// Node.js's compile cache (code cache plus, on Node.js 24, the stripped TypeScript) for every
// process and worker thread the tests start: without it each worker re-strips and recompiles
// the workspace's TypeScript sources it imports (about 0.6 s per worker on a loaded 2-core
// machine, 0.17 s with the cache), which made the worker-heavy test files take three times as
// long. The cache is keyed by file contents and Node.js version, so a stale entry is never used;
// it lives under node_modules/.cache, outside the repository's tracked files. A cache the user
// chose (NODE_COMPILE_CACHE already set) is kept.
process.env.NODE_COMPILE_CACHE ??= fileURLToPath(
  new URL('../../node_modules/.cache/coro-compile', import.meta.url),
);

/**
 * Shared vitest options for every package: resolve workspace packages to their TypeScript
 * source through the `@coro/source` export condition (no build needed before testing), and
 * fail on any unhandled rejection.
 */
export function coroProject(name: string, overrides: ViteUserConfig['test'] = {}) {
  return defineProject({
    resolve: { conditions: ['@coro/source'] },
    ssr: { resolve: { conditions: ['@coro/source'] } },
    test: {
      name,
      include: ['test/**/*.test.ts'],
      // The type tests (test/**/*.test-d.ts) are compiled by each package's `typecheck` task
      // (its tsconfig includes test/), where a failed `expectTypeOf` is a type error; running
      // them through vitest as well would type-check every package a second time.
      typecheck: { enabled: false },
      environment: 'node',
      // The wasm flags work around a V8 crash (SIGSEGV in NativeModule::FreeCode, reached from
      // Runtime_TierUpWasmToJSWrapper → WasmCodeRefScope → FreeDeadCode) that took down a test
      // process about once in eight loaded @coro/sync runs: every worker thread the tests start
      // strips TypeScript with Node's WebAssembly-based stripper, and terminating workers while
      // others tier wasm code up races in V8's process-wide wasm engine. Without tier-up (wasm
      // wrappers and functions stay on their first tier) that path is never taken.
      execArgv: [
        '--conditions=@coro/source',
        '--wasm-wrapper-tiering-budget=2147483647',
        '--no-wasm-tier-up',
      ],
      // The JSON report feeds the one-line summary `pnpm test` ends with (tooling/test-summary.mjs).
      reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
      // Only a hang should reach these: a test takes milliseconds to a few seconds alone, and a
      // loaded 2-core machine can stretch that several times over. A test that does real work
      // for longer sets its own deadline from that work, with a message saying what hung.
      testTimeout: 60_000,
      hookTimeout: 60_000,
      ...overrides,
    },
  });
}
