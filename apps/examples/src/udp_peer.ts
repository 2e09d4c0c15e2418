// A UDP round trip with udp.Peer (libcoro's net::udp::peer): a bound "server" peer answers
// each datagram, a client peer sends pings and reads the pongs. Datagrams are whole: sendTo()
// never sends part of one, recvFrom() returns one per call with the sender's address.
import { IoScheduler } from '@coro/io';
import { udp } from '@coro/net';
import { syncWait, task, whenAll } from '@coro/task';
import { noArgs } from './net/args.ts';

noArgs('udp_peer');

const scheduler = new IoScheduler();
await using server = new udp.Peer(scheduler, { address: '127.0.0.1', port: 0 });
await using client = new udp.Peer(scheduler, { address: '127.0.0.1', port: 0 });
await whenAll([server.ready(), client.ready()]);

const serverTask = task(async () => {
  const buffer = Buffer.alloc(1500);
  for (let i = 0; i < 3; i++) {
    const [status, from, bytes] = await server.recvFrom(buffer, { timeout: 5000 });
    if (!status.isOk() || from === undefined) return;
    const text = Buffer.from(bytes).toString();
    console.log(`server: ${text}`);
    await server.sendTo(from, Buffer.from(text.replace('ping', 'pong')));
  }
});

const clientTask = task(async () => {
  const buffer = Buffer.alloc(1500);
  for (let i = 0; i < 3; i++) {
    await client.sendTo(server.localAddress!, Buffer.from(`ping ${i}`));
    const [status, , bytes] = await client.recvFrom(buffer, { timeout: 5000 });
    if (!status.isOk()) return;
    console.log(`client: ${Buffer.from(bytes).toString()}`);
  }
  // An unbound peer can send but not receive: libcoro's udp_not_bound.
  const unbound = new udp.Peer(scheduler);
  const [status] = await unbound.recvFrom(buffer);
  console.log(`unbound peer recvFrom: ${status.kind}`);
  unbound.close();
});

await syncWait(whenAll([serverTask(), clientTask()]));
await scheduler.shutdown();
