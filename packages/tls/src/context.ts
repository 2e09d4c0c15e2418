import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from '@coro/task';
import { TlsContextError } from './errors.ts';
import { refuseUnknownOptions } from './internal/options.ts';

/**
 * PEM material: PEM text (a string holding `-----BEGIN`), the bytes of a PEM file, or where a
 * PEM file is: a path (any other string), or a `file:` URL (a `URL`, or a string starting with
 * `file:`), read once when the `Context` is made. A URL of any other scheme (a string of the
 * form `scheme://…`, or a `URL`) is refused with `TlsContextError`: nothing is downloaded.
 */
export type PemSource = string | Uint8Array | URL;

/** The TLS versions a `Context` can be limited to. */
export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

/** Options of `new Context(...)`. Every field is optional; a server needs `cert` and `key`. */
export interface ContextOptions {
  /** This side's certificate, optionally followed by its intermediate CAs (one PEM bundle). */
  readonly cert?: PemSource | undefined;
  /** The private key of `cert`. */
  readonly key?: PemSource | undefined;
  /** The passphrase of an encrypted `key`. */
  readonly passphrase?: string | undefined;
  /**
   * The CAs to trust when verifying the peer, replacing Node.js's bundled Mozilla roots.
   * One PEM bundle or a list of them. Default: the bundled roots.
   */
  readonly ca?: PemSource | readonly PemSource[] | undefined;
  /**
   * Whether to verify the peer's certificate. Clients: default `true`, and the host name is
   * checked too (unlike libcoro). Servers: default `false`; `true` asks every client served by
   * this context (under `tls.Server`'s `sni`: every client asking for its names) for a
   * certificate signed by `ca` and drops clients without one (mutual TLS).
   */
  readonly verifyPeer?: boolean | undefined;
  /** ALPN protocols in order of preference, such as `['h2', 'http/1.1']`. */
  readonly alpn?: readonly string[] | undefined;
  /** The lowest TLS version to accept. Default `'TLSv1.2'`. */
  readonly minVersion?: TlsVersion | undefined;
  /** The highest TLS version to offer. Default `'TLSv1.3'`. */
  readonly maxVersion?: TlsVersion | undefined;
  /** An OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are always enabled). */
  readonly ciphers?: string | undefined;
  /**
   * Clients: the name sent as SNI and checked against the server's certificate (default: the
   * address connected to). Servers: informative only; SNI routing is `Server`'s `sni` option.
   */
  readonly serverName?: string | undefined;
}

/** @internal What the client and server read from a context. */
export interface ContextInternals {
  readonly secureContext: SecureContext;
  /** What `secureContext` was made from: a `tls.Server` makes its default context itself. */
  readonly secureOptions: SecureContextOptions;
  readonly alpn: string[] | undefined;
  readonly hasIdentity: boolean;
}

let internalsOf: (context: Context) => ContextInternals;

/** @internal */
export function readContext(context: Context): ContextInternals {
  return internalsOf(context);
}

const versions: readonly string[] = ['TLSv1.2', 'TLSv1.3'];
// ContextOptions' keys (a record, so that the compiler holds it to the interface).
const contextKeys: Readonly<Record<keyof ContextOptions, true>> = {
  cert: true,
  key: true,
  passphrase: true,
  ca: true,
  verifyPeer: true,
  alpn: true,
  minVersion: true,
  maxVersion: true,
  ciphers: true,
  serverName: true,
};
const pemBlock = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/**
 * The certificates, keys and settings TLS connections are made with (libcoro's
 * `tls::context`). Everything is read and checked once, here: text that is not PEM, a file that
 * cannot be read, or a key that does not match its certificate throws `TlsContextError`;
 * options of the wrong type throw `InvalidArgumentError`. One context serves any number of
 * connections (its OpenSSL context is shared, which makes handshakes cheaper).
 *
 * @example
 * const serverContext = new Context({ cert: 'server.pem', key: 'server.key' });
 * const clientContext = new Context({ ca: caPem, alpn: ['coro/1'] });
 */
