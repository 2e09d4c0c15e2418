import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidAddressError, IpAddress, SocketAddress } from '../src/index.ts';

describe('IpAddress', () => {
  it('parses and formats IPv4', () => {
    const a = IpAddress.parse('192.168.0.1');
    expect(a.family).toBe('ipv4');
    expect([...a.toBytes()]).toEqual([192, 168, 0, 1]);
    expect(a.toString()).toBe('192.168.0.1');
    expect(IpAddress.parse('0.0.0.0').isUnspecified).toBe(true);
    expect(IpAddress.parse('127.3.2.1').isLoopback).toBe(true);
  });

  it('formats IPv6 canonically (RFC 5952)', () => {
    const cases: [string, string][] = [
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
      ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
      ['0:0:0:0:0:0:0:0', '::'],
      ['0:0:0:0:0:0:0:1', '::1'],
      ['1:0:0:0:0:0:0:0', '1::'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
      ['1::2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
      ['::ffff:10.1.2.3', '::ffff:10.1.2.3'],
      ['::FFFF:a01:203', '::ffff:10.1.2.3'],
      ['::1.2.3.4', '::102:304'],
      ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
      ['fe80::1%eth0', 'fe80::1%eth0'],
      ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ];
    for (const [input, canonical] of cases) {
      const a = IpAddress.parse(input);
      expect(a.family, input).toBe('ipv6');
      expect(a.toString(), input).toBe(canonical);
    }
  });

  it('keeps IPv4-mapped addresses IPv6, and unmaps them on request', () => {
    const mapped = IpAddress.parse('::ffff:127.0.0.1');
    expect(mapped.family).toBe('ipv6');
    expect(mapped.isIpv4Mapped).toBe(true);
    expect(mapped.isLoopback).toBe(true);
    expect(mapped.unmap().toString()).toBe('127.0.0.1');
    expect(mapped.unmap().family).toBe('ipv4');
    expect(IpAddress.parse('::1').unmap().toString()).toBe('::1');
  });

  it('keeps zone ids on IPv6 and compares them', () => {
    const a = IpAddress.parse('fe80::1%2');
    expect(a.zone).toBe('2');
    expect(a.equals(IpAddress.parse('fe80::1'))).toBe(false);
    expect(a.equals(IpAddress.fromBytes(a.toBytes(), '2'))).toBe(true);
  });

  it('rejects bad text with InvalidAddressError', () => {
    const bad = [
      '',
      ' 1.2.3.4',
      '1.2.3.4 ',
      '256.1.1.1',
      '1.2.3',
      '1.2.3.4.5',
      '01.2.3.4',
      '1.2.3.-4',
      '1.2.3.4%eth0',
      'localhost',
      '::1::',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7',
      '12345::',
      ':1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:',
      'g::1',
      '[::1]',
      '::1%',
      '::1%a b',
      '1::2:3:4:5:6:7:8',
      '::1.2.3.4:5',
      '1.2.3.4::',
      '::256.1.1.1',
    ];
    for (const text of bad) {
      expect(() => IpAddress.parse(text), text).toThrow(InvalidAddressError);
      expect(IpAddress.tryParse(text), text).toBeUndefined();
    }
    expect(() => IpAddress.parse(42 as unknown as string)).toThrow(InvalidAddressError);
    try {
      IpAddress.parse('nope');
    } catch (error) {
      expect((error as InvalidAddressError).code).toBe('ERR_CORO_INVALID_ADDRESS');
    }
  });

  it('takes only zone ids that parse back, from text and from bytes alike', () => {
    // Up to 64 characters whatever the address: parse and fromBytes agree, so every address
    // made either way formats to text that parses back.
    const zone = 'z'.repeat(64);
    const longest = `ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255%${zone}`;
    expect(IpAddress.parse(longest).zone).toBe(zone);
    const fromBytes = IpAddress.fromBytes(new Uint8Array(16), zone);
    expect(IpAddress.parse(fromBytes.toString()).equals(fromBytes)).toBe(true);
    expect(() => IpAddress.fromBytes(new Uint8Array(16), `${zone}z`)).toThrow(InvalidAddressError);
    expect(IpAddress.tryParse(`::%${zone}z`)).toBeUndefined();
  });

  it('rejects bad bytes with InvalidAddressError', () => {
    expect(() => IpAddress.fromBytes(new Uint8Array(5))).toThrow(InvalidAddressError);
    expect(() => IpAddress.fromBytes([1, 2, 3, 256])).toThrow(InvalidAddressError);
    expect(() => IpAddress.fromBytes([1, 2, 3, 1.5])).toThrow(InvalidAddressError);
    expect(() => IpAddress.fromBytes([1, 2, 3, 4], 'eth0')).toThrow(InvalidAddressError);
    expect(() => IpAddress.fromBytes(null as unknown as number[])).toThrow(InvalidAddressError);
  });

  it('round-trips bytes → text → bytes for every address (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ minLength: 4, maxLength: 4 }),
          fc.uint8Array({ minLength: 16, maxLength: 16 }),
        ),
        (bytes) => {
          const a = IpAddress.fromBytes(bytes);
          const b = IpAddress.parse(a.toString());
          expect(b.equals(a)).toBe(true);
          expect(b.toString()).toBe(a.toString());
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('canonicalises any valid spelling of an IPv6 address (property)', () => {
    // Write the 8 groups uncompressed, with random case and leading zeros, or compress one
    // zero run: every spelling parses to the same address with the same canonical text.
    const groups = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
      minLength: 8,
      maxLength: 8,
    });
    fc.assert(
      fc.property(groups, fc.boolean(), fc.nat(7), fc.nat(8), (values, upper, start, span) => {
        const hex = values.map((v) => {
          const h = v.toString(16).padStart(upper ? 4 : 1, '0');
          return upper ? h.toUpperCase() : h;
        });
        const bytes = new Uint8Array(16);
        values.forEach((v, i) => {
          bytes[i * 2] = v >> 8;
          bytes[i * 2 + 1] = v & 0xff;
        });
        const expected = IpAddress.fromBytes(bytes);
        expect(IpAddress.parse(hex.join(':')).toString()).toBe(expected.toString());
        // Compress groups [start, end) if they are all zero.
        const end = Math.min(8, start + Math.max(1, span));
        if (values.slice(start, end).every((v) => v === 0)) {
          const text = `${hex.slice(0, start).join(':')}::${hex.slice(end).join(':')}`;
          expect(IpAddress.parse(text).equals(expected), text).toBe(true);
        }
        // The canonical text is never longer than any other spelling, and is lower case.
        const canonical = expected.toString();
        expect(canonical).toBe(canonical.toLowerCase());
        expect(canonical.length).toBeLessThanOrEqual(hex.join(':').length);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('SocketAddress', () => {
  it('parses and formats ip:port and [v6]:port', () => {
    const a = SocketAddress.parse('127.0.0.1:8080');
    expect(a.ip.toString()).toBe('127.0.0.1');
    expect(a.port).toBe(8080);
    expect(a.family).toBe('ipv4');
    expect(String(a)).toBe('127.0.0.1:8080');
    const b = SocketAddress.parse('[::1]:0');
    expect(b.family).toBe('ipv6');
    expect(b.port).toBe(0);
    expect(b.toString()).toBe('[::1]:0');
    expect(SocketAddress.parse('[fe80::1%eth0]:65535').toString()).toBe('[fe80::1%eth0]:65535');
    expect(new SocketAddress('::ffff:1.2.3.4', 1).toString()).toBe('[::ffff:1.2.3.4]:1');
    expect(
      SocketAddress.from({ address: '10.0.0.1', port: 5 }).equals(new SocketAddress('10.0.0.1', 5)),
    ).toBe(true);
    expect(JSON.stringify({ a })).toBe('{"a":"127.0.0.1:8080"}');
  });

  it('rejects bad text and ports with InvalidAddressError', () => {
    const bad = [
      '127.0.0.1',
      '127.0.0.1:',
      '127.0.0.1:65536',
      '127.0.0.1:-1',
      '127.0.0.1:1.5',
      '127.0.0.1:08',
      '127.0.0.1: 80',
      '::1:80',
      '[::1:80',
      '[127.0.0.1]:80',
      '[::1]80',
      'localhost:80',
      ':80',
    ];
    for (const text of bad) {
      expect(() => SocketAddress.parse(text), text).toThrow(InvalidAddressError);
      expect(SocketAddress.tryParse(text), text).toBeUndefined();
    }
    // -0 is port 0, kept as 0 (not a -0 that Object.is and 1 / port tell apart).
    expect(Object.is(new SocketAddress('127.0.0.1', -0).port, 0)).toBe(true);
    for (const port of [-1, 65536, 1.5, Number.NaN, Infinity, '80', null]) {
      expect(() => new SocketAddress('127.0.0.1', port as number), String(port)).toThrow(
        InvalidAddressError,
      );
    }
    expect(() => SocketAddress.from(null as never)).toThrow(InvalidAddressError);
    expect(() => SocketAddress.from({ address: 'example.com', port: 1 })).toThrow(
      InvalidAddressError,
    );
  });

  it('says what is wrong with bad text: a missing port, an unclosed bracket, missing brackets', () => {
    const messageOf = (text: string): string => {
      try {
        SocketAddress.parse(text);
      } catch (error) {
        expect(error, text).toBeInstanceOf(InvalidAddressError);
        return (error as Error).message;
      }
      throw new Error(`${text} parsed`);
    };
    // No port at all, or a colon with nothing after it: each says the port is missing, and
    // the bracketed forms say nothing about brackets (they are balanced).
    for (const text of ['[::1]', '[::1]:', '[fe80::1%eth0]', '1.2.3.4', '1.2.3.4:']) {
      const message = messageOf(text);
      expect(message, text).toMatch(/missing port/);
      expect(message, text).not.toMatch(/bracket/);
      expect(message, text).toContain(JSON.stringify(text));
    }
    expect(messageOf('[::1]')).toContain('[ipv6]:port');
    expect(messageOf('1.2.3.4')).toContain('ip:port');
    expect(messageOf('[::1')).toMatch(/no '\]' closes/);
    expect(messageOf('[::1:80')).toMatch(/no '\]' closes/);
    expect(messageOf('[::1]80')).toMatch(/':port' after '\]'/);
    expect(messageOf('::1:80')).toMatch(/needs brackets/);
    expect(messageOf('[127.0.0.1]:80')).toMatch(/only IPv6/);
    expect(messageOf('1.2.3.4:08')).toMatch(/invalid port/);
    expect(messageOf('')).toMatch(/empty/);
  });

  it('round-trips text → SocketAddress → text (property)', () => {
    const ip = fc.oneof(
      fc.uint8Array({ minLength: 4, maxLength: 4 }),
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
    );
    fc.assert(
      fc.property(ip, fc.integer({ min: 0, max: 65535 }), (bytes, port) => {
        const a = new SocketAddress(IpAddress.fromBytes(bytes), port);
        const b = SocketAddress.parse(a.toString());
        expect(b.equals(a)).toBe(true);
        expect(b.toString()).toBe(a.toString());
      }),
      { numRuns: 2000 },
    );
  });
});

describe('util.inspect and console.log', () => {
  it('show the address, not an empty object', () => {
    expect(inspect(IpAddress.parse('2001:DB8::1'))).toBe('IpAddress(2001:db8::1)');
    expect(inspect(SocketAddress.parse('[::1]:8080'))).toBe('SocketAddress([::1]:8080)');
    expect(
      inspect({ addresses: [IpAddress.parse('10.0.0.1'), IpAddress.parse('fe80::1%2')] }),
    ).toBe('{ addresses: [ IpAddress(10.0.0.1), IpAddress(fe80::1%2) ] }');
  });
});
