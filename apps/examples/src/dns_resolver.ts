// Name resolution with dns.Resolver (libcoro's net::dns::resolver, over c-ares as libcoro's
// is). Every outcome is a status, never an exception. So that the example runs anywhere
// without a network, it starts a tiny DNS server of its own on 127.0.0.1 (made with udp.Peer):
// it knows `coro.test` and answers NXDOMAIN for every other name. Names given on the command
// line are resolved with the system's servers; one the resolver refuses (not a host name: it
// throws InvalidArgumentError at the call, a mistake rather than an outcome) ends the program
// with a usage line, as an option would.
import { IoScheduler } from '@coro/io';
import { dns, udp } from '@coro/net';
import { InvalidArgumentError } from '@coro/task';
import { usageExit } from './net/args.ts';
import { serveZone, type Zone } from './net/dns_stub.ts';

const hosts = process.argv.slice(2);
const option = hosts.find((arg) => arg.startsWith('-'));
if (option !== undefined) {
  usageExit('dns_resolver', `takes host names only, got the option ${JSON.stringify(option)}`);
}

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
for (const host of hosts) {
  let result: dns.DnsResult;
  try {
    result = await system.resolve(host);
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    usageExit('dns_resolver', error.message);
  }
  const { status, addresses } = result;
  console.log(`${host}: ${status}${addresses.length > 0 ? ` ${addresses.join(', ')}` : ''}`);
}

nameServer.close();
await serving;
await scheduler.shutdown();