export class Context {
  /** The certificate this side presents (the first one of `cert`), if any. */
  readonly certificate: X509Certificate | undefined;
  /** Whether the peer is verified (see `ContextOptions.verifyPeer`); `undefined`: the default. */
  readonly verifyPeer: boolean | undefined;
  /** The ALPN protocols offered, in order. */
  readonly alpn: readonly string[];
  /** The client's SNI / host-check name, if set. */
  readonly serverName: string | undefined;
  /** The lowest TLS version accepted. */
  readonly minVersion: TlsVersion;
  /** The highest TLS version offered. */
  readonly maxVersion: TlsVersion;
  readonly #internals: ContextInternals;

  static {
    internalsOf = (context) => context.#internals;
  }

  constructor(options: ContextOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError('Context expects an options object');
    }
    // A misspelt option would be ignored, and a context without the CA or the check it was
    // meant to have is a security setting gone quietly wrong: every key must be one of these.
    refuseUnknownOptions(options, contextKeys, 'Context');
    const { passphrase, verifyPeer, alpn, ciphers, serverName } = options;
    checkType(passphrase, 'string', 'passphrase');
    checkType(verifyPeer, 'boolean', 'verifyPeer');
    checkType(ciphers, 'string', 'ciphers');
    checkType(serverName, 'string', 'serverName');
    if (serverName === '') throw new InvalidArgumentError('serverName must not be empty');
    const minVersion = checkVersion(options.minVersion, 'minVersion') ?? 'TLSv1.2';
    const maxVersion = checkVersion(options.maxVersion, 'maxVersion') ?? 'TLSv1.3';
    if (versions.indexOf(minVersion) > versions.indexOf(maxVersion)) {
      throw new InvalidArgumentError(`minVersion ${minVersion} is above maxVersion ${maxVersion}`);
    }
    const protocols = checkAlpn(alpn);

    const certPem = options.cert === undefined ? undefined : loadPem(options.cert, 'cert');
    const keyPem = options.key === undefined ? undefined : loadPem(options.key, 'key');
    if ((certPem === undefined) !== (keyPem === undefined)) {
      throw new TlsContextError(
        certPem === undefined ? 'key was given without its cert' : 'cert was given without its key',
      );
    }
    let certificate: X509Certificate | undefined;
    if (certPem !== undefined && keyPem !== undefined) {
      const chain = parseCertificates(certPem, 'cert');
      certificate = chain[0]!;
      const key = parseKey(keyPem, passphrase);
      if (!certificate.checkPrivateKey(key)) {
        throw new TlsContextError(
          `key does not match the certificate of cert (subject ${oneLine(certificate.subject)})`,
        );
      }
    }
    let ca: string[] | undefined;
    if (options.ca !== undefined) {
      const list: readonly PemSource[] = Array.isArray(options.ca)
        ? options.ca
        : [options.ca as PemSource];
      if (list.length === 0) throw new InvalidArgumentError('ca must not be an empty list');
      ca = list.map((source, i) => {
        const pem = loadPem(source, `ca[${i}]`);
        parseCertificates(pem, `ca[${i}]`);
        return pem;
      });
    }

    const secureOptions: SecureContextOptions = {
      ...(certPem === undefined ? {} : { cert: certPem, key: keyPem }),
      ...(passphrase === undefined ? {} : { passphrase }),
      ...(ca === undefined ? {} : { ca }),
      ...(ciphers === undefined ? {} : { ciphers }),
      minVersion,
      maxVersion,
    };
    let secureContext: SecureContext;
    try {
      secureContext = createSecureContext(secureOptions);
    } catch (error) {
      throw new TlsContextError(`OpenSSL refused the context: ${messageOf(error)}`, {
        cause: error,
      });
    }
    this.certificate = certificate;
    this.verifyPeer = verifyPeer;
    this.alpn = Object.freeze([...(protocols ?? [])]);
    this.serverName = serverName;
    this.minVersion = minVersion;
    this.maxVersion = maxVersion;
    this.#internals = {
      secureContext,
      secureOptions,
      alpn: protocols,
      hasIdentity: certificate !== undefined,
    };
  }
}

function checkType(value: unknown, type: string, name: string): void {
  if (value !== undefined && typeof value !== type) {
    throw new InvalidArgumentError(`${name} must be a ${type}, got ${typeof value}`);
  }
}

