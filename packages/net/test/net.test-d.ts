import type { IoScheduler, PollStatus } from '@coro/io';
import type { Expected } from '@coro/task';
import { describe, expectTypeOf, it } from 'vitest';
import { type dns, type IoStatus, type SocketAddress, tcp, type udp } from '../src/index.ts';

declare const scheduler: IoScheduler;
declare const client: tcp.Client;
declare const server: tcp.Server;
declare const peer: udp.Peer;
declare const resolver: dns.Resolver;

describe('@coro/net types', () => {
  it('types the coroutine operations of client.co (yield* gives the result)', () => {
    function* body() {
      const [status, view] = yield* client.co.readSome(Buffer.alloc(1));
      expectTypeOf(status).toEqualTypeOf<IoStatus>();
      expectTypeOf(view).toEqualTypeOf<Uint8Array>();
      const written = yield* client.co.writeAll(view, { timeout: 10 });
      expectTypeOf(written).toEqualTypeOf<tcp.WriteResult>();
      const exact = yield* client.co.readExact(Buffer.alloc(1));
      expectTypeOf(exact).toEqualTypeOf<tcp.ReadResult>();
      return status;
    }
    expectTypeOf(body().next().value).toMatchTypeOf<
      tcp.SocketOp<tcp.ReadResult> | tcp.SocketOp<tcp.WriteResult> | IoStatus
    >();
    expectTypeOf(client.co.writeSome(Buffer.alloc(1))).toMatchTypeOf<
      PromiseLike<tcp.WriteResult>
    >();
    expectTypeOf(client.co.client).toEqualTypeOf<tcp.Client>();
  });

  it('types the TCP surface', () => {
    expectTypeOf(client.connect()).toEqualTypeOf<Promise<tcp.ConnectStatus>>();
    expectTypeOf(client.readSome(Buffer.alloc(1))).toEqualTypeOf<Promise<tcp.ReadResult>>();
    expectTypeOf<tcp.ReadResult>().toEqualTypeOf<[status: IoStatus, view: Uint8Array]>();
    expectTypeOf(client.writeAll(Buffer.alloc(1))).toEqualTypeOf<Promise<tcp.WriteResult>>();
    expectTypeOf(client.recv(Buffer.alloc(1))).toEqualTypeOf<tcp.ReadResult>();
    expectTypeOf(client.poll('read')).toEqualTypeOf<Promise<PollStatus>>();
    expectTypeOf(server.accept()).toEqualTypeOf<Promise<Expected<tcp.Client, IoStatus>>>();
    expectTypeOf(tcp.Client.from).parameters.toEqualTypeOf<
      [IoScheduler, import('node:net').Socket]
    >();
    expectTypeOf(new tcp.Server(scheduler)).toMatchTypeOf<AsyncIterable<tcp.Client>>();
    expectTypeOf(client.peerAddress).toEqualTypeOf<SocketAddress | undefined>();
  });

  it('types UDP and DNS', () => {
    expectTypeOf(peer.recvFrom(Buffer.alloc(1))).toEqualTypeOf<Promise<udp.RecvFromResult>>();
    expectTypeOf(peer.sendTo({ address: '127.0.0.1', port: 1 }, Buffer.alloc(1))).toEqualTypeOf<
      Promise<IoStatus>
    >();
    expectTypeOf(resolver.resolve('x')).toEqualTypeOf<Promise<dns.DnsResult>>();
    expectTypeOf<dns.DnsResult['status']>().toEqualTypeOf<dns.DnsStatus>();
  });
});
