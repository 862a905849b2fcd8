/**
 * The live sessions of a gateway: every client a service holds after admission (WebSocket and byte-stream
 * clients, any service type), from the moment a listener hands it to its service until its socket closes. One
 * registry per Gateway, shared by every listener and kept across reloads, so that whoever watches or judges live
 * connections (status, metrics, live policy, drain) reads one place.
 *
 * Cheap by construction: adding and removing are O(1) map operations, byte counts are plain fields the copy loop
 * adds to, and the only timers are the one shared close-grace list, armed only while a close is in progress, and
 * the one for the earliest end of a client certificate (certificate-ends.ts).
 */
import type { End } from '../pipe/ends.js';
import { chainEnd } from '../tls/chain-end.js';
import type { ClientIdentity } from '../tls/identity.js';
import { DeadlineList, type Clock, type Deadline } from '../timers/deadlines.js';
import { CertificateEnds, type CertificateEndHandler } from './certificate-ends.js';
import type { Service } from './types.js';

/** Bytes of payload carried so far, updated as they flow (not only at close). */
export interface Traffic {
  /** From the client (downstream) towards the service. */
  bytesIn: number;
  /** From the service to the client. */
  bytesOut: number;
}

/** How long a client asked to close has to finish before its connection is dropped. */
export const SESSION_CLOSE_GRACE_MS = 2000;

export interface SessionInit {
  readonly id: string;
  readonly service: Service;
  readonly accept: string;
  readonly path: string | undefined;
  readonly downstreamAddress: string;
  readonly downstreamPort: number;
  readonly identity: ClientIdentity | undefined;
  /** The name a realm admitted the client as (a user, or a token's digest); undefined without a realm. */
  readonly principal?: string | undefined;
  /** A browser's Origin and the Host it asked for, judged again when the cross-site-constraints change. */
  readonly origin?: string | undefined;
  readonly host?: string | undefined;
  readonly openedAt: number;
  readonly traffic: Traffic;
  /** The client's end as the service got it: closing the session closes this. */
  readonly end: End;
}

export class Session {
  /** The connection id, as on its log lines. */
  readonly id: string;
  /** The service instance that serves it: after a reload, possibly not the one its name now maps to. */
  readonly service: Service;
  /** The accept URI it came in on, and the request path (undefined on byte streams). */
  readonly accept: string;
  readonly path: string | undefined;
  /** The client's address and port as a trusted PROXY header names them, or the socket's peer. */
  readonly downstreamAddress: string;
  readonly downstreamPort: number;
  /** The TLS client identity (subject, fingerprint256, …); undefined without TLS. */
  readonly identity: ClientIdentity | undefined;
  /** The name a realm admitted the client as (a user, or a token's digest); undefined without a realm. */
  readonly principal: string | undefined;
  /** A browser's Origin and the Host it asked for (undefined from a client that sends no Origin). */
  readonly origin: string | undefined;
  readonly host: string | undefined;
  /** Date.now() when it was admitted. */
  readonly openedAt: number;
  /** Live byte counts. */
  readonly traffic: Traffic;
  /**
   * When its verified client certificate, or a CA of its chain, ends (ms since the epoch): the session is judged
   * again then (certificate-ends.ts), which clears this. Undefined without a verified certificate.
   */
  certificateEndsAt: number | undefined;
  readonly #end: End;
  readonly #registry: SessionRegistry;
  #grace: Deadline | undefined;
  #closing: { readonly code: number; readonly reason: string } | undefined;

  constructor(init: SessionInit, registry: SessionRegistry) {
    this.id = init.id;
    this.service = init.service;
    this.accept = init.accept;
    this.path = init.path;
    this.downstreamAddress = init.downstreamAddress;
    this.downstreamPort = init.downstreamPort;
    this.identity = init.identity;
    this.principal = init.principal;
    this.origin = init.origin;
    this.host = init.origin === undefined ? undefined : init.host;
    this.openedAt = init.openedAt;
    this.traffic = init.traffic;
    this.certificateEndsAt = chainEnd(init.identity);
    this.#end = init.end;
    this.#registry = registry;
  }

  get serviceName(): string {
    return this.service.config.name;
  }

  /** Set once close() was called: the code and reason the gateway closed it with. */
  get closing(): { readonly code: number; readonly reason: string } | undefined {
    return this.#closing;
  }

