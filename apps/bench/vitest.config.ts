import { coroProject } from '@coro/vitest-config';

export default coroProject('@coro/bench', { testTimeout: 120_000 });
