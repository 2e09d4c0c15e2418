import { coroProject } from '@coro/vitest-config';

// --expose-gc: the memory-bound tests collect garbage before they sample RSS.
export default coroProject('@coro/net', {
  execArgv: ['--conditions=@coro/source', '--expose-gc'],
});
