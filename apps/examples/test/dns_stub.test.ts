// The dns_resolver example's own DNS server (src/net/dns_stub.ts), fed datagrams no resolver
// would send. A server must not fall over on bad input: each malformed datagram is dropped (too
// short to carry an ID to answer) or answered FORMERR, and the next good query is answered.
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { IoScheduler } from '@coro/io';
import { udp } from '@coro/net';
import { afterEach, describe, expect, it } from 'vitest';
import { serveZone } from '../src/net/dns_stub.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A 12-byte header: `id`, recursion desired, `qdcount` questions, nothing else. */
function header(id: number, qdcount = 1): Buffer {
  const bytes = Buffer.alloc(12);
  bytes.writeUInt16BE(id, 0);
  bytes.writeUInt16BE(0x0100, 2);
  bytes.writeUInt16BE(qdcount, 4);
  return bytes;
}

/** A name in wire format: length-prefixed labels ending with the root's zero byte. */
function name(dotted: string): Buffer {
  const labels = dotted.split('.').map((label) => [label.length, ...Buffer.from(label)]);
  return Buffer.from([...labels.flat(), 0]);
}

/** Type A, class IN. */
const typeAClassIn = Buffer.from([0, 1, 0, 1]);

describe('dns_resolver example: its DNS server on 127.0.0.1', () => {
  it('drops or answers FORMERR to malformed datagrams and keeps answering queries', async () => {
    const scheduler = new IoScheduler();
    const peer = new udp.Peer(scheduler, { address: '127.0.0.1', port: 0 });
    cleanups.push(() => scheduler.shutdown());
    cleanups.push(() => peer.close());
    await peer.ready();
    // Settled here so that a server that gave up shows in the failure, not as a stray rejection.
    const serving = serveZone(peer, { 'coro.test': [[10, 0, 0, 1]] }).then(
      () => 'ended',
      (error: unknown) => `threw ${error}`,
    );

    const client: Socket = createSocket('udp4');
    cleanups.push(() => {
      client.close();
    });
    client.bind(0, '127.0.0.1');
    await once(client, 'listening');
    const replies = new Map<number, Buffer>();
    let onReply = () => {};
    client.on('message', (reply: Buffer) => {
      if (reply.length >= 2) replies.set(reply.readUInt16BE(0), reply);
      onReply();
    });
    const port = peer.localAddress!.port;
    const send = (datagram: Buffer) =>
      new Promise<void>((resolve, reject) =>
        client.send(datagram, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
      );
    /** Waits for the reply to query `id`, up to 5 s, saying how the server fared if none came. */
    const replyTo = async (id: number) => {
      const deadline = Date.now() + 5000;
      while (!replies.has(id) && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 100);
          onReply = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      const state = await Promise.race([serving, Promise.resolve('still serving')]);
      expect(replies.get(id), `no reply to query ${id}; the server: ${state}`).toBeDefined();
      return replies.get(id)!;
    };

    // Too short to hold a header: nothing to answer with, so dropped.
    const dropped = [Buffer.alloc(0), Buffer.from([0x12]), header(0x1001).subarray(0, 7)];
    // A whole header with a broken question: FORMERR, by the query's ID.
    const formErr = new Map<number, Buffer>([
      // No question at all.
      [0x2001, header(0x2001)],
      // A label running past the end of the datagram.
      [0x2002, Buffer.concat([header(0x2002), Buffer.from([9, ...Buffer.from('coro')])])],
      // A name and nothing after it.
      [0x2003, Buffer.concat([header(0x2003), name('coro.test')])],
      // A type but no class.
      [0x2004, Buffer.concat([header(0x2004), name('coro.test'), Buffer.from([0, 1])])],
      // A compression pointer where the name should be.
      [0x2005, Buffer.concat([header(0x2005), Buffer.from([0xc0, 12]), typeAClassIn])],
      // A question the header does not count, then one question counted as two.
      [0x2006, Buffer.concat([header(0x2006, 0), name('coro.test'), typeAClassIn])],
      [0x2007, Buffer.concat([header(0x2007, 2), name('coro.test'), typeAClassIn])],
    ]);
    for (const datagram of [...dropped, ...formErr.values()]) await send(datagram);

    // A good query after them all is answered as ever.
    await send(Buffer.concat([header(0x3001), name('coro.test'), typeAClassIn]));
    const good = await replyTo(0x3001);
    expect(good.readUInt16BE(2) & 0x800f).toBe(0x8000); // a response, rcode 0
    expect(good.readUInt16BE(6)).toBe(1); // one answer
    expect([...good.subarray(-4)]).toEqual([10, 0, 0, 1]);
    await send(Buffer.concat([header(0x3002), name('missing.test'), typeAClassIn]));
    expect((await replyTo(0x3002)).readUInt16BE(2) & 0x800f).toBe(0x8003); // NXDOMAIN

    // The server answers in order, so every malformed datagram's reply came before those.
    for (const [id, query] of formErr) {
      const reply = replies.get(id);
      expect(reply, `no FORMERR for query ${id}`).toBeDefined();
      expect(reply!.readUInt16BE(2) & 0x800f, `query ${id}`).toBe(0x8001); // a response, FORMERR
      expect(reply!.readUInt16BE(2) & 0x0100, `query ${id}: RD copied`).toBe(
        query.readUInt16BE(2) & 0x0100,
      );
    }
    expect(replies.size).toBe(formErr.size + 2);
    expect(replies.has(0x1001)).toBe(false);

    peer.close();
    expect(await serving).toBe('ended');
  });
});
