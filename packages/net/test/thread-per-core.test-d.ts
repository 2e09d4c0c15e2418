import { describe, expectTypeOf, it } from 'vitest';
import type * as lines from './fixtures/thread-per-core/lines.ts';
import {
  type CloseResult,
  type RestartEvent,
  type ServerModule,
  serve,
  type ThreadContext,
  type ThreadPerCore,
  type ThreadPerCoreMode,
  type ThreadPerCoreStats,
  type ThreadState,
  type tcp,
} from '../src/index.ts';

declare const server: ThreadPerCore;

describe('thread-per-core types', () => {
  it('types the supervisor', () => {
    expectTypeOf(serve).returns.toEqualTypeOf<ThreadPerCore>();
    expectTypeOf(server.ready).toEqualTypeOf<Promise<number>>();
    expectTypeOf(server.mode).toEqualTypeOf<ThreadPerCoreMode | undefined>();
    expectTypeOf<ThreadPerCoreMode>().toEqualTypeOf<'reusePort' | 'handoff'>();
    expectTypeOf(server.close()).toEqualTypeOf<Promise<CloseResult>>();
    expectTypeOf(server.stats()).toEqualTypeOf<ThreadPerCoreStats>();
    expectTypeOf(server.stats().threads[0]!.state).toEqualTypeOf<ThreadState>();
    expectTypeOf(server).toMatchTypeOf<AsyncDisposable>();
  });

  it('types callbacks and server modules', () => {
    serve({
      module: new URL('file:///srv/http.ts'),
      onRestart: (event) => expectTypeOf(event).toEqualTypeOf<RestartEvent>(),
    });
    // A module written against the types satisfies ServerModule.
    expectTypeOf<typeof lines>().toMatchTypeOf<ServerModule>();
    expectTypeOf<ServerModule['onConnection']>().parameters.toEqualTypeOf<
      [tcp.Client, ThreadContext]
    >();
    expectTypeOf<ThreadContext['closing']>().toEqualTypeOf<AbortSignal>();
    // @ts-expect-error: module is required
    serve({ port: 8888 });
  });
});
