import { coroBuild } from '@coro/tsup-config';
import { defineConfig } from 'tsup';

// The thread-per-core worker is started by ThreadPerCore as a thread, never imported.
export default defineConfig(
  coroBuild({
    index: 'src/index.ts',
    'thread-per-core-worker': 'src/internal/thread-per-core-worker.ts',
  }),
);
