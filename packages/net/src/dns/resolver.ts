import { Resolver as AresResolver } from 'node:dns';
import { IoScheduler, type ScheduledCall } from '@coro/io';
import {
  InvalidArgumentError,
  isStopRequested,
  onStop,
  type StopRegistration,
  type WaitOptions,
} from '@coro/task';
import { InvalidAddressError } from '../errors.ts';
import { checkDeadline, readOptions, refuseUnknownOptions } from '../internal/options.ts';
import { IpAddress } from '../ip-address.ts';
import { SocketAddress } from '../socket-address.ts';

/**
 * The outcome of `Resolver.resolve`:
 * - `ok`: `addresses` holds at least one address.
 * - `notFound`: the name does not exist (NXDOMAIN).
 * - `noData`: the name exists but has no address of the family asked for.
 * - `timeout`: no answer within the call's `timeout` (or the resolver's default).
 * - `refused`: the server refused the query (REFUSED) or nothing listens there.
 * - `serverFailure`: the server failed (SERVFAIL).
 * - `cancelled`: the call's `signal` stopped.
 * - `error`: anything else; `errno` says what c-ares reported.
 */
export type DnsStatus =
  | 'ok'
  | 'notFound'
  | 'noData'
  | 'timeout'
  | 'refused'
  | 'serverFailure'
  | 'cancelled'
  | 'error';

/** Which addresses `resolve` looks up: A (`'ipv4'`), AAAA (`'ipv6'`) or both (`'any'`). */
export type DnsFamily = 'ipv4' | 'ipv6' | 'any';

/** What `resolve` resolves with. */
export interface DnsResult {
  readonly status: DnsStatus;
  readonly addresses: IpAddress[];
  /** The c-ares code (`'ENOTFOUND'`, `'ESERVFAIL'`, ...) for a failure that came from it. */
  readonly errno?: string | undefined;
}

/** Options of `dns.Resolver`. */
export interface ResolverOptions {
  /** Name servers: `'ip'`, `'ip:port'` or `'[v6]:port'`. Default: the system's. */
  readonly servers?: readonly string[] | undefined;
  /** The deadline of a `resolve` that gives none, in ms. Default 5000. */
  readonly timeout?: number | undefined;
  /**
   * c-ares' retransmission schedule: how long one attempt waits for an answer before the
   * next is sent, in ms (c-ares doubles it with each round over the servers). Default: c-ares'
   * own. However short, a query ends only at its deadline: once c-ares gives up, it is asked
   * again.
   */
  readonly attemptTimeout?: number | undefined;
  /** Attempts per server before c-ares gives up on a query (and it is asked again). Default: c-ares' own. */
  readonly tries?: number | undefined;
}

// ResolverOptions' keys (a record, so that the compiler holds it to the interface).
const resolverOptionKeys: Readonly<Record<keyof ResolverOptions, true>> = {
  servers: true,
  timeout: true,
  attemptTimeout: true,
  tries: true,
};

/** Options of `resolve`. */
export interface ResolveOptions extends WaitOptions {
  /** Default `'any'`. */
  readonly family?: DnsFamily | undefined;
}

const statusOfCode: Record<string, DnsStatus> = {
  ENOTFOUND: 'notFound',
  ENODATA: 'noData',
  ETIMEOUT: 'timeout',
  ECONNREFUSED: 'refused',
  EREFUSED: 'refused',
  ESERVFAIL: 'serverFailure',
  ECANCELLED: 'cancelled',
};

// The order in which failures of an 'any' lookup are reported: the most telling first.
const failureRank: DnsStatus[] = [
  'serverFailure',
  'refused',
  'timeout',
  'error',
  'noData',
  'notFound',
];

interface Lookup {
  status: DnsStatus;
  addresses: IpAddress[];
  errno: string | undefined;
}

