import { defineConfig } from 'vitest/config';

// One vitest project per package and app; each has its own vitest.config.ts built from
// tooling/vitest. `pnpm vitest` here runs them all in one process; `pnpm test` runs them
// through turbo, package by package.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
  },
});
