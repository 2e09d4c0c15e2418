import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One certificate with its key: PEM text and the files holding it. */
export interface TestIdentity {
  readonly cert: string;
  readonly key: string;
  readonly certPath: string;
  readonly keyPath: string;
}

/** Every certificate coro's TLS tests need, made by `makeTestCertificates()`. */
export interface TestCertificates {
  /** The directory holding the files; `cleanup()` removes it. */
  readonly dir: string;
  /** The test CA (self-signed, trusted by the tests). */
  readonly ca: TestIdentity;
  /** A second CA that nobody trusts. */
  readonly otherCa: TestIdentity;
  /** `localhost`, `127.0.0.1` and `::1`, signed by `ca`, valid now. */
  readonly server: TestIdentity;
  /** `server` followed by `ca`: a chain that includes its self-signed root. */
  readonly serverChain: string;
  /** `other.localhost`, signed by `ca`: a second name for SNI tests. */
  readonly other: TestIdentity;
  /** A client certificate (`coro test client`) signed by `ca`, for mutual TLS. */
  readonly client: TestIdentity;
  /** A client certificate signed by `otherCa`. */
  readonly untrustedClient: TestIdentity;
  /** `localhost` signed by `ca`, valid during 2020 only. */
  readonly expired: TestIdentity;
  /** `wrong.example` only, signed by `ca`: right chain, wrong host. */
  readonly wrongHost: TestIdentity;
  /** `localhost`, self-signed (not issued by any CA). */
  readonly selfSigned: TestIdentity;
  /** `localhost` signed by `otherCa`. */
  readonly untrusted: TestIdentity;
  /**
   * Issues one more server certificate, signed by `ca` and valid now, for the DNS names given
   * (the first is its common name), such as `['*.example.com']` for SNI tests.
   */
  issueServer(dnsNames: readonly string[]): TestIdentity;
  /** Removes `dir`. */
  cleanup(): void;
}

const caConfig = `[ ca ]
default_ca = coro_ca
[ coro_ca ]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[ any ]
commonName = supplied
`;

const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * Makes a fresh set of test certificates with the `openssl` command-line tool (Debian's
 * `openssl` package) in a new temporary directory: two CAs, server certificates that are valid,
 * expired, for the wrong host, self-signed and from an untrusted CA, and client certificates.
 * P-256 keys, so the whole set takes a few hundred milliseconds.
 */
export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'coro-test-certs-'));
  const run = (...args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  writeFileSync(join(dir, 'ca.cnf'), caConfig);
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');

  const identity = (name: string): TestIdentity => {
    const certPath = join(dir, `${name}.pem`);
    const keyPath = join(dir, `${name}.key`);
    return {
      cert: readFileSync(certPath, 'utf8'),
      key: readFileSync(keyPath, 'utf8'),
      certPath,
      keyPath,
    };
  };
  const makeCa = (name: string, cn: string) => {
    run(
      'req',
      '-x509',
      ...ecKey,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-days',
      '3650',
      '-subj',
      `/CN=${cn}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
    return identity(name);
  };
  const issue = (
    name: string,
    ca: string,
    cn: string,
    extensions: string[],
    dates: string[] = ['-days', '825'],
  ) => {
    const addext = extensions.flatMap((e) => ['-addext', e]);
    run(
      'req',
      '-new',
      ...ecKey,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${cn}`,
      ...addext,
    );
    run(
      'ca',
      '-batch',
      '-config',
      'ca.cnf',
      '-cert',
      `${ca}.pem`,
      '-keyfile',
      `${ca}.key`,
      '-in',
      `${name}.csr`,
      '-out',
      `${name}.pem`,
      '-notext',
      ...dates,
    );
    return identity(name);
  };
  const serverExt = (names: string) => [
    `subjectAltName=${names}`,
    'extendedKeyUsage=serverAuth',
    'basicConstraints=CA:FALSE',
  ];
  const local = 'DNS:localhost,IP:127.0.0.1,IP:::1';
  let extra = 0;

  try {
    const ca = makeCa('ca', 'coro test CA');
    const otherCa = makeCa('other-ca', 'coro untrusted CA');
    const server = issue('server', 'ca', 'localhost', serverExt(local));
    const other = issue('other', 'ca', 'other.localhost', serverExt('DNS:other.localhost'));
    const client = issue('client', 'ca', 'coro test client', [
      'extendedKeyUsage=clientAuth',
      'basicConstraints=CA:FALSE',
    ]);
    const untrustedClient = issue('untrusted-client', 'other-ca', 'coro stranger', [
      'extendedKeyUsage=clientAuth',
    ]);
    const expired = issue('expired', 'ca', 'localhost', serverExt(local), [
      '-startdate',
      '20200101000000Z',
      '-enddate',
      '20210101000000Z',
    ]);
    const wrongHost = issue('wrong-host', 'ca', 'wrong.example', serverExt('DNS:wrong.example'));
    const untrusted = issue('untrusted', 'other-ca', 'localhost', serverExt(local));
    run(
      'req',
      '-x509',
      ...ecKey,
      '-keyout',
      'self-signed.key',
      '-out',
      'self-signed.pem',
      '-days',
      '825',
      '-subj',
      '/CN=localhost',
      '-addext',
      `subjectAltName=${local}`,
    );
    const selfSigned = identity('self-signed');
    return {
      dir,
      ca,
      otherCa,
      server,
      serverChain: server.cert + ca.cert,
      other,
      client,
      untrustedClient,
      expired,
      wrongHost,
      selfSigned,
      untrusted,
      issueServer: (dnsNames) => {
        if (dnsNames.length === 0) throw new Error('issueServer: give at least one DNS name');
        extra += 1;
        const names = dnsNames.map((n) => `DNS:${n}`).join(',');
        return issue(`extra-${extra}`, 'ca', dnsNames[0]!, serverExt(names));
      },
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(
      `makeTestCertificates: openssl failed (is Debian's openssl installed?)\n${stderr}`,
      {
        cause: error,
      },
    );
  }
}
