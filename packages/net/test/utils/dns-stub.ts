import { createSocket, type Socket } from 'node:dgram';

/** What the stub answers for a name: addresses, an rcode, or nothing at all. */
export type StubAnswer =
  | { a?: string[]; aaaa?: string[]; unanswered?: 'a' | 'aaaa' }
  | { rcode: 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED' }
  | { never: true };

const rcodes = { NXDOMAIN: 3, SERVFAIL: 2, REFUSED: 5 } as const;

function readName(message: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  while (message[offset]! !== 0) {
    const length = message[offset]!;
    labels.push(message.toString('latin1', offset + 1, offset + 1 + length));
    offset += length + 1;
  }
  return { name: labels.join('.').toLowerCase(), end: offset + 1 };
}

function ipv6Bytes(text: string): Buffer {
  const [head = '', tail = ''] = text.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === '' ? [] : tail.split(':');
  const groups = text.includes('::')
    ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t]
    : h;
  const out = Buffer.alloc(16);
  for (let i = 0; i < 8; i++) out.writeUInt16BE(Number.parseInt(groups[i]!, 16), i * 2);
  return out;
}

/**
 * A tiny DNS server on 127.0.0.1 for tests: answers A / AAAA from `zone`, NXDOMAIN for names it
 * does not know, the given rcode, or never (for one type only with `unanswered`). Counts the queries it saw per name.
 */
export class DnsStub {
  readonly queries = new Map<string, number>();
  readonly #socket: Socket;
  readonly #zone: Record<string, StubAnswer>;

  private constructor(socket: Socket, zone: Record<string, StubAnswer>) {
    this.#socket = socket;
    this.#zone = zone;
    socket.on('message', (message, from) => this.#answer(message, from.port, from.address));
  }

  static async start(zone: Record<string, StubAnswer>): Promise<DnsStub> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new DnsStub(socket, zone);
  }

  /** `'127.0.0.1:port'`, for `servers`. */
  get server(): string {
    const { address, port } = this.#socket.address();
    return `${address}:${port}`;
  }

  close(): void {
    this.#socket.close();
  }

  #answer(query: Buffer, port: number, address: string): void {
    if (query.length < 17) return;
    const { name, end } = readName(query, 12);
    const type = query.readUInt16BE(end);
    this.queries.set(name, (this.queries.get(name) ?? 0) + 1);
    const entry = this.#zone[name] ?? { rcode: 'NXDOMAIN' };
    if ('never' in entry) return;
    if ('unanswered' in entry && entry.unanswered === (type === 1 ? 'a' : 'aaaa')) return;
    const question = query.subarray(12, end + 4);
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2);
    let answers: Buffer[] = [];
    let rcode = 0;
    if ('rcode' in entry) rcode = rcodes[entry.rcode];
    else {
      const records = type === 1 ? (entry.a ?? []) : type === 28 ? (entry.aaaa ?? []) : [];
      answers = records.map((ip) => {
        const data = type === 1 ? Buffer.from(ip.split('.').map(Number)) : ipv6Bytes(ip);
        const rr = Buffer.alloc(12);
        rr.writeUInt16BE(0xc00c, 0);
        rr.writeUInt16BE(type, 2);
        rr.writeUInt16BE(1, 4);
        rr.writeUInt32BE(60, 6);
        rr.writeUInt16BE(data.length, 10);
        return Buffer.concat([rr, data]);
      });
    }
    header.writeUInt16BE(0x8180 | rcode, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    this.#socket.send(Buffer.concat([header, question, ...answers]), port, address);
  }
}
