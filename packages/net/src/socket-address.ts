import { InvalidAddressError } from './errors.ts';
import { IpAddress, type IpFamily } from './ip-address.ts';

/** What calls that take an endpoint accept: a `SocketAddress` or `{ address, port }`. */
export type Endpoint =
  | SocketAddress
  | { readonly address: string | IpAddress; readonly port: number };

/** @internal Checks a port: an integer in 0–65535. */
export function checkPort(port: unknown, where = 'port'): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidAddressError(`${where} must be an integer in 0–65535, got ${String(port)}`);
  }
  return port === 0 ? 0 : port; // -0 as 0
}

/** @internal An `IpAddress` from an `IpAddress` or its text. */
export function toIpAddress(address: unknown): IpAddress {
  if (address instanceof IpAddress) return address;
  if (typeof address !== 'string') {
    throw new InvalidAddressError(
      `address must be an IP address or its text, got ${typeof address}`,
    );
  }
  return IpAddress.parse(address);
}

/**
 * An IP address and a port (libcoro's `net::socket_address`), immutable. Text forms are
 * `'ip:port'` for IPv4 and `'[ip]:port'` for IPv6 (`'[fe80::1%eth0]:80'` with a zone).
 * Bad text or a port outside 0–65535 throws `InvalidAddressError`.
 *
 * @example
 * const a = SocketAddress.parse('[::1]:8080');
 * a.ip.family; // 'ipv6'
 * a.port;      // 8080
 * String(new SocketAddress('127.0.0.1', 80)); // '127.0.0.1:80'
 */
export class SocketAddress {
  /** The IP address. */
  readonly ip: IpAddress;
  /** The port, 0–65535. */
  readonly port: number;

  constructor(ip: IpAddress | string, port: number) {
    this.ip = toIpAddress(ip);
    this.port = checkPort(port);
  }

  /** Parses `'ip:port'` or `'[ipv6]:port'`. */
  static parse(text: string): SocketAddress {
    if (typeof text !== 'string') {
      throw new InvalidAddressError(`a socket address is text, got ${typeof text}`);
    }
    const colon = text.lastIndexOf(':');
    if (colon < 0)
      throw new InvalidAddressError(`no port in socket address ${JSON.stringify(text)}`);
    let host = text.slice(0, colon);
    const portText = text.slice(colon + 1);
    if (host.startsWith('[')) {
      if (!host.endsWith(']')) {
        throw new InvalidAddressError(`unbalanced brackets in ${JSON.stringify(text)}`);
      }
      host = host.slice(1, -1);
      if (!host.includes(':')) {
        throw new InvalidAddressError(`only IPv6 goes in brackets: ${JSON.stringify(text)}`);
      }
    } else if (host.includes(':')) {
      throw new InvalidAddressError(`an IPv6 address needs brackets: ${JSON.stringify(text)}`);
    }
    if (!/^(0|[1-9]\d{0,4})$/.test(portText)) {
      throw new InvalidAddressError(`invalid port in socket address ${JSON.stringify(text)}`);
    }
    return new SocketAddress(IpAddress.parse(host), checkPort(Number(portText)));
  }

  /** Like `parse`, returning `undefined` instead of throwing. */
  static tryParse(text: string): SocketAddress | undefined {
    try {
      return SocketAddress.parse(text);
    } catch {
      return undefined;
    }
  }

  /** A `SocketAddress` from a `SocketAddress` or `{ address, port }`. */
  static from(endpoint: Endpoint): SocketAddress {
    if (endpoint instanceof SocketAddress) return endpoint;
    if (endpoint === null || typeof endpoint !== 'object') {
      throw new InvalidAddressError(
        `expected a SocketAddress or { address, port }, got ${String(endpoint)}`,
      );
    }
    return new SocketAddress(toIpAddress(endpoint.address), endpoint.port);
  }

  /** The family of `ip`. */
  get family(): IpFamily {
    return this.ip.family;
  }

  /** Same address and port. */
  equals(other: SocketAddress): boolean {
    return other instanceof SocketAddress && other.port === this.port && other.ip.equals(this.ip);
  }

  /** `'ip:port'` or `'[ipv6]:port'`. */
  toString(): string {
    return this.ip.family === 'ipv4' ? `${this.ip}:${this.port}` : `[${this.ip}]:${this.port}`;
  }

  /** The text form, so that `JSON.stringify` writes it. */
  toJSON(): string {
    return this.toString();
  }
}
