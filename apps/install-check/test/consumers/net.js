// @coro/net as an installed package: a TCP echo (with the read and write paths each side took),
// a UDP round trip, DNS for 'localhost', and serve() with two threads answering a fetch.
import { IoScheduler } from '@coro/io';
import { dns, IpAddress, serve, tcp, udp } from '@coro/net';
import { syncWait, task } from '@coro/task';

const deadline = { timeout: 5000 };
const scheduler = new IoScheduler();
const result = {};

// TCP: the server echoes one message back on each connection it accepts.
const server = new tcp.Server(scheduler, { address: '127.0.0.1', port: 0 });
result.listen = (await server.ready()).kind;
const echoOnce = task(async () => {
  const accepted = await server.accept(deadline);
  if (!accepted.ok) return `accept: ${accepted.error.kind}`;
  const peer = accepted.value;
  result.serverReadMode = peer.readMode;
  result.serverWriteMode = peer.writeMode;
  const [status, bytes] = await peer.readSome(Buffer.alloc(64), deadline);
  if (status.isOk()) await peer.writeAll(bytes, deadline);
  await peer[Symbol.asyncDispose]();
  return status.kind;
});
const serverSide = echoOnce().start();

const client = new tcp.Client(scheduler, { address: '127.0.0.1', port: server.port });
result.connect = await client.connect(deadline);
result.clientReadMode = client.readMode;
result.clientWriteMode = client.writeMode;
const [sent] = await client.writeAll(Buffer.from('ping over tcp'), deadline);
result.tcpWrite = sent.kind;
const [read, reply] = await client.readExact(Buffer.alloc('ping over tcp'.length), deadline);
result.tcpRead = read.kind;
result.tcpEcho = Buffer.from(reply).toString();
result.serverRead = await serverSide;
await client[Symbol.asyncDispose]();
await server.shutdown();

// UDP: one datagram each way between two bound peers.
const a = new udp.Peer(scheduler, { address: '127.0.0.1', port: 0 });
const b = new udp.Peer(scheduler, { address: '127.0.0.1', port: 0 });
result.udpBound = [(await a.ready()).kind, (await b.ready()).kind];
const bAddress = b.localAddress;
const sentUdp = await a.sendTo(
  { address: '127.0.0.1', port: bAddress.port },
  Buffer.from('ping'),
  deadline,
);
const [received, from, datagram] = await b.recvFrom(Buffer.alloc(1500), deadline);
await b.sendTo(from, Buffer.from(`pong:${Buffer.from(datagram)}`), deadline);
const [answered, , answer] = await a.recvFrom(Buffer.alloc(1500), deadline);
result.udp = [sentUdp.kind, received.kind, answered.kind, Buffer.from(answer).toString()];
result.udpFromIsA = from.port === a.localAddress.port;
await a[Symbol.asyncDispose]();
await b[Symbol.asyncDispose]();

// DNS: 'localhost' resolves without a server, to loopback addresses.
const resolver = new dns.Resolver({ timeout: 2000 });
const resolved = await resolver.resolve('localhost', { family: 'ipv4' });
result.dns = {
  status: resolved.status,
  loopback: resolved.addresses.length > 0 && resolved.addresses.every((ip) => ip.isLoopback),
};
result.ipParse = IpAddress.parse('2001:DB8:0:0:0:0:0:1').toString();

// Thread per core: two worker threads run net-server.js from this project; fetch is answered
// by one of them, then the server closes and its threads end.
const threads = serve({
  module: new URL('./net-server.js', import.meta.url),
  threads: 2,
  address: '127.0.0.1',
  port: 0,
  timeout: 10_000,
  gracePeriod: 2000,
});
const port = await threads.ready;
const response = await fetch(`http://127.0.0.1:${port}/hello`, {
  signal: AbortSignal.timeout(5000),
});
result.serve = {
  mode: threads.mode,
  status: response.status,
  body: await response.text(),
  threads: threads.stats().threads.length,
};
const closed = await syncWait(threads.close(), { timeout: 10_000 });
result.serve.forced = closed.forced;

await syncWait(scheduler.shutdown(), deadline);
console.log(JSON.stringify(result));
