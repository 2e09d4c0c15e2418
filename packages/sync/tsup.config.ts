import { coroBuild } from '@coro/tsup-config';
import { defineConfig } from 'tsup';

export default defineConfig(
  coroBuild({ index: 'src/index.ts', 'threads/index': 'src/threads/index.ts' }),
);
