import { coroBuild } from '@coro/tsup-config';
import { defineConfig } from 'tsup';

// Declarations leave out what is marked `@internal`: it is not part of the published API.
const base = coroBuild({ index: 'src/index.ts', 'threads/index': 'src/threads/index.ts' });
export default defineConfig({ ...base, dts: { compilerOptions: { stripInternal: true } } });
