import type { IoStatus, tcp } from '@coro/net';
import type { Expected } from '@coro/task';
import { describe, expectTypeOf, it } from 'vitest';
import type { Connection, ConnectionStatus, TlsFailure, tls } from '../src/index.ts';

describe('@coro/tls types', () => {
  it('tcp.Client and tls.Client both serve as a Connection', () => {
    expectTypeOf<tcp.Client>().toExtend<Connection>();
    expectTypeOf<tls.Client>().toExtend<Connection>();
  });

  it('the tcp surface returns the same tuples over TLS', () => {
    expectTypeOf<ReturnType<tls.Client['readSome']>>().toEqualTypeOf<
      ReturnType<tcp.Client['readSome']>
    >();
    expectTypeOf<ReturnType<tls.Client['writeAll']>>().toEqualTypeOf<
      ReturnType<tcp.Client['writeAll']>
    >();
    expectTypeOf<ReturnType<tls.Client['recv']>>().toEqualTypeOf<[IoStatus, Uint8Array]>();
  });

  it('connect resolves with a ConnectionStatus; accept with Expected<tls.Client, IoStatus>', () => {
    expectTypeOf<ReturnType<tls.Client['connect']>>().toEqualTypeOf<Promise<ConnectionStatus>>();
    expectTypeOf<ReturnType<tls.Server['accept']>>().toEqualTypeOf<
      Promise<Expected<tls.Client, IoStatus>>
    >();
    expectTypeOf<TlsFailure['status']>().toEqualTypeOf<Exclude<ConnectionStatus, 'connected'>>();
  });
});
