/**
 * TLS session tickets of one listener: the keys that encrypt them, shared by every context of the listener (so a
 * client resumes whichever host name it asks for) and by no other listener, and replaced when they are too old.
 *
 * The keys are made with the listener's TLS (prepareServerTls), so a listener rebuilt with other material (a CRL
 * re-read, a reload with another truststore or ssl.verify-client) gets new ones and every ticket of the old
 * material stops decrypting: its clients make a full handshake. A ticket made on a listener whose clients needed
 * no certificate is therefore never accepted by one that requires them (the flaw of nginx's CVE-2025-23419),
 * and the session id context (server.ts) says the same a second time.
 *
 * Node holds one ticket key per context: a ticket made under the previous key is not resumed after a rotation.
 * Rotation is checked before each handshake rather than by a timer, so nothing is left running when the listener
 * goes away.
 */
import { randomBytes } from 'node:crypto';
import type { SecureContext } from 'node:tls';

/** How long a set of ticket keys encrypts new tickets, and so the longest a client can resume a session. */
export const TICKET_KEY_LIFETIME_MS = 60 * 60 * 1000;

/** Node's ticket key: 16 bytes of key name, 16 of HMAC secret, 16 of AES key. */
const TICKET_KEY_BYTES = 48;

/** What Node's SecureContext has and its typings leave out. */
interface NativeContext {
  setTicketKeys(keys: Buffer): void;
}

export interface TicketKeyOptions {
  readonly lifetimeMs?: number;
  /** The clock, for tests. */
  readonly now?: () => number;
}

export class TicketKeys {
  readonly #contexts: readonly SecureContext[];
  readonly #lifetimeMs: number;
  readonly #now: () => number;
  #madeAt = 0;
  #rotations = 0;

  constructor(contexts: readonly SecureContext[], options: TicketKeyOptions = {}) {
    this.#contexts = contexts;
    this.#lifetimeMs = options.lifetimeMs ?? TICKET_KEY_LIFETIME_MS;
    this.#now = options.now ?? Date.now;
    this.#install();
  }

  /** Seconds a ticket is good for, for the contexts' session timeout: never longer than its key lives. */
  static lifetimeSeconds(lifetimeMs = TICKET_KEY_LIFETIME_MS): number {
    return Math.max(1, Math.floor(lifetimeMs / 1000));
  }

  /** How many times the keys were replaced since they were made. */
  get rotations(): number {
    return this.#rotations;
  }

  /** Before a handshake: new keys when the current ones have served their lifetime. */
  refresh(): void {
    if (this.#now() - this.#madeAt >= this.#lifetimeMs) this.rotate();
  }

  /** New keys now: no ticket made before is resumed. */
  rotate(): void {
    this.#rotations++;
    this.#install();
  }

  #install(): void {
    const keys = randomBytes(TICKET_KEY_BYTES);
    for (const context of this.#contexts) (context.context as NativeContext).setTicketKeys(keys);
    this.#madeAt = this.#now();
  }
}
