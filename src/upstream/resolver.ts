/**
 * A backend's host name, resolved once and reused for a while (`tcp.resolve.ttl`, 30 s by default) rather than at
 * every connect. Node's `net.connect` calls `dns.lookup` for each new socket: getaddrinfo on the thread pool, which
 * reads /etc/hosts (and asks DNS for a name it does not list) every time. For `tcp://localhost:port` that was about 3% of
 * a new connection's CPU (docs/PERFORMANCE.md); for a name that only DNS knows, a query per client. nginx and
 * HAProxy resolve their backends once at start; the JVM that Kaazing ran on kept a lookup 30 s
 * (`networkaddress.cache.ttl`), which is where the default comes from.
 *
 * The answer is still getaddrinfo's (the same hosts file, search domains and address order as before), so that a
 * name means what it meant; several addresses are handed out in turn (rotated()). A connect that fails before TCP is up forgets the name (HostAddresses.forget): a
 * backend that moved is looked up again on the next connect instead of after the TTL. Failed lookups are not kept,
 * and clients that connect while a lookup is under way wait for that one rather than start their own.
 */
import dns, { type LookupAddress, type LookupOptions } from 'node:dns';
import net from 'node:net';

/** Names kept at most; a configuration names a few, so this only bounds what a bug could grow. */
const MAX_ENTRIES = 4096;

type LookupAll = (hostname: string, options: LookupOptions & { all: true }, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** What a socket of one target resolves its host name with (the `lookup` option of net.connect and tls.connect). */
export interface HostAddresses {
  readonly lookup: net.LookupFunction;
  /** Drops what is kept for the name, so that the next connect looks it up again. */
  forget(): void;
}

interface Entry {
  readonly host: string;
  readonly addresses: readonly LookupAddress[];
  readonly at: number;
  /** Answers given from it: each starts one address further on (rotated()). */
  turn: number;
}

interface Waiter {
  readonly all: boolean;
  readonly callback: LookupCallback;
}

export interface HostResolverOptions {
  /** The lookup behind the cache; dns.lookup unless a test gives another. */
  readonly lookup?: LookupAll;
  /** A clock in ms that never goes back (performance.now unless a test gives another). */
  readonly now?: () => number;
}

export class HostResolver {
  readonly #lookup: LookupAll;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  readonly #pending = new Map<string, Waiter[]>();

  constructor(options: HostResolverOptions = {}) {
    this.#lookup = options.lookup ?? (dns.lookup as LookupAll);
    this.#now = options.now ?? (() => performance.now());
  }

  /**
   * How a target connecting to `host` resolves it, keeping each answer `ttlMs`; undefined when there is nothing to
   * keep (an IP address, which net never looks up, or a TTL of 0: every connect looks the name up).
   */
  forHost(host: string, ttlMs: number): HostAddresses | undefined {
    if (ttlMs <= 0 || net.isIP(host) !== 0) return undefined;
    return {
      lookup: (hostname, options, callback) => this.#resolve(hostname, options, ttlMs, callback),
      forget: () => this.forget(host),
    };
  }

  forget(host: string): void {
    for (const [key, entry] of this.#entries) if (entry.host === host) this.#entries.delete(key);
  }

  /** Names kept now (for tests and diagnostics). */
  get size(): number {
    return this.#entries.size;
  }

  #resolve(hostname: string, options: LookupOptions, ttlMs: number, callback: LookupCallback): void {
    // The options net passes change getaddrinfo's answer (family, hints such as ADDRCONFIG, the order asked for);
    // `all` only changes how the answer is handed back, and the cache keeps all of it.
    const key = `${options.family ?? 0} ${options.hints ?? 0} ${options.order ?? options.verbatim ?? ''} ${hostname}`;
    const waiter: Waiter = { all: options.all === true, callback };
    const entry = this.#entries.get(key);
    if (entry !== undefined && this.#now() - entry.at < ttlMs) {
      // Asynchronously, as dns.lookup answers: net attaches what handles the answer after it asked.
      process.nextTick(answer, waiter, entry);
      return;
    }
    const waiting = this.#pending.get(key);
    if (waiting !== undefined) {
      waiting.push(waiter);
      return;
    }
    this.#pending.set(key, [waiter]);
    const { all: _all, ...asked } = options;
    const settle = (failure: NodeJS.ErrnoException | null, addresses: LookupAddress[]): void => {
      // getaddrinfo answers an error or at least one address; an empty answer is treated as the error it stands for.
      const err = failure ?? (addresses.length > 0 ? null : notFound(hostname));
      const waiters = this.#pending.get(key) ?? [];
      this.#pending.delete(key);
      if (err !== null) {
        for (const w of waiters) w.callback(err, w.all ? [] : '');
        return;
      }
      const entry: Entry = { host: hostname, addresses, at: this.#now(), turn: 0 };
      this.#entries.delete(key);
      if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value as string);
      this.#entries.set(key, entry);
      for (const w of waiters) answer(w, entry);
    };
    try {
      this.#lookup(hostname, { ...asked, all: true }, settle);
    } catch (e) {
      // A lookup that throws (dns.lookup does for arguments it refuses) must not leave its waiters, and every later
      // connect to the name, waiting on an answer that never comes.
      process.nextTick(settle, e as NodeJS.ErrnoException, []);
    }
  }
}

/** Hands the kept addresses to one connect, each connect starting one further on (see rotated()). */
function answer(waiter: Waiter, entry: Entry): void {
  const addresses = rotated(entry.addresses, entry.turn++);
  if (waiter.all) {
    waiter.callback(null, addresses);
    return;
  }
  const first = addresses[0] as LookupAddress;
  waiter.callback(null, first.address, first.family);
}

/**
 * The addresses turned `turn` places, each family among its own positions: a name that DNS balances over several
 * addresses (round robin) keeps spreading clients over all of them, as a lookup per client did, and the order of
 * families that getaddrinfo chose (which net's happy eyeballs follows) stays as it was.
 */
export function rotated(addresses: readonly LookupAddress[], turn: number): LookupAddress[] {
  if (addresses.length < 2) return addresses.slice();
  const byFamily = new Map<number, LookupAddress[]>();
  for (const a of addresses) {
    const same = byFamily.get(a.family);
    if (same === undefined) byFamily.set(a.family, [a]);
    else same.push(a);
  }
  const next = new Map<number, number>();
  return addresses.map((a) => {
    const same = byFamily.get(a.family) as LookupAddress[];
    const i = next.get(a.family) ?? turn % same.length;
    next.set(a.family, (i + 1) % same.length);
    return same[i] as LookupAddress;
  });
}

function notFound(hostname: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
}
