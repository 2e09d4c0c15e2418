import { coroProject } from '@coro/vitest-config';

// beforeAll packs six packages and installs them with npm: seconds alone, more on a loaded
// machine. Each consumer script sets its own (shorter) deadline in test/packed.test.ts.
export default coroProject('@coro/install-check', { hookTimeout: 120_000 });
