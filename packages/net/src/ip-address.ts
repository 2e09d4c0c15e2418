import { InvalidAddressError } from './errors.ts';

// util.inspect's hook, by its registered name (no import of node:util).
const inspectCustom = Symbol.for('nodejs.util.inspect.custom');

/** The address family of an `IpAddress` (libcoro's `domain_t`). */
export type IpFamily = 'ipv4' | 'ipv6';

const ipv4Pattern = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;
const hexGroupPattern = /^[0-9a-fA-F]{1,4}$/;
// Zone ids name an interface (`eth0`, `enp0s3`) or give its index (`2`). One length limit
// for parse and fromBytes, so that every address's text parses back.
const zonePattern = /^[0-9A-Za-z._~-]{1,64}$/;
// The longest IPv6 text ('ffff:...:255.255.255.255', 45), '%' and the longest zone.
const maxTextLength = 45 + 1 + 64;

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function parseIpv4Into(text: string, out: Uint8Array, offset: number): boolean {
  const match = ipv4Pattern.exec(text);
  if (match === null) return false;
  for (let i = 0; i < 4; i++) {
    const octet = Number(match[i + 1]);
    if (octet > 255) return false;
    out[offset + i] = octet;
  }
  return true;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const bytes = new Uint8Array(16);
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : halves[1]!.split(':')) : [];
  const groups = halves.length === 2 ? tail : head;
  // An embedded IPv4 address may only stand last and counts as two groups.
  let embedded: string | undefined;
  const last = groups.at(-1);
  if (last?.includes('.')) {
    embedded = last;
    groups.pop();
  }
  const lead = halves.length === 2 ? head : [];
  const trail = groups;
  const total = lead.length + trail.length + (embedded === undefined ? 0 : 2);
  if (halves.length === 2 ? total > 7 : total !== 8) return undefined;
  const write = (list: string[], start: number): boolean => {
    for (let i = 0; i < list.length; i++) {
      const group = list[i]!;
      if (!hexGroupPattern.test(group)) return false;
      const value = Number.parseInt(group, 16);
      bytes[start + i * 2] = value >> 8;
      bytes[start + i * 2 + 1] = value & 0xff;
    }
    return true;
  };
  if (!write(lead, 0)) return undefined;
  const trailBytes = trail.length * 2 + (embedded === undefined ? 0 : 4);
  const trailStart = 16 - trailBytes;
  if (!write(trail, trailStart)) return undefined;
  if (embedded !== undefined && !parseIpv4Into(embedded, bytes, 12)) return undefined;
  return bytes;
}

