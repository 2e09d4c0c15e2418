import { coroBuild } from '@coro/tsup-config';
import { defineConfig } from 'tsup';

// Declarations leave out what is marked `@internal`: it is not part of the published API.
const base = coroBuild();
export default defineConfig({ ...base, dts: { compilerOptions: { stripInternal: true } } });
