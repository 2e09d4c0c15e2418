import { afterEach } from 'vitest';
import { IoScheduler } from '../../src/index.ts';

/**
 * A `make(options)` for the tests of one file: every scheduler it makes is shut down after each
 * test, so that a failing test leaves no timer or task behind for the next.
 */
export function schedulerFactory(): (
  options?: ConstructorParameters<typeof IoScheduler>[0],
) => IoScheduler {
  const made: IoScheduler[] = [];
  afterEach(async () => {
    for (const s of made.splice(0)) await s.shutdown();
  });
  return (options) => {
    const s = new IoScheduler(options);
    made.push(s);
    return s;
  };
}
