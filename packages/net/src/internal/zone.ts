import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { IoStatus } from '../io-status.ts';
import type { IpAddress } from '../ip-address.ts';

/**
 * @internal The host text Node.js needs to connect (TCP) or send (UDP) to `ip`, or `undefined`
 * when its zone names no interface of this host. libuv resolves a zone with `if_nametoindex`
 * alone and silently drops one it cannot resolve (a numeric zone on Linux too), then reaches a
 * link-local address through whichever interface it picks: a zone is therefore checked here,
 * and an index is turned into its interface's name.
 */
export function connectHost(ip: IpAddress): string | undefined {
  const text = ip.toString();
  const zone = ip.zone;
  if (zone === '') return text;
  const interfaces = networkInterfaces();
  let name: string | undefined;
  if (/^[0-9]+$/.test(zone)) {
    const index = Number(zone);
    for (const [candidate, entries] of Object.entries(interfaces)) {
      if (
        interfaceIndex(candidate) === index ||
        entries?.some((e) => e.family === 'IPv6' && e.scopeid === index)
      ) {
        name = candidate;
        break;
      }
    }
  } else if (interfaces[zone] !== undefined) {
    name = zone;
  }
  return name === undefined ? undefined : `${text.slice(0, text.lastIndexOf('%'))}%${name}`;
}

/** @internal The error of a call whose address has a zone `connectHost` found no interface for. */
export function unknownZoneError(syscall?: string): Error {
  const error = new Error('the zone names no interface of this host');
  return Object.assign(error, { code: 'EINVAL' }, syscall === undefined ? {} : { syscall });
}

/** @internal `unknownZoneError()` as a status: `native(EINVAL)`. */
export function unknownZoneStatus(): IoStatus {
  return IoStatus.fromError(unknownZoneError());
}

// Linux publishes every interface's index; elsewhere the IPv6 entries' scope ids are used.
function interfaceIndex(name: string): number | undefined {
  try {
    return Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** @internal Whether no TCP connection can go to `ip`: a multicast or the broadcast address. */
export function isGroupAddress(ip: IpAddress): boolean {
  const b = ip.unmap().toBytes();
  if (b.length === 16) return b[0] === 0xff;
  return (b[0]! >= 224 && b[0]! <= 239) || b.every((byte) => byte === 255);
}
