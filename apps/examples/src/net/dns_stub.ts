// The tiny DNS server dns_resolver.ts starts on 127.0.0.1 so that it runs without a network.
// It lives here, apart from the example, so that a test can reach it directly.
//
// Whatever reaches its port is read with bounds checks: a datagram that is not a well-formed
// query must cost one dropped datagram or one FORMERR reply, never the server (before, a short
// datagram made a Buffer read throw, which ended the serving loop and, unhandled, the process).
import type { udp } from '@coro/net';

/** Names the server knows, each with its IPv4 addresses (four bytes each). */
export type Zone = Readonly<Record<string, readonly (readonly number[])[]>>;

/** Answers each query that reaches `peer` from `zone`, until the peer is closed. */
export async function serveZone(peer: udp.Peer, zone: Zone): Promise<void> {
  for await (const { from, data } of peer) {
    const reply = answer(data, zone);
    if (reply !== undefined) await peer.sendTo(from, reply);
  }
}

/**
 * The reply to one datagram: A records from `zone` for its one question, NXDOMAIN for a name
 * not there, FORMERR for a query whose question cannot be read. Nothing for a datagram shorter
 * than a header (it has no ID to answer to) or for one that is itself a response (answering
 * those could set two servers replying to each other forever).
 */
export function answer(query: Buffer, zone: Zone): Buffer | undefined {
  if (query.length < 12 || (query[2]! & 0x80) !== 0) return undefined;
  const header = Buffer.from(query.subarray(0, 12));
  header.fill(0, 4); // no counts until we know what goes in the reply
  // A response with recursion available, the query's opcode and recursion-desired bit kept.
  const flags = 0x8080 | (query.readUInt16BE(2) & 0x7900);
  const question = readQuestion(query);
  if (question === undefined) {
    header.writeUInt16BE(flags | 1, 2); // rcode 1 = FORMERR, with no question echoed
    return header;
  }
  const records = zone[question.name];
  const answers = question.type === 1 ? (records ?? []) : [];
  header.writeUInt16BE(records === undefined ? flags | 3 : flags, 2); // rcode 3 = NXDOMAIN
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  const rrs = answers.map((ip) => Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, ...ip]));
  return Buffer.concat([header, query.subarray(12, question.end), ...rrs]);
}

/**
 * The query's only question: its name (lower case, for the zone), its type, and where it
 * ends. `undefined` unless the header counts exactly one question and the question is all
 * there: each label within the datagram, a name of plain labels (a compression pointer has no
 * earlier name to point to in a question) no longer than 255 bytes, then type and class.
 * Records after the question (a resolver's EDNS option) are allowed and left unread.
 */
function readQuestion(query: Buffer): { name: string; type: number; end: number } | undefined {
  if (query.readUInt16BE(4) !== 1) return undefined;
  const labels: string[] = [];
  let at = 12;
  for (;;) {
    const length = query[at++];
    if (length === undefined || length > 63) return undefined; // past the end, or a pointer
    if (length === 0) break;
    if (at + length > query.length) return undefined;
    labels.push(query.toString('latin1', at, at + length));
    at += length;
  }
  if (at - 12 > 255 || at + 4 > query.length) return undefined;
  return { name: labels.join('.').toLowerCase(), type: query.readUInt16BE(at), end: at + 4 };
}
