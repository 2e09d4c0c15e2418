import { InvalidAddressError } from './errors.ts';
import { IpAddress, type IpFamily } from './ip-address.ts';
import { describeValue } from './internal/options.ts';

// util.inspect's hook, by its registered name (no import of node:util).
const inspectCustom = Symbol.for('nodejs.util.inspect.custom');

/** What calls that take an endpoint accept: a `SocketAddress` or `{ address, port }`. */
export type Endpoint =
  | SocketAddress
  | { readonly address: string | IpAddress; readonly port: number };

/** @internal Checks a port: an integer in 0–65535. */
export function checkPort(port: unknown, where = 'port'): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    const got = typeof port === 'number' ? String(port) : describeValue(port);
    throw new InvalidAddressError(`${where} must be an integer in 0–65535, got ${got}`);
  }
  return port === 0 ? 0 : port; // -0 as 0
}

/**
 * @internal Refuses options with an `ip`: shaped like a SocketAddress (another copy's, or a
 * plain object) but not one, read as `{ address, port }` they would mean every interface.
 */
export function refuseLookalike(options: object, where: string): void {
  if ('ip' in options && !(options instanceof SocketAddress)) {
    throw new InvalidAddressError(
      `${where} options name the IP address \`address\`, not \`ip\`: pass { address, port }, ` +
        'or a SocketAddress made by this copy of @coro/net',
    );
  }
}

/** @internal An `IpAddress` from an `IpAddress` or its text. */
export function toIpAddress(address: unknown): IpAddress {
  if (address instanceof IpAddress) return address;
  if (address instanceof SocketAddress) {
    throw new InvalidAddressError(
      'address must be an IP address or its text, got a SocketAddress (whose port would be ' +
        'lost): pass the SocketAddress itself in place of { address, port }, or its .ip',
    );
  }
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

  /**
   * Parses `'ip:port'` or `'[ipv6]:port'`. Bad text throws `InvalidAddressError` saying what
   * is wrong: a missing port (`'[::1]'`, `'1.2.3.4:'`), a `'['` that no `']'` closes, an IPv6
   * address without brackets, a port that is not a decimal integer in 0–65535.
   */
  static parse(text: string): SocketAddress {
    if (typeof text !== 'string') {
      throw new InvalidAddressError(`a socket address is text, got ${typeof text}`);
    }
    const quoted = JSON.stringify(text);
    if (text === '') {
      throw new InvalidAddressError('empty socket address: the form is ip:port or [ipv6]:port');
    }
    let host: string;
    let portText: string | undefined;
    if (text.startsWith('[')) {
      // The bracket ends the address: its own colons are never the port's.
      const close = text.indexOf(']');
      if (close < 0) throw new InvalidAddressError(`no ']' closes the '[' in ${quoted}`);
      host = text.slice(1, close);
      const rest = text.slice(close + 1);
      if (rest !== '' && !rest.startsWith(':')) {
        throw new InvalidAddressError(`expected ':port' after ']' in ${quoted}`);
      }
      portText = rest === '' ? undefined : rest.slice(1);
      if (!host.includes(':')) {
        throw new InvalidAddressError(`only IPv6 goes in brackets: ${quoted}`);
      }
    } else {
      const colon = text.lastIndexOf(':');
      host = colon < 0 ? text : text.slice(0, colon);
      portText = colon < 0 ? undefined : text.slice(colon + 1);
      if (host.includes(':')) {
        throw new InvalidAddressError(`an IPv6 address needs brackets, [ipv6]:port: ${quoted}`);
      }
    }
    if (portText === undefined || portText === '') {
      const form = text.startsWith('[') ? '[ipv6]:port' : 'ip:port';
      throw new InvalidAddressError(
        `missing port in socket address ${quoted}: the form is ${form}`,
      );
    }
    if (!/^(0|[1-9]\d{0,4})$/.test(portText)) {
      throw new InvalidAddressError(`invalid port in socket address ${quoted}`);
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

  /** How `console.log` and `util.inspect` show it: `SocketAddress(127.0.0.1:8080)`. */
  [inspectCustom](): string {
    return `SocketAddress(${this.toString()})`;
  }
}

// Its shared constants (and static methods) cannot be replaced at run time: code everywhere
// compares statuses and addresses against them.
Object.freeze(SocketAddress);
