import { Socket } from 'node:net';
import type { IoScheduler } from '@coro/io';
import { Channel } from './channel.ts';

/** How accepted connections are read: see the README ("How accepted sockets are read"). */
export type AcceptedReadMode = 'auto' | 'readable';

interface HandleLike {
  readStart?: unknown;
  reading?: boolean;
}

interface SocketInternals {
  _handle?: HandleLike | null;
}

// Set once the takeover is seen not to work on this Node.js: later accepts skip it.
let onreadBroken = false;

/**
 * @internal The channel for a socket a `net.Server` accepted (with `pauseOnConnect`).
 *
 * Node.js gives `onread` (libuv reads into one buffer of ours: no `Buffer` and no stream
 * machinery per chunk, measured about 1.5–2× the bulk throughput of `'readable'` + `read()`)
 * only to sockets it creates from options, never to accepted ones. `new net.Socket({ handle,
 * onread })` — the `handle` option Node.js itself uses to hand accepted handles between
 * processes — takes the accepted handle over with `onread` set. That rests on two internals
 * (`socket._handle`, the `handle` option), so it is feature-detected, it falls back to the
 * supported paused-mode path when anything looks different, and a test fails loudly if the
 * fast path stops being taken.
 */
export function acceptedChannel(
  scheduler: IoScheduler,
  socket: Socket,
  mode: AcceptedReadMode = 'auto',
): Channel {
  if (mode === 'readable' || onreadBroken) return new Channel(scheduler, socket);
  const internals = socket as unknown as SocketInternals;
  const handle = internals._handle;
  if (
    handle == null ||
    typeof handle !== 'object' ||
    typeof handle.readStart !== 'function' ||
    handle.reading === true ||
    socket.destroyed ||
    socket.readableLength !== 0 ||
    socket.listenerCount('data') > 0
  ) {
    return new Channel(scheduler, socket);
  }
  const onread = Channel.createOnread();
  let adopted: Socket;
  try {
    adopted = new Socket({
      handle: handle as never,
      allowHalfOpen: true,
      onread: { buffer: onread.buffer, callback: onread.callback },
    } as never);
  } catch {
    onreadBroken = true;
    return new Channel(scheduler, socket);
  }
  // Detach the handle from the accepted socket, which then closes without touching it (and
  // so leaves the server's connection count right).
  internals._handle = null;
  socket.destroy();
  const ok =
    (adopted as unknown as SocketInternals)._handle === handle &&
    Object.getOwnPropertySymbols(adopted).some(
      (symbol) =>
        symbol.description === 'kBuffer' &&
        (adopted as unknown as Record<symbol, unknown>)[symbol] === onread.buffer,
    );
  if (!ok) {
    // The socket works, only not in onread mode: read it the supported way from now on.
    onreadBroken = true;
    return new Channel(scheduler, adopted);
  }
  const channel = new Channel(scheduler, adopted, true);
  onread.attach(channel);
  channel.useHandle();
  return channel;
}
