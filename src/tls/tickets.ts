/**
 * TLS session tickets of one listener: the keys that encrypt them, shared by every context of the listener (so a
 * client resumes whichever host name it asks for) and by no other listener, and replaced when they are too old.
 *
 * The keys are derived (HKDF-SHA-256) from a secret of the gateway's, the listener's material and the period of
 * time they serve in. The material is what a resumed client was judged by in its full handshake: the listener's
 * address, host names, ssl.verify-client, ssl.verify-depth, truststore CAs and CRLs, and its certificates. So a
 * listener rebuilt with other material (a CRL re-read, a reload with another truststore or ssl.verify-client) has
 * other keys, and every ticket of the old material stops decrypting: its clients make a full handshake. A ticket
 * made on a listener whose clients needed no certificate is therefore never accepted by one that requires them
 * (the flaw of nginx's CVE-2025-23419), and the session id context (server.ts) says the same a second time. A
 * reload that changes none of it keeps the keys, and the clients' tickets with them.
 *
 * The worker processes of `start --workers` are given the primary's secret (useTicketSecret), so they derive the
 * same keys at the same moments, and a client resumes whichever worker its next connection reaches; with a secret
 * each, a ticket would be resumed only by the worker that made it. The secret moves on every hour (secretAt), the
 * old one wiped, so that no key of an hour past can be had from the process's memory.
 *
 * Node holds one ticket key per context: a ticket made under the previous key is not resumed after a rotation.
 * Rotation is checked before each handshake rather than by a timer, so nothing is left running when the listener
 * goes away; the periods start at multiples of the lifetime since the epoch, the same for every process.
 */
import { hkdfSync, randomBytes } from 'node:crypto';
import { GatewayError } from '../errors.js';
import type { SecureContext } from 'node:tls';

/** How long a set of ticket keys encrypts new tickets, and so the longest a client can resume a session. */
export const TICKET_KEY_LIFETIME_MS = 60 * 60 * 1000;

/** Node's ticket key: 16 bytes of key name, 16 of HMAC secret, 16 of AES key. */
const TICKET_KEY_BYTES = 48;

/** The bytes of the gateway's ticket secret. */
const SECRET_BYTES = 32;

/**
 * This process's ticket secret and the hour (TICKET_KEY_LIFETIME_MS since the epoch) it is for: its own, until a
 * worker is given its primary's. It is moved on hour by hour (the next is derived from it, and it is wiped), so that
 * what is in memory now gives the keys of this hour and later ones, never those of an hour already past, whose tickets
 * (a TLS 1.2 ticket holds its session's master secret) stay secret.
 */
let ratchet = { hour: hourOf(Date.now()), secret: randomBytes(SECRET_BYTES) };

function hourOf(now: number): number {
  return Math.floor(now / TICKET_KEY_LIFETIME_MS);
}

/** The secret of the hour `now` falls in, moving the process's on to it; an hour already past gets the current one. */
function secretAt(now: number): Buffer {
  const hour = hourOf(now);
  // A clock moved on by years would take long to follow hour by hour: the secret is then made anew, and tickets of
  // before are not resumed (as after a restart); in a cluster the primary gives it to its workers.
  if (hour - ratchet.hour > 100_000) ratchet = { hour, secret: randomBytes(SECRET_BYTES) };
  while (ratchet.hour < hour) {
    const next = Buffer.from(hkdfSync('sha256', ratchet.secret, Buffer.alloc(0), 'wss-gateway ticket secret, next hour', SECRET_BYTES));
    ratchet.secret.fill(0);
    ratchet = { hour: ratchet.hour + 1, secret: next };
  }
  return ratchet.secret;
}

/**
 * Moves the secret on to the current hour. Handshakes do it where TLS is served; a process that serves none (the
 * primary of `--workers`) calls this every so often, so that its memory holds no secret of an hour past.
 */
export function moveTicketSecretOn(now = Date.now()): void {
  secretAt(now);
}

/** The secret and its hour, `HOUR:HEX`, for the primary to give to its workers (and move its own on). */
export function ticketSecret(now = Date.now()): string {
  const secret = secretAt(now);
  return `${ratchet.hour}:${secret.toString('hex')}`;
}

/** In a worker, before any listener is prepared: derive ticket keys from the primary's secret (ticketSecret()). */
export function useTicketSecret(value: string): void {
  const match = new RegExp(`^(\\d{1,15}):([0-9a-f]{${SECRET_BYTES * 2}})$`).exec(value);
  if (match === null) throw new GatewayError('GW_ERR_INTERNAL', 'the primary process sent a malformed TLS session ticket secret');
  ratchet.secret.fill(0);
  ratchet = { hour: Number(match[1]), secret: Buffer.from(match[2] as string, 'hex') };
}

/** What Node's SecureContext has and its typings leave out. */
interface NativeContext {
  setTicketKeys(keys: Buffer): void;
}

export interface TicketKeyOptions {
  /** A digest of what the listener's clients are judged by (see above); listeners with other material get other keys. */
  readonly material?: Buffer | string;
  readonly lifetimeMs?: number;
  /** The clock, for tests. */
  readonly now?: () => number;
}

export class TicketKeys {
  readonly #contexts: readonly SecureContext[];
  readonly #lifetimeMs: number;
  readonly #now: () => number;
  readonly #material: Buffer | string;
  /** The period the installed keys serve: the number of lifetimes since the epoch. */
  #period = 0;
  #rotations = 0;

  constructor(contexts: readonly SecureContext[], options: TicketKeyOptions = {}) {
    this.#contexts = contexts;
    this.#lifetimeMs = options.lifetimeMs ?? TICKET_KEY_LIFETIME_MS;
    this.#now = options.now ?? Date.now;
    // Without material of its own (tests, tools), a set of keys shares none with any other.
    this.#material = options.material ?? randomBytes(SECRET_BYTES);
    this.#install(this.#currentPeriod());
  }

  /** Seconds a ticket is good for, for the contexts' session timeout: never longer than its key lives. */
  static lifetimeSeconds(lifetimeMs = TICKET_KEY_LIFETIME_MS): number {
    return Math.max(1, Math.floor(lifetimeMs / 1000));
  }

  /** How many times the keys were replaced since they were made. */
  get rotations(): number {
    return this.#rotations;
  }

  /** Before a handshake: new keys when the period of the current ones has ended. */
  refresh(): void {
    const period = this.#currentPeriod();
    if (period === this.#period) return;
    this.#rotations++;
    this.#install(period);
  }

  #currentPeriod(): number {
    return Math.floor(this.#now() / this.#lifetimeMs);
  }

  #install(period: number): void {
    const keys = Buffer.from(hkdfSync('sha256', secretAt(this.#now()), this.#material, `wss-gateway session ticket keys ${this.#lifetimeMs} ${period}`, TICKET_KEY_BYTES));
    for (const context of this.#contexts) (context.context as NativeContext).setTicketKeys(keys);
    this.#period = period;
  }
}
