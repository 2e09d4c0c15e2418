import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The examples in libcoro's README order; any other program in src/ follows, by name. */
const libcoroOrder = [
  'sync_wait',
  'when_all',
  'when_any',
  'task',
  'generator',
  'event',
  'latch',
  'mutex',
  'shared_mutex',
  'semaphore',
  'ring_buffer',
  'queue',
  'condition_variable',
  'thread_pool',
  'io_scheduler',
  'task_group',
  'tcp_echo_server',
  'http_200_ok_server',
  'tls_echo_server',
];

export const srcDir = fileURLToPath(new URL('.', import.meta.url));
export const expectedDir = fileURLToPath(new URL('../expected/', import.meta.url));

/** Every example program: each `src/<name>.ts` except this catalog and the tour. */
export function examples(): string[] {
  const names = readdirSync(srcDir)
    .filter((f) => f.endsWith('.ts') && !['catalog.ts', 'tour.ts'].includes(f))
    .map((f) => f.slice(0, -3));
  const rank = (n: string) => {
    const i = libcoroOrder.indexOf(n);
    return i === -1 ? libcoroOrder.length : i;
  };
  return names.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}
