// Real peers for the tests: node:tls servers and clients, raw TCP listeners, and the openssl
// command-line tool, all on 127.0.0.1 with ephemeral ports; everything made is closed by
// closeAll().
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { createServer, type Server, type TlsOptions } from 'node:tls';

const open: (() => void)[] = [];

/** Closes every server, socket and process the helpers below made. */
export function closeAll(): void {
  for (const close of open.splice(0).reverse()) close();
}

/** A node:tls server on 127.0.0.1 calling `onSecure` for every handshaken socket. */
export async function nodeTlsServer(
  options: TlsOptions,
  onSecure: (socket: import('node:tls').TLSSocket) => void = (s) => s.pipe(s),
): Promise<{ server: Server; port: number; clientErrors: Error[] }> {
  const server = createServer(options, (socket) => {
    socket.on('error', () => {});
    onSecure(socket);
  });
  const clientErrors: Error[] = [];
  server.on('tlsClientError', (e) => clientErrors.push(e));
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  open.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { server, port: (server.address() as { port: number }).port, clientErrors };
}

/** A raw TCP listener on 127.0.0.1 handing each connection to `onConnection`. */
export async function tcpServer(
  onConnection: (socket: Socket) => void,
): Promise<{ server: TcpServer; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnection(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  open.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { server, port: (server.address() as { port: number }).port, sockets };
}

/** A port nobody listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const server = createTcpServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Runs `openssl args...`, collecting its output; killed by closeAll() if still running. */
export function openssl(args: string[]): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => resolve(code)),
  );
  open.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return { child, output: () => out, exited };
}

/** Waits until `output()` matches `pattern`, failing with what was seen after `ms`. */
export async function waitForOutput(
  output: () => string,
  pattern: RegExp,
  what: string,
  ms = 15_000,
): Promise<void> {
  const start = Date.now();
  while (!pattern.test(output())) {
    if (Date.now() - start > ms) {
      throw new Error(`${what}: ${pattern} did not appear within ${ms} ms; output:\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
