import { coroProject } from '@coro/vitest-config';

export default coroProject('@coro/examples', { testTimeout: 60_000 });