function checkServer(text: unknown): string {
  if (typeof text !== 'string')
    throw new InvalidAddressError('a DNS server is text: ip or ip:port');
  if (IpAddress.isValid(text)) return text;
  const server = SocketAddress.parse(text);
  // c-ares takes port 0 for its default, 53: a server there is not the one written.
  if (server.port === 0) throw new InvalidAddressError(`a DNS server's port is 1–65535: ${text}`);
  return server.toString();
}

function checkCount(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 2 ** 31 - 1) {
    throw new InvalidArgumentError(
      `${name} must be an integer from 1 to 2^31-1, got ${String(value)}`,
    );
  }
  return value;
}

// One label of a host name (RFC 1123), with the underscores that real names carry
// (`_dmarc`, hosts named before the rule): ASCII letters, digits and '_', and '-' inside.
const hostLabel = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

/**
 * `host` as an IP literal (`'192.0.2.1'`, `'::1'`, `'[::1]'`), or checked as a host name:
 * anything else throws `InvalidArgumentError` here, at the call, so that a name no name server
 * could hold never becomes a query (c-ares refused some with EBADNAME, and sent others).
 */
function checkHost(host: unknown): IpAddress | undefined {
  if (typeof host !== 'string') {
    throw new InvalidArgumentError(`a host name is text, got ${typeof host}`);
  }
  if (host.length === 0) {
    throw new InvalidArgumentError('a host name is 1–253 characters, got an empty string');
  }
  const literal = IpAddress.tryParse(
    host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host,
  );
  if (literal !== undefined) return literal;
  const quoted = JSON.stringify(host);
  const fail = (why: string): never => {
    throw new InvalidArgumentError(`not a host name (${why}): ${quoted}`);
  };
  if (/[\u0080-\uffff]/.test(host)) {
    fail('not ASCII: convert an internationalized name with url.domainToASCII() first');
  }
  // One final dot names the root: 'example.com.' is 'example.com', fully qualified.
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name.length > 253) fail(`${name.length} characters; at most 253, or 254 with a final dot`);
  const labels = name.split('.');
  for (const label of labels) {
    if (label.length === 0) fail('an empty label');
    if (label.length > 63) fail(`a label of ${label.length} characters; at most 63`);
    if (!hostLabel.test(label)) {
      const edge = /^-|-$/.test(label) && /^[A-Za-z0-9_-]+$/.test(label);
      fail(
        edge
          ? `label ${JSON.stringify(label)} starts or ends with '-'`
          : `label ${JSON.stringify(label)} holds a character other than ASCII letters, digits, '_' and '-'`,
      );
    }
  }
  // RFC 3696: a top-level label is never all digits. Such a name is an IPv4 address mistyped
  // ('999.1.1.1', '010.0.0.1'), which a name server would only answer NXDOMAIN for.
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) {
    fail('its last label is all digits, and it is no IPv4 address (a.b.c.d, each 0–255)');
  }
  return undefined;
}

/**
 * A DNS resolver over Node.js's c-ares (as libcoro uses c-ares). `resolve` never throws for
 * network outcomes: NXDOMAIN, a timeout, a refusal or a server failure is a `status`.
 * IP literals and `localhost` resolve at once without asking a server.
 *
 * Each `resolve` runs on a c-ares channel of its own (kept in a small idle pool), so that a
 * deadline or a stop — which this class enforces itself, c-ares' own timeout being coarse —
 * cancels that query only, never another caller's.
 *
 * @example
 * const resolver = new dns.Resolver({ timeout: 2000 });
 * const { status, addresses } = await resolver.resolve('example.com', { family: 'ipv4' });
 */
export class Resolver {
  readonly #servers: string[] | undefined;
  readonly #timeout: number;
  readonly #channelOptions: { timeout?: number; tries?: number };
  readonly #idle: AresResolver[] = [];
  #scheduler: { callAfter(ms: number, fn: () => void): ScheduledCall } | undefined;

