// HTTP 200 OK with nothing between libuv and the handler: the floor of what a Node.js server
// costs per request, measured beside the contenders (not one of them). Each accepted handle is
// taken from its net.Socket, reads go into one shared buffer through the handle's own `onread`,
// and the response goes out with `handle.writeBuffer` — the stream binding's internals
// (`process.binding('stream_wrap')`) that @coro/net's handle path rests on too, with none of
// its checks, statuses, deadlines or task runner. What is left of a request's CPU time here is
// libuv, V8's call into JavaScript, the scan of the request and the kernel.
// Usage: node floor-http.ts PORT [LINES] [MODE] — prints "listening PORT" once ready. With LINES,
// each connection also owns LINES small objects of its own, made when it is accepted, and every
// read updates a field of each: what touching that many more cache lines of a connection's own
// per request costs (an experiment on the cost of a connection's footprint, not part of the
// floor). MODE (`generator`, `results`, `task`, `delegate`, each described where it is served)
// builds the floor up, layer by layer, towards what a coroutine server on @coro/net does: what
// each layer costs on its own (see @coro/net's PERFORMANCE.md).
import { createServer, type Socket } from 'node:net';
import { IoScheduler } from '@coro/io';
import { type Continuation, suspend, task } from '@coro/task';

const scheduler = new IoScheduler();

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
const mode = process.argv[4] ?? 'plain';
const okStatus = Object.freeze({ kind: 'ok' });
const nothing = new Uint8Array(0);

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
  if (mode === 'task' || mode === 'delegate') {
    serveTask(handle, mode === 'delegate');
    return;
  }
  if (mode !== 'plain') {
    serveGenerator(handle, mode === 'results');
    return;
  }
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

function write(handle: Handle): boolean {
  let req = spare;
  if (req === undefined) {
    req = new binding.WriteWrap();
    req.oncomplete = released;
    req.buffer = null;
  }
  if (handle.writeBuffer(req, response) !== 0) return false;
  if (state[binding.kLastWriteWasAsync] !== 0) {
    spare = undefined;
    req.buffer = response;
  } else {
    spare = req;
  }
  return true;
}

// MODE generator: each connection's loop is a generator resumed with every read's size (what
// a coroutine per connection costs at least); MODE results: the same, with each read copied
// into a connection buffer of its own and a fresh [status, view] per read and [status, rest]
// per write, the shape of readSome and writeAll.
function serveGenerator(handle: Handle, results: boolean): void {
  const own = results ? Buffer.allocUnsafe(1024) : shared;
  const loop = (function* (): Generator<undefined, void, number> {
    let matched = 0;
    for (;;) {
      let n = yield;
      let bytes: Uint8Array = shared;
      if (results) {
        shared.copy(own, 0, 0, n);
        const result = [okStatus, own.subarray(0, n)] as const;
        if (result[0] !== okStatus) return;
        bytes = result[1];
        n = bytes.length;
      }
      let count = 0;
      for (let i = 0; i < n; i++) {
        const byte = bytes[i];
        if (byte === (matched % 2 === 0 ? 13 : 10)) matched++;
        else matched = byte === 13 ? 1 : 0;
        if (matched === 4) {
          count++;
          matched = 0;
        }
      }
      for (let i = 0; i < count; i++) {
        if (!write(handle)) return;
        if (results) {
          const written = [okStatus, nothing] as const;
          if (written[0] !== okStatus) return;
        }
      }
    }
  })();
  loop.next(0);
  handle.onread = () => {
    const n = state[binding.kReadBytesOrError]!;
    if (n <= 0 || loop.next(n).done === true) handle.close();
  };
  handle.useUserBuffer(shared);
  handle.readStart();
}

// MODE task: `results` as a coroutine task of @coro/task, each read a suspendable the read
// callback resumes; MODE delegate: the same through `yield*` of a reused operation object.
class ReadOp {
  continuation: Continuation<readonly [object, Uint8Array]> | undefined = undefined;
  state = 0;
  [suspend](continuation: Continuation<readonly [object, Uint8Array]>): void {
    this.continuation = continuation;
  }
  [Symbol.iterator]() {
    return this;
  }
  next(value?: readonly [object, Uint8Array]) {
    if (this.state === 0) {
      this.state = 1;
      yieldingOp.value = this;
      return yieldingOp;
    }
    this.state = 0;
    returningOp.value = value;
    return returningOp;
  }
}
const yieldingOp: { done: boolean; value: unknown } = { done: false, value: undefined };
const returningOp: { done: boolean; value: unknown } = { done: true, value: undefined };

const taskLoop = task(function* (handle: Handle, op: ReadOp, delegate: boolean) {
  let matched = 0;
  for (;;) {
    const [status, bytes] = delegate
      ? ((yield* op as unknown as Iterable<unknown>) as unknown as readonly [object, Uint8Array])
      : ((yield op) as readonly [object, Uint8Array]);
    if (status !== okStatus) return;
    let count = 0;
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i];
      if (byte === (matched % 2 === 0 ? 13 : 10)) matched++;
      else matched = byte === 13 ? 1 : 0;
      if (matched === 4) {
        count++;
        matched = 0;
      }
    }
    for (let i = 0; i < count; i++) {
      if (!write(handle)) return;
      const written = [okStatus, nothing] as const;
      if (written[0] !== okStatus) return;
    }
  }
});

function serveTask(handle: Handle, delegate: boolean): void {
  const own = Buffer.allocUnsafe(1024);
  const op = new ReadOp();
  scheduler.spawnDetached(taskLoop(handle, op, delegate));
  handle.onread = () => {
    const n = state[binding.kReadBytesOrError]!;
    const continuation = op.continuation;
    if (n <= 0 || continuation === undefined) {
      handle.close();
      return;
    }
    op.continuation = undefined;
    shared.copy(own, 0, 0, n);
    continuation.resume([okStatus, own.subarray(0, n)]);
  };
  handle.useUserBuffer(shared);
  handle.readStart();
}

const server = createServer({ noDelay: true, pauseOnConnect: true }, serve);
server.listen({ host: '127.0.0.1', port: Number(process.argv[2] ?? 0), backlog: 4096 }, () => {
  console.log(`listening ${(server.address() as { port: number }).port}`);
});
