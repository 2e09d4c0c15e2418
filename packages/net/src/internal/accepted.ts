import type { Socket } from 'node:net';
import type { IoScheduler } from '@coro/io';
import { Channel } from './channel.ts';

/** @internal The channel for a socket a `net.Server` accepted. */
export function acceptedChannel(scheduler: IoScheduler, socket: Socket): Channel {
  return new Channel(scheduler, socket);
}