  constructor(options: ResolverOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError('dns.Resolver options must be an object');
    }
    refuseUnknownOptions(options, resolverOptionKeys, 'dns.Resolver');
    if (options.servers !== undefined && !Array.isArray(options.servers)) {
      throw new InvalidArgumentError('servers must be an array of addresses');
    }
    // c-ares with no server fails every query with an unnamed error, at the query.
    if (options.servers?.length === 0) {
      throw new InvalidArgumentError('servers must name at least one server (or be left out)');
    }
    this.#servers = options.servers?.map(checkServer);
    const { timeout } = readOptions({ timeout: options.timeout ?? 5000 });
    this.#timeout = timeout ?? Number.POSITIVE_INFINITY;
    this.#channelOptions = {};
    if (options.attemptTimeout !== undefined) {
      this.#channelOptions.timeout = checkCount(options.attemptTimeout, 'attemptTimeout');
    }
    if (options.tries !== undefined) {
      this.#channelOptions.tries = checkCount(options.tries, 'tries');
    }
  }

  /**
   * Uses `scheduler`'s clock for deadlines (virtual time in manual mode). Without it, Node.js
   * timers are used. Returns `this`.
   */
  useScheduler(scheduler: { callAfter(ms: number, fn: () => void): ScheduledCall }): this {
    this.#scheduler = scheduler;
    return this;
  }

  /** @internal Idle c-ares channels kept for the next queries: for tests. */
  get _idleChannels(): number {
    return this.#idle.length;
  }

  /** The name servers in use. */
  get servers(): string[] {
    return this.#servers?.slice() ?? new AresResolver().getServers();
  }

  /**
   * Looks `host` up; see `DnsStatus` for the outcomes, none of which is thrown. What is not an
   * IP literal nor a host name (an empty label, a label over 63 characters or a name over 253,
   * characters other than ASCII letters, digits, `_` and inner `-`, an all-digit last label),
   * like a bad option, throws `InvalidArgumentError` at the call: no query is sent for it.
   */
  resolve(host: string, options?: ResolveOptions): Promise<DnsResult> {
    const literal = checkHost(host);
    const { signal, timeout } = readOptions(options);
    const family = options?.family ?? 'any';
    if (family !== 'ipv4' && family !== 'ipv6' && family !== 'any') {
      throw new InvalidArgumentError(
        `family must be 'ipv4', 'ipv6' or 'any', got ${String(family)}`,
      );
    }
    if (literal !== undefined) {
      const fits = family === 'any' || family === literal.family;
      return Promise.resolve(
        fits ? { status: 'ok', addresses: [literal] } : { status: 'noData', addresses: [] },
      );
    }
    if (host.toLowerCase() === 'localhost' || host.toLowerCase() === 'localhost.') {
      const addresses = [];
      if (family !== 'ipv6') addresses.push(IpAddress.ipv4Loopback);
      if (family !== 'ipv4') addresses.push(IpAddress.ipv6Loopback);
      return Promise.resolve({ status: 'ok', addresses });
    }
    if (isStopRequested(signal)) return Promise.resolve({ status: 'cancelled', addresses: [] });
    // `timeout: Infinity` is no deadline (readOptions gives undefined for it, as for none).
    const deadline =
      options?.timeout === Number.POSITIVE_INFINITY
        ? Number.POSITIVE_INFINITY
        : (timeout ?? this.#timeout);
    if (deadline === 0) return Promise.resolve({ status: 'timeout', addresses: [] });

    // The deadline (the call's or the resolver's) is armed first, at the call: a scheduler that
    // cannot arm it (one shut down: SchedulerShutdownError) throws here, before a channel is
    // taken from the pool or a query sent.
    const finite = Number.isFinite(deadline);
    if (finite && this.#scheduler instanceof IoScheduler) {
      checkDeadline(this.#scheduler, deadline, 'dns.Resolver.resolve');
    }
    let expire: (() => void) | undefined;
    const cancelTimer = finite ? this.#after(deadline, () => expire?.()) : undefined;
    let channel: AresResolver;
    try {
      channel = this.#idle.pop() ?? this.#newChannel();
    } catch (error) {
      cancelTimer?.();
      throw error;
    }
    return new Promise<DnsResult>((resolve) => {
      let settled = false;
      let pending = family === 'any' ? 2 : 1;
      const results: Lookup[] = [];
      let registration: StopRegistration | undefined;
      const finish = (result: DnsResult, cancelQueries: boolean) => {
        if (settled) return;
        settled = true;
        cancelTimer?.();
        registration?.unregister();
        if (cancelQueries) channel.cancel();
        // A channel whose queries were cancelled is clean again once their callbacks ran.
        // Counted when the channel goes back, not before: a burst's finishes all come first.
        setImmediate(() => {
          if (this.#idle.length < 4) this.#idle.push(channel);
        });
        resolve(result);
      };
      const done = (lookup: Lookup) => {
        if (settled) return;
        results.push(lookup);
        if (--pending > 0) return;
        const addresses = results.flatMap((r) => r.addresses);
        if (addresses.length > 0) {
          finish({ status: 'ok', addresses }, false);
          return;
        }
        results.sort((a, b) => failureRank.indexOf(a.status) - failureRank.indexOf(b.status));
        finish({ status: results[0]!.status, addresses: [], errno: results[0]!.errno }, false);
      };
      // An 'any' lookup whose one family answered gives those addresses at the deadline (as
      // getaddrinfo does): a server that drops AAAA queries must not make the name unresolvable.
      expire = () => {
        const addresses = results.flatMap((r) => r.addresses);
        finish({ status: addresses.length > 0 ? 'ok' : 'timeout', addresses }, true);
      };
      if (signal !== undefined) {
        registration = onStop(signal, () => finish({ status: 'cancelled', addresses: [] }, true));
      }
      if (settled) return;
      const query = (v6: boolean): void => {
        const answered = (error: NodeJS.ErrnoException | null, list: string[] | undefined) => {
          const lookup = toLookup(error, list);
          // c-ares gave up on its own schedule, before this call's deadline (which is what
          // `timeout` promises): ask again, unless the other family has addresses to give.
          if (lookup.status === 'timeout' && !settled && !results.some((r) => r.addresses.length)) {
            query(v6);
            return;
          }
          done(lookup);
        };
        if (v6) channel.resolve6(host, answered);
        else channel.resolve4(host, answered);
      };
      if (family !== 'ipv6') query(false);
      if (family !== 'ipv4') query(true);
    });
  }

  #newChannel(): AresResolver {
    const channel = new AresResolver(this.#channelOptions);
    if (this.#servers !== undefined) channel.setServers(this.#servers);
    return channel;
  }

  #after(ms: number, fn: () => void): () => void {
    const scheduler = this.#scheduler;
    if (scheduler !== undefined) {
      const call = scheduler.callAfter(ms, fn);
      return () => call.cancel();
    }
    // Node.js timers overflow above 2^31-1 ms: chain them.
    const limit = 2 ** 31 - 1;
    let handle: ReturnType<typeof setTimeout>;
    const arm = (left: number) => {
      handle = setTimeout(() => (left > limit ? arm(left - limit) : fn()), Math.min(left, limit));
    };
    arm(ms);
    return () => clearTimeout(handle);
  }
}

function toLookup(error: NodeJS.ErrnoException | null, list: string[] | undefined): Lookup {
  if (error != null) {
    const code = typeof error.code === 'string' ? error.code : undefined;
    return { status: (code && statusOfCode[code]) || 'error', addresses: [], errno: code };
  }
  const addresses: IpAddress[] = [];
  for (const text of list ?? []) {
    const ip = IpAddress.tryParse(text);
    if (ip !== undefined) addresses.push(ip);
  }
  return { status: addresses.length > 0 ? 'ok' : 'noData', addresses, errno: undefined };
}