function checkVersion(value: unknown, name: string): TlsVersion | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !versions.includes(value)) {
    throw new InvalidArgumentError(`${name} must be 'TLSv1.2' or 'TLSv1.3', got ${String(value)}`);
  }
  return value as TlsVersion;
}

function checkAlpn(alpn: unknown): string[] | undefined {
  if (alpn === undefined) return undefined;
  if (!Array.isArray(alpn)) throw new InvalidArgumentError('alpn must be an array of strings');
  for (const p of alpn) {
    if (typeof p !== 'string' || p.length === 0 || Buffer.byteLength(p) > 255) {
      throw new InvalidArgumentError(
        `alpn protocols must be strings of 1 to 255 bytes, got ${JSON.stringify(p)}`,
      );
    }
  }
  return alpn.length === 0 ? undefined : [...alpn];
}

function loadPem(source: unknown, name: string): string {
  if (source instanceof Uint8Array) return Buffer.from(source).toString('latin1');
  if (typeof source === 'string' && source.includes('-----BEGIN')) return source;
  if (typeof source === 'string' || source instanceof URL) {
    if (source === '') throw new InvalidArgumentError(`${name} must not be empty`);
    const path = pathOf(source, name);
    try {
      return readFileSync(path, 'latin1');
    } catch (error) {
      throw new TlsContextError(`${name}: cannot read the PEM file ${path}: ${messageOf(error)}`, {
        cause: error,
      });
    }
  }
  throw new InvalidArgumentError(
    `${name} must be PEM text, PEM bytes or a file path, got ${source === null ? 'null' : typeof source}`,
  );
}

// A string is taken for a URL when it starts with `file:` or with `scheme://`; a scheme of one
// letter is a Windows drive (`C:\certs`), and any other string is a path.
const urlLike = /^(?:file:|[a-z][a-z0-9+.-]+:\/\/)/i;

/**
 * The file path `source` names. `fs` reads a `file:` URL object itself but takes a string as a
 * path, so `'file:///…'` would be looked for as a relative file of that name: both forms go
 * through `fileURLToPath` here, and a URL no file can be read from fails now, naming it.
 */
function pathOf(source: string | URL, name: string): string {
  if (typeof source === 'string' && !urlLike.test(source)) return source;
  let url: URL;
  try {
    url = typeof source === 'string' ? new URL(source) : source;
  } catch (error) {
    throw new TlsContextError(`${name}: ${source} is not a usable file: URL: ${messageOf(error)}`, {
      cause: error,
    });
  }
  if (url.protocol !== 'file:') {
    throw new TlsContextError(
      `${name}: cannot read ${String(source)}: its scheme is ${url.protocol}, and only file: URLs name a PEM file`,
    );
  }
  try {
    return fileURLToPath(url);
  } catch (error) {
    throw new TlsContextError(
      `${name}: ${String(source)} is not a usable file: URL: ${messageOf(error)}`,
      { cause: error },
    );
  }
}

function parseCertificates(pem: string, name: string): X509Certificate[] {
  const blocks = [...pem.matchAll(pemBlock)].filter((m) => m[1] === 'CERTIFICATE');
  if (blocks.length === 0) {
    throw new TlsContextError(`${name} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block[0]);
    } catch (error) {
      throw new TlsContextError(
        `${name}: certificate ${i + 1} is not valid PEM: ${messageOf(error)}`,
        {
          cause: error,
        },
      );
    }
  });
}

function parseKey(pem: string, passphrase: string | undefined): KeyObject {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw new TlsContextError('key holds no PEM private key (-----BEGIN ... PRIVATE KEY-----)');
  }
  try {
    return createPrivateKey(passphrase === undefined ? pem : { key: pem, passphrase });
  } catch (error) {
    // An encrypted key read without a passphrase fails with OpenSSL's "interrupted or
    // cancelled" (its passphrase prompt had nobody to ask): say what is missing.
    const encrypted = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem);
    const why =
      encrypted && passphrase === undefined
        ? 'it is encrypted and no passphrase was given (the passphrase option)'
        : encrypted
          ? `it is encrypted, and the passphrase does not open it (${messageOf(error)})`
          : messageOf(error);
    throw new TlsContextError(`key is not a usable private key: ${why}`, { cause: error });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function oneLine(subject: string): string {
  return subject.replaceAll('\n', ', ');
}
