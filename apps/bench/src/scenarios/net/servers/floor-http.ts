// HTTP 200 OK with nothing between libuv and the handler: the floor of what a Node.js server
// costs per request, measured beside the contenders (not one of them). Each accepted handle is
// taken from its net.Socket, reads go into one shared buffer through the handle's own `onread`,
// and the response goes out with `handle.writeBuffer` — the stream binding's internals
// (`process.binding('stream_wrap')`) that @coro/net's handle path rests on too, with none of
// its checks, statuses, deadlines or task runner. What is left of a request's CPU time here is
// libuv, V8's call into JavaScript, the scan of the request and the kernel.
// Usage: node floor-http.ts PORT [LINES] — prints "listening PORT" once ready. With LINES, each
// connection also owns LINES small objects of its own, made when it is accepted, and every read
// updates a field of each: what touching that many more cache lines of a connection's own per
// request costs (an experiment on the cost of a connection's footprint, not part of the floor).
import { createServer, type Socket } from 'node:net';

interface WriteRequest {
  oncomplete: (this: WriteRequest, status: number) => void;
  buffer: Uint8Array | null;
}

interface Handle {
  onread: (this: Handle) => void;
  useUserBuffer(buffer: Uint8Array): void;
  readStart(): number;
  writeBuffer(req: WriteRequest, bytes: Uint8Array): number;
  close(): void;
}

interface StreamBinding {
  streamBaseState: Int32Array;
  kReadBytesOrError: number;
  kLastWriteWasAsync: number;
  WriteWrap: new () => WriteRequest;
}

const binding = (process as unknown as { binding(name: string): StreamBinding }).binding(
  'stream_wrap',
);
const state = binding.streamBaseState;
const response = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n',
);
const shared = Buffer.allocUnsafe(64 * 1024);
// A write the kernel takes whole leaves its request free for the next one.
let spare: WriteRequest | undefined;

function released(this: WriteRequest): void {
  this.buffer = null;
}

const lines = Number(process.argv[3] ?? 0);

function serve(socket: Socket): void {
  const internals = socket as unknown as { _handle: Handle | null };
  const handle = internals._handle;
  if (handle === null) return;
  internals._handle = null;
  socket.destroy();
  // 88 bytes each (eight fields): each `n` on a cache line of its own.
  let own: Record<'n' | 'a' | 'b' | 'c' | 'd' | 'e' | 'f' | 'g', number>[] | undefined;
  if (lines > 0) {
    own = [];
    for (let i = 0; i < lines; i++) own.push({ n: i, a: 0, b: 0, c: 0, d: 0, e: 0, f: 0, g: 0 });
  }
  let matched = 0;
  handle.onread = () => {
    const n = state[binding.kReadBytesOrError]!;
    if (n <= 0) {
      handle.close();
      return;
    }
    if (own !== undefined) for (let i = 0; i < own.length; i++) own[i]!.n++;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const byte = shared[i];
      if (byte === (matched % 2 === 0 ? 13 : 10)) matched++;
      else matched = byte === 13 ? 1 : 0;
      if (matched === 4) {
        count++;
        matched = 0;
      }
    }
    for (let i = 0; i < count; i++) {
      let req = spare;
      if (req === undefined) {
        req = new binding.WriteWrap();
        req.oncomplete = released;
        req.buffer = null;
      }
      if (handle.writeBuffer(req, response) !== 0) {
        handle.close();
        return;
      }
      if (state[binding.kLastWriteWasAsync] !== 0) {
        spare = undefined;
        req.buffer = response;
      } else {
        spare = req;
      }
    }
  };
  handle.useUserBuffer(shared);
  handle.readStart();
}

const server = createServer({ noDelay: true, pauseOnConnect: true }, serve);
server.listen({ host: '127.0.0.1', port: Number(process.argv[2] ?? 0), backlog: 4096 }, () => {
  console.log(`listening ${(server.address() as { port: number }).port}`);
});
