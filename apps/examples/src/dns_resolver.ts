// Name resolution with dns.Resolver (libcoro's net::dns::resolver, over c-ares as libcoro's
// is). Every outcome is a status, never an exception. So that the example runs anywhere
// without a network, it starts a tiny DNS server of its own on 127.0.0.1 (made with udp.Peer):
// it knows `coro.test` and answers NXDOMAIN for every other name. Names given on the command
// line are resolved with the system's servers.
import { IoScheduler } from '@coro/io';
import { dns, udp } from '@coro/net';
import { serveZone, type Zone } from './net/dns_stub.ts';

const scheduler = new IoScheduler();
const zone: Zone = { 'coro.test': [[10, 0, 0, 1]] };

// The DNS server (net/dns_stub.ts): one question per query, A records from `zone`, NXDOMAIN
// otherwise.
await using nameServer = new udp.Peer(scheduler, { address: '127.0.0.1', port: 0 });
await nameServer.ready();
const serving = serveZone(nameServer, zone);

const local = new dns.Resolver({ servers: [String(nameServer.localAddress)], timeout: 2000 });
for (const host of ['coro.test', 'missing.test', 'localhost', '192.0.2.7', '::1']) {
  const { status, addresses } = await local.resolve(host, { family: 'ipv4' });
  console.log(`${host}: ${status}${addresses.length > 0 ? ` ${addresses.join(', ')}` : ''}`);
}

const system = new dns.Resolver({ timeout: 5000 });
for (const host of process.argv.slice(2)) {
  const { status, addresses } = await system.resolve(host);
  console.log(`${host}: ${status}${addresses.length > 0 ? ` ${addresses.join(', ')}` : ''}`);
}

nameServer.close();
await serving;
await scheduler.shutdown();
