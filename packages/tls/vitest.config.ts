import { coroProject } from '@coro/vitest-config';

export default coroProject('@coro/tls');
