import { coroBuild } from '@coro/tsup-config';
import { defineConfig } from 'tsup';

export default defineConfig(coroBuild());
