import { createPrivateKey } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { makeTestCertificates, type TestCertificates } from '@coro/test-certs';
import { CoroError, InvalidArgumentError } from '@coro/task';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Context, TlsContextError, tls } from '../src/index.ts';

let certs: TestCertificates;
beforeAll(() => {
  certs = makeTestCertificates();
});
afterAll(() => certs.cleanup());

function contextError(make: () => unknown): TlsContextError {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(TlsContextError);
    expect(error).toBeInstanceOf(CoroError);
    expect((error as TlsContextError).code).toBe('ERR_CORO_TLS_CONTEXT');
    return error as TlsContextError;
  }
  throw new Error('expected a TlsContextError');
}

describe('tls.Context', () => {
  it('is reachable as tls.Context', () => {
    expect(tls.Context).toBe(Context);
  });

  it('loads cert and key from PEM text, PEM bytes, file paths and file URLs alike', () => {
    const { cert, key, certPath, keyPath } = certs.server;
    const fromText = new Context({ cert, key });
    const fromBytes = new Context({
      cert: Buffer.from(cert),
      key: new Uint8Array(Buffer.from(key)),
    });
    const fromPaths = new Context({ cert: certPath, key: keyPath });
    const fromUrls = new Context({ cert: pathToFileURL(certPath), key: pathToFileURL(keyPath) });
    for (const c of [fromText, fromBytes, fromPaths, fromUrls]) {
      expect(c.certificate?.subject).toBe('CN=localhost');
      expect(c.certificate?.fingerprint256).toBe(fromText.certificate?.fingerprint256);
    }
  });

  it('reads file: URL strings as well as URL objects, for cert, key and ca', () => {
    const { certPath, keyPath } = certs.server;
    const fromUrlStrings = new Context({
      cert: pathToFileURL(certPath).href,
      key: pathToFileURL(keyPath).href,
      ca: [pathToFileURL(certs.ca.certPath).href, pathToFileURL(certs.otherCa.certPath)],
    });
    expect(fromUrlStrings.certificate?.subject).toBe('CN=localhost');
    expect(fromUrlStrings.certificate?.fingerprint256).toBe(
      new Context({ cert: certPath, key: keyPath }).certificate?.fingerprint256,
    );
    // A file: URL that names a missing file says which file it looked for.
    const missing = contextError(
      () => new Context({ cert: 'file:///nonexistent/server.pem', key: keyPath }),
    );
    expect(missing.message).toContain('/nonexistent/server.pem');
    expect((missing.cause as { code?: string }).code).toBe('ENOENT');
  });

  it('refuses URLs of other schemes and malformed file: URLs with TlsContextError', () => {
    const { keyPath } = certs.server;
    const refused: [unknown, RegExp][] = [
      ['https://example.com/server.pem', /cert: .*https:.*only file: URLs/],
      [new URL('https://example.com/server.pem'), /cert: .*https:.*only file: URLs/],
      [new URL('data:text/plain,hello'), /cert: .*data:.*only file: URLs/],
      [
        'file://some-host/server.pem',
        /cert: .*file:\/\/some-host\/server\.pem.* not a usable file: URL/,
      ],
      [new URL('file:///a%2Fb.pem'), /cert: .* not a usable file: URL/],
      ['file://[::1', /cert: .* not a usable file: URL/],
    ];
    for (const [cert, message] of refused) {
      expect(
        contextError(() => new Context({ cert: cert as never, key: keyPath })).message,
      ).toMatch(message);
    }
  });

  it('takes a certificate chain, and CAs as one bundle or a list', () => {
    const chained = new Context({ cert: certs.serverChain, key: certs.server.key });
    expect(chained.certificate?.subject).toBe('CN=localhost');
    expect(() => new Context({ ca: certs.ca.cert + certs.otherCa.cert })).not.toThrow();
    expect(() => new Context({ ca: [certs.ca.certPath, certs.otherCa.cert] })).not.toThrow();
  });

  it('defaults: verify unset (clients verify), TLS 1.2 to 1.3, no ALPN', () => {
    const c = new Context();
    expect(c.verifyPeer).toBeUndefined();
    expect(c.minVersion).toBe('TLSv1.2');
    expect(c.maxVersion).toBe('TLSv1.3');
    expect(c.alpn).toEqual([]);
    expect(c.certificate).toBeUndefined();
    const d = new Context({
      alpn: ['h2', 'http/1.1'],
      minVersion: 'TLSv1.3',
      serverName: 'x.test',
    });
    expect(d.alpn).toEqual(['h2', 'http/1.1']);
    expect(d.minVersion).toBe('TLSv1.3');
    expect(d.serverName).toBe('x.test');
  });

  it('refuses a key that does not match its certificate, naming the certificate', () => {
    const e = contextError(() => new Context({ cert: certs.server.cert, key: certs.client.key }));
    expect(e.message).toMatch(/does not match.*CN=localhost/);
  });

  it('refuses text that is not PEM, or PEM that does not decode', () => {
    expect(
      contextError(
        () =>
          new Context({
            cert: '-----BEGIN NOTHING-----\n-----END NOTHING-----',
            key: certs.server.key,
          }),
      ).message,
    ).toMatch(/no PEM certificate/);
    const broken = '-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n';
    const e = contextError(() => new Context({ cert: broken, key: certs.server.key }));
    expect(e.message).toMatch(/certificate 1 is not valid PEM/);
    expect(e.cause).toBeInstanceOf(Error);
    const brokenKey = '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n';
    expect(
      contextError(() => new Context({ cert: certs.server.cert, key: brokenKey })).message,
    ).toMatch(/not a usable private key/);
    expect(
      contextError(() => new Context({ cert: certs.server.cert, key: certs.server.cert })).message,
    ).toMatch(/no PEM private key/);
    expect(
      contextError(
        () =>
          new Context({ ca: 'garbage -----BEGIN CERTIFICATE-----\nxx\n-----END CERTIFICATE-----' }),
      ).message,
    ).toMatch(/ca\[0\]/);
  });

  it('refuses a file that cannot be read, naming it', () => {
    const e = contextError(
      () => new Context({ cert: '/nonexistent/server.pem', key: certs.server.keyPath }),
    );
    expect(e.message).toContain('/nonexistent/server.pem');
    expect((e.cause as { code?: string }).code).toBe('ENOENT');
  });

  it('refuses a cert without its key and a key without its cert', () => {
    expect(contextError(() => new Context({ cert: certs.server.cert })).message).toMatch(
      /without its key/,
    );
    expect(contextError(() => new Context({ key: certs.server.key })).message).toMatch(
      /without its cert/,
    );
  });

  it('refuses an encrypted key without its passphrase and takes it with the passphrase', () => {
    const encrypted = createPrivateKey(certs.server.key).export({
      format: 'pem',
      type: 'pkcs8',
      cipher: 'aes-256-cbc',
      passphrase: 'sesame',
    }) as string;
    contextError(() => new Context({ cert: certs.server.cert, key: encrypted }));
    // The message says what is missing (OpenSSL's own: "interrupted or cancelled").
    expect(() => new Context({ cert: certs.server.cert, key: encrypted })).toThrow(
      /encrypted and no passphrase was given/,
    );
    contextError(
      () => new Context({ cert: certs.server.cert, key: encrypted, passphrase: 'wrong' }),
    );
    expect(
      () => new Context({ cert: certs.server.cert, key: encrypted, passphrase: 'wrong' }),
    ).toThrow(/the passphrase does not open it/);
    expect(
      new Context({ cert: certs.server.cert, key: encrypted, passphrase: 'sesame' }).certificate,
    ).toBeDefined();
  });

  it('refuses a cipher list OpenSSL does not know, with the OpenSSL error as cause', () => {
    const e = contextError(() => new Context({ ciphers: 'NOT-A-CIPHER' }));
    expect((e.cause as { code?: string }).code).toBe('ERR_SSL_NO_CIPHER_MATCH');
  });

  it('refuses an option it does not know, naming it (a misspelt ca or verifyPeer was ignored)', () => {
    for (const options of [
      { certs: certs.server.cert, key: certs.server.key },
      { CA: certs.ca.cert },
      { ca: certs.ca.cert, rejectUnauthorized: false },
      { verifypeer: false },
    ]) {
      const key = Object.keys(options).find((k) => !['ca', 'key'].includes(k))!;
      expect(() => new Context(options as never), key).toThrow(InvalidArgumentError);
      expect(() => new Context(options as never), key).toThrow(
        new RegExp(`unknown option "${key}"`),
      );
    }
  });

  it('throws InvalidArgumentError for options of the wrong type', () => {
    const bad: unknown[] = [
      { verifyPeer: 'yes' },
      { alpn: 'h2' },
      { alpn: [''] },
      { alpn: ['x'.repeat(256)] },
      { minVersion: 'TLSv1.1' },
      { maxVersion: 'SSLv3' },
      { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.2' },
      { ciphers: 1 },
      { serverName: '' },
      { cert: 42, key: certs.server.key },
      { ca: [] },
      { passphrase: 1 },
    ];
    for (const options of bad) {
      expect(() => new Context(options as never), JSON.stringify(options)).toThrow(
        InvalidArgumentError,
      );
    }
    expect(() => new Context(null as never)).toThrow(InvalidArgumentError);
  });
});
