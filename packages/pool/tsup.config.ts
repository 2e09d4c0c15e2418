import { coroBuild } from '@coro/tsup-config';
import { defineConfig } from 'tsup';

// The worker entry is started by ThreadPool as a thread (dist/worker.js), never imported.
export default defineConfig(coroBuild({ index: 'src/index.ts', worker: 'src/worker.ts' }));
