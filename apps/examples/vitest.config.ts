import { coroProject } from '@coro/vitest-config';

// Each test runs one example in a child process, given 60 s before it counts as hung (test/run.ts).
export default coroProject('@coro/examples', { testTimeout: 90_000 });
