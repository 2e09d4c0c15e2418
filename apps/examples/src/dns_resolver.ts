// Name resolution with dns.Resolver (libcoro's net::dns::resolver, over c-ares as libcoro's
// is). Every outcome is a status, never an exception. So that the example runs anywhere
// without a network, it starts a tiny DNS server of its own on 127.0.0.1 (made with udp.Peer):
// it knows `coro.test` and answers NXDOMAIN for every other name. Names given on the command
// line are resolved with the system's servers.
import { IoScheduler } from '@coro/io';
import { dns, udp } from '@coro/net';

const scheduler = new IoScheduler();
const zone: Record<string, number[][]> = { 'coro.test': [[10, 0, 0, 1]] };

// The DNS server: one question per query, A records from `zone`, NXDOMAIN otherwise.
await using nameServer = new udp.Peer(scheduler, { address: '127.0.0.1', port: 0 });
await nameServer.ready();
const serving = (async () => {
  for await (const { from, data: query } of nameServer) {
    const labels: string[] = [];
    let at = 12;
    while (query[at]! > 0) {
      labels.push(query.toString('latin1', at + 1, at + 1 + query[at]!));
      at += query[at]! + 1;
    }
    const question = query.subarray(12, at + 5);
    const type = query.readUInt16BE(at + 1);
    const records = zone[labels.join('.').toLowerCase()];
    const answers = type === 1 ? (records ?? []) : [];
    const header = Buffer.from(query.subarray(0, 12));
    header.writeUInt16BE(records === undefined ? 0x8183 : 0x8180, 2); // a response; rcode 3 = NXDOMAIN
    header.writeUInt16BE(answers.length, 6);
    header.writeUInt32BE(0, 8);
    const rrs = answers.map((ip) => Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...ip]));
    await nameServer.sendTo(from, Buffer.concat([header, question, ...rrs]));
  }
})();

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