function formatIpv4(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

function isMapped(bytes: Uint8Array): boolean {
  if (bytes.length !== 16) return false;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

// RFC 5952: lower-case hex without leading zeros; the longest run of two or more zero groups
// (the first of equal runs) becomes `::`; IPv4-mapped addresses end in dotted decimal.
function formatIpv6(bytes: Uint8Array): string {
  if (isMapped(bytes)) return `::ffff:${formatIpv4(bytes, 12)}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (list: number[]) => list.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/**
 * An IPv4 or IPv6 address (libcoro's `net::ip_address`), immutable.
 *
 * - `parse` accepts dotted decimal IPv4 (no leading zeros, so no octal ambiguity) and every
 *   RFC 4291 IPv6 text form, including `::` compression, an embedded IPv4 tail
 *   (`::ffff:10.0.0.1`) and a zone id after `%` (`fe80::1%eth0`, IPv6 only).
 * - `toString` is canonical (RFC 5952): lower case, the longest zero run compressed, mapped
 *   IPv4 in dotted form, the zone kept.
 * - An IPv4-mapped IPv6 address stays IPv6 (`family === 'ipv6'`, `isIpv4Mapped`); `unmap()`
 *   gives the IPv4 address.
 *
 * Bad text or bytes throw `InvalidAddressError`.
 *
 * @example
 * IpAddress.parse('2001:DB8:0:0:0:0:0:1').toString(); // '2001:db8::1'
 * IpAddress.parse('127.0.0.1').family;                // 'ipv4'
 */
export class IpAddress {
  readonly #bytes: Uint8Array;
  readonly #zone: string;
  #text: string | undefined;

  private constructor(bytes: Uint8Array, zone: string) {
    this.#bytes = bytes;
    this.#zone = zone;
  }

  /** `127.0.0.1`. */
  static readonly ipv4Loopback: IpAddress = new IpAddress(Uint8Array.of(127, 0, 0, 1), '');
  /** `0.0.0.0`, every IPv4 interface. */
  static readonly ipv4Any: IpAddress = new IpAddress(new Uint8Array(4), '');
  /** `::1`. */
  static readonly ipv6Loopback: IpAddress = new IpAddress(
    Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
    '',
  );
  /** `::`, every IPv6 interface. */
  static readonly ipv6Any: IpAddress = new IpAddress(new Uint8Array(16), '');

  /**
   * Parses an IPv4 or IPv6 address. Throws `InvalidAddressError` for anything else (a host
   * name, surrounding spaces or brackets, a zone on IPv4, an empty zone).
   */
  static parse(text: string): IpAddress {
    const parsed = IpAddress.tryParse(text);
    if (parsed === undefined) {
      throw new InvalidAddressError(`not an IPv4 or IPv6 address: ${describe(text)}`);
    }
    return parsed;
  }

  /** Like `parse`, returning `undefined` instead of throwing. */
  static tryParse(text: string): IpAddress | undefined {
    if (typeof text !== 'string' || text.length > maxTextLength) return undefined;
    if (!text.includes(':')) {
      const bytes = new Uint8Array(4);
      return parseIpv4Into(text, bytes, 0) ? new IpAddress(bytes, '') : undefined;
    }
    let zone = '';
    const percent = text.indexOf('%');
    let body = text;
    if (percent >= 0) {
      zone = text.slice(percent + 1);
      if (!zonePattern.test(zone)) return undefined;
      body = text.slice(0, percent);
    }
    const bytes = parseIpv6(body);
    return bytes === undefined ? undefined : new IpAddress(bytes, zone);
  }

  /** Whether `text` parses as an IP address. */
  static isValid(text: string): boolean {
    return IpAddress.tryParse(text) !== undefined;
  }

  /**
   * The address with these network-order bytes: 4 for IPv4, 16 for IPv6 (which may carry a
   * `zone`). The bytes are copied. Any other length throws `InvalidAddressError`.
   */
  static fromBytes(bytes: Uint8Array | readonly number[], zone = ''): IpAddress {
    const length = (bytes as { length?: unknown } | null)?.length;
    if (length !== 4 && length !== 16) {
      throw new InvalidAddressError(`an IP address has 4 or 16 bytes, got ${String(length)}`);
    }
    const copy = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      const byte = (bytes as ArrayLike<unknown>)[i];
      if (typeof byte !== 'number' || !Number.isInteger(byte) || byte < 0 || byte > 255) {
        throw new InvalidAddressError(`byte ${i} is not an integer in 0–255: ${String(byte)}`);
      }
      copy[i] = byte;
    }
    if (zone !== '' && (length !== 16 || typeof zone !== 'string' || !zonePattern.test(zone))) {
      throw new InvalidAddressError(`invalid zone id for this address: ${describe(zone)}`);
    }
    return new IpAddress(copy, zone);
  }

  /** `'ipv4'` or `'ipv6'`. */
  get family(): IpFamily {
    return this.#bytes.length === 4 ? 'ipv4' : 'ipv6';
  }

  /** The IPv6 zone id (scope), `''` when there is none. */
  get zone(): string {
    return this.#zone;
  }

  /** Whether this is an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`). */
  get isIpv4Mapped(): boolean {
    return isMapped(this.#bytes);
  }

  /** Whether this is `127.0.0.0/8`, `::1` or a mapped IPv4 loopback address. */
  get isLoopback(): boolean {
    const b = this.#bytes;
    if (b.length === 4) return b[0] === 127;
    if (isMapped(b)) return b[12] === 127;
    return b.every((byte, i) => byte === (i === 15 ? 1 : 0));
  }

  /** Whether this is `0.0.0.0` or `::`. */
  get isUnspecified(): boolean {
    return this.#bytes.every((byte) => byte === 0);
  }

  /** The IPv4 address inside an IPv4-mapped IPv6 address; any other address unchanged. */
  unmap(): IpAddress {
    return isMapped(this.#bytes) ? new IpAddress(this.#bytes.slice(12), '') : this;
  }

  /** A copy of the network-order bytes (4 or 16). */
  toBytes(): Uint8Array {
    return this.#bytes.slice();
  }

  /** Same family, bytes and zone. */
  equals(other: IpAddress): boolean {
    if (!(other instanceof IpAddress) || other.#zone !== this.#zone) return false;
    const a = this.#bytes;
    const b = other.#bytes;
    return a.length === b.length && a.every((byte, i) => byte === b[i]);
  }

  /** The canonical text (RFC 5952 for IPv6, with `%zone` when there is one). */
  toString(): string {
    if (this.#text === undefined) {
      const b = this.#bytes;
      this.#text =
        b.length === 4
          ? formatIpv4(b, 0)
          : this.#zone === ''
            ? formatIpv6(b)
            : `${formatIpv6(b)}%${this.#zone}`;
    }
    return this.#text;
  }

  /** The canonical text, so that `JSON.stringify` writes the address. */
  toJSON(): string {
    return this.toString();
  }

  /** How `console.log` and `util.inspect` show it: `IpAddress(127.0.0.1)`. */
  [inspectCustom](): string {
    return `IpAddress(${this.toString()})`;
  }
}

// Its shared constants (and static methods) cannot be replaced at run time: code everywhere
// compares statuses and addresses against them.
Object.freeze(IpAddress);
