import type { Options } from 'tsup';

/** Shared tsup options: ESM only, Node.js 22+, declarations and source maps. */
export function coroBuild(entry: Record<string, string> | string[] = ['src/index.ts']): Options {
  return {
    entry,
    format: ['esm'],
    target: 'node22',
    platform: 'node',
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: true,
    treeshake: true,
  };
}