  /**
   * Closes the client: a WebSocket gets a close frame with `code` (1008 policy, 1001 going away) and `reason`; a
   * byte stream gets a FIN, except for a policy close (1008), which destroys it at once so that nothing more it
   * sends is carried. A client that has not finished closing within the grace period is dropped. The service sees
   * the close as it sees any client close, and logs the connection's close line. Safe to call more than once:
   * the first call decides.
   */
  close(code: number, reason: string): void {
    if (this.#closing || !this.#registry.has(this)) return;
    this.#closing = { code, reason };
    if (this.#end.kind === 'bytes' && code === 1008) {
      this.#end.abort();
      return;
    }
    this.#end.close(code, reason);
    this.#grace = this.#registry.graceFor(() => this.#end.destroy());
  }

  /** Called by the registry when the connection has closed. */
  released(): void {
    this.#grace?.cancel();
    this.#grace = undefined;
  }
}

export class SessionRegistry {
  readonly #byId = new Map<string, Session>();
  readonly #perService = new Map<Service, number>();
  readonly #grace: DeadlineList;
  readonly #emptied = new Map<Service, (() => void)[]>();
  readonly #released = new Map<Session, (() => void)[]>();
  readonly #certificateEnds: CertificateEnds;

  /** `wallClock`: what certificates' ends are timed with (Date.now and unref'd timers unless a test gives one). */
  constructor(options: { readonly closeGraceMs?: number; readonly clock?: Clock; readonly wallClock?: Clock } = {}) {
    this.#grace = new DeadlineList(options.closeGraceMs ?? SESSION_CLOSE_GRACE_MS, options.clock);
    this.#certificateEnds = new CertificateEnds(() => this.#byId.values(), options.wallClock);
  }

  /** Registers a client its service has just taken over. */
  open(init: SessionInit): Session {
    const session = new Session(init, this);
    this.#byId.set(session.id, session);
    this.#perService.set(init.service, (this.#perService.get(init.service) ?? 0) + 1);
    if (session.certificateEndsAt !== undefined) this.#certificateEnds.add(session.certificateEndsAt);
    return session;
  }

  /**
   * From now on, calls `handler` with the live sessions whose client certificate (or a CA of its chain) has ended,
   * each once, at its end: whoever enforces the rules judges them again (Gateway).
   */
  onCertificateEnd(handler: CertificateEndHandler): void {
    this.#certificateEnds.start(handler);
  }

  /** Forgets a session whose connection has closed; safe to call twice. */
  release(session: Session): void {
    if (this.#byId.get(session.id) !== session) return;
    this.#byId.delete(session.id);
    session.released();
    const watchers = this.#released.get(session);
    if (watchers) {
      this.#released.delete(session);
      for (const fn of watchers) fn();
    }
    const left = (this.#perService.get(session.service) ?? 1) - 1;
    if (left > 0) {
      this.#perService.set(session.service, left);
      return;
    }
    this.#perService.delete(session.service);
    const waiting = this.#emptied.get(session.service);
    this.#emptied.delete(session.service);
    for (const fn of waiting ?? []) fn();
  }

  has(session: Session): boolean {
    return this.#byId.get(session.id) === session;
  }

  get(id: string): Session | undefined {
    return this.#byId.get(id);
  }

  get size(): number {
    return this.#byId.size;
  }

  /** Live sessions in the order they were opened. Closing one while iterating is safe. */
  values(): IterableIterator<Session> {
    return this.#byId.values();
  }

  [Symbol.iterator](): IterableIterator<Session> {
    return this.#byId.values();
  }

  /** How many live sessions a service instance holds. */
  countFor(service: Service): number {
    return this.#perService.get(service) ?? 0;
  }

  /** Calls `fn` once the service instance holds no session (at once if it holds none). */
  whenEmpty(service: Service, fn: () => void): void {
    if (this.countFor(service) === 0) {
      fn();
      return;
    }
    const list = this.#emptied.get(service);
    if (list) list.push(fn);
    else this.#emptied.set(service, [fn]);
  }

  /** Calls `fn` once `session` is released (at once if it is not live). */
  whenReleased(session: Session, fn: () => void): void {
    if (!this.has(session)) {
      fn();
      return;
    }
    const list = this.#released.get(session);
    if (list) list.push(fn);
    else this.#released.set(session, [fn]);
  }

  /** A close-grace deadline on the shared list. */
  graceFor(onExpire: () => void): Deadline {
    return this.#grace.add(onExpire);
  }

  /** Cancels every pending close deadline, watcher and certificate end (the gateway has stopped). */
  clear(): void {
    this.#certificateEnds.stop();
    this.#grace.clear();
    this.#released.clear();
    this.#emptied.clear();
  }
}
