/**
 * Certificate tickets: what a `certificate-ticket` realm sets as a cookie on a client that presented a verified
 * certificate, so that the same client can later be admitted without one (iOS Safari sends no client certificate
 * on WebSocket connections). A ticket is stateless, so every worker and every restart accepts it:
 *
 *   v2.<base64url(JSON payload)>.<base64url(HMAC-SHA256(secret, "v2\0" realm "\0" payload))>
 *
 * The payload carries the certificate's fingerprint, subject (as printed and as attributes), SANs and serial, what
 * judging its chain again needs (the root's fingerprint, each lower certificate's serial and issuer, when the first
 * of them ends: the TLS layer's ChainFacts, which it computes and judges), and the expiry in seconds since the epoch. A v1 ticket (before the chain was
 * kept) is refused, with a reason that says so. The realm name is inside the MAC but not the payload: a ticket issued by
 * one realm never verifies in another, even one sharing its secret. Verification tries every secret (rotation:
 * the first line of the secret file signs, every line verifies) and compares MACs in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AccessIdentity, SanType, SubjectAltName } from '../types.js';

const VERSION = 'v2';
const EARLIER_VERSION = 'v1';
/** Cookies beyond about 4 KB are dropped by browsers; a ticket that long is refused before parsing. */
export const MAXIMUM_TICKET_LENGTH = 4000;

/**
 * What a ticket keeps of the chain its certificate was verified along, to be judged again wherever it is shown: the
 * TLS layer's ChainFacts (src/tls/chain-facts.ts), which computes and judges them; carried here as they are.
 */
export interface TicketChain {
  readonly root: string;
  /** When the first certificate of the chain ends, in ms since the epoch. */
  readonly end: number;
  readonly links: readonly { readonly serial: string; readonly issuer: string; readonly keyId: string }[];
}

/** What a ticket stands for: the facts of the certificate the access rules, logs and backends read. */
export interface TicketIdentity {
  readonly subject: string | undefined;
  readonly subjectAttributes: Readonly<Record<string, readonly string[]>>;
  readonly sans: readonly SubjectAltName[];
  readonly fingerprint256: string;
  readonly serialNumber: string | undefined;
  /** The chain the certificate was verified along, to judge the ticket again wherever it is shown. */
  readonly chain: TicketChain;
}

interface Payload {
  readonly f: string;
  readonly s: string | null;
  readonly a: Record<string, string[]>;
  readonly n: [SanType, string][];
  readonly x: string | null;
  /** TicketChain: root, end (ms since the epoch), links as [serial, issuer, keyId]. */
  readonly c: { readonly r: string; readonly e: number; readonly l: [string, string, string][] };
  /** Expiry, whole seconds since the epoch. */
  readonly e: number;
}

export type TicketCheck = { readonly ok: true; readonly identity: TicketIdentity; readonly expiresAt: number } | { readonly ok: false; readonly reason: string };

function mac(secret: Buffer, realm: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(`${VERSION}\0${realm}\0${payload}`).digest();
}

/** The facts of a verified certificate a ticket is issued from: what it stands for. */
export type TicketSource = AccessIdentity & { readonly serialNumber?: string | undefined };

/** A ticket and how many seconds it lasts; or why none was issued. */
export type IssuedTicket = { readonly ticket: string; readonly lifetimeS: number } | { readonly ticket: undefined; readonly reason: string };

/**
 * How many seconds a ticket issued at `nowMs` for a certificate verified along `chain` lasts: `maxAgeS`, but never
 * past the end of the certificate or a CA of its chain, from when the certificate would be refused, and so is what
 * stands for it.
 */
export function ticketLifetimeS(chain: TicketChain, nowMs: number, maxAgeS: number): number {
  return Math.max(0, Math.min(maxAgeS, Math.floor(chain.end / 1000) - Math.floor(nowMs / 1000)));
}

/**
 * A ticket for a certificate verified along `chain`, valid for ticketLifetimeS from `nowMs`, signed with `secret`,
 * and that lifetime; or why none can be issued: the chain could not be read (undefined), or the ticket would be too
 * long for a cookie (MAXIMUM_TICKET_LENGTH).
 */
export function issueTicket(identity: TicketSource, chain: TicketChain | undefined, realm: string, secret: Buffer, nowMs: number, maxAgeS: number): IssuedTicket {
  if (identity.fingerprint256 === undefined) return { ticket: undefined, reason: 'the certificate has no fingerprint to stand for' };
  if (chain === undefined) return { ticket: undefined, reason: 'a certificate of its chain could not be read for the ticket (a negative serial number, say)' };
  const lifetimeS = ticketLifetimeS(chain, nowMs, maxAgeS);
  const payload: Payload = {
    f: identity.fingerprint256,
    s: identity.subject ?? null,
    a: Object.fromEntries(Object.entries(identity.subjectAttributes).map(([k, v]) => [k, [...v]])),
    n: identity.sans.map((s) => [s.type, s.value]),
    x: identity.serialNumber ?? null,
    c: { r: chain.root, e: chain.end, l: chain.links.map((l) => [l.serial, l.issuer, l.keyId]) },
    e: Math.floor(nowMs / 1000) + lifetimeS,
  };
  const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  const ticket = `${VERSION}.${body}.${mac(secret, realm, body).toString('base64url')}`;
  if (ticket.length > MAXIMUM_TICKET_LENGTH) return { ticket: undefined, reason: `the ticket would be ${ticket.length} characters, more than a cookie may hold (${MAXIMUM_TICKET_LENGTH}): the certificate's names are too long` };
  return { ticket, lifetimeS };
}

/** Why a ticket standing for the certificate `subject` is refused now: `failure` is what the TLS layer found. */
export function ticketRefusal(subject: string, failure: string): string {
  return `certificate ticket of "${subject}" refused: ${failure}`;
}

/** True when `text` has the shape of a ticket (and so is worth a MAC): other tokens in the same cookie jar are skipped. */
export function looksLikeTicket(text: string): boolean {
  return (text.startsWith(`${VERSION}.`) || text.startsWith(`${EARLIER_VERSION}.`)) && text.length <= MAXIMUM_TICKET_LENGTH;
}

/**
 * Checks a ticket against every secret: its MAC, then its expiry. A ticket whose expiry lies further ahead than
 * `maxAgeS` (one issued under a longer max-age since shortened) is refused too. Never throws.
 */
export function verifyTicket(ticket: string, realm: string, secrets: readonly Buffer[], nowMs: number, maxAgeS: number): TicketCheck {
  if (!looksLikeTicket(ticket)) return { ok: false, reason: 'not a certificate ticket' };
  if (ticket.startsWith(`${EARLIER_VERSION}.`)) return { ok: false, reason: 'certificate ticket of an earlier version, which does not say what its certificate was verified along: presenting the certificate again gets a new one' };
  const parts = ticket.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'malformed certificate ticket' };
  const [, body, tag] = parts as [string, string, string];
  const given = Buffer.from(tag, 'base64url');
  // Every secret is tried, whichever matches: which one signed is not revealed by the time taken.
  let matched = false;
  for (const secret of secrets) {
    const expected = mac(secret, realm, body);
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
  }
  if (!matched) return { ok: false, reason: 'certificate ticket signature does not verify (forged, altered, from another realm, or its secret was retired)' };
  const payload = parsePayload(body);
  if (payload === undefined) return { ok: false, reason: 'malformed certificate ticket' };
  const now = Math.floor(nowMs / 1000);
  if (payload.e <= now) return { ok: false, reason: `certificate ticket expired ${now - payload.e} s ago` };
  if (payload.e - now > maxAgeS) return { ok: false, reason: 'certificate ticket outlives the realm\'s max-age' };
  return {
    ok: true,
    expiresAt: payload.e * 1000,
    identity: {
      fingerprint256: payload.f,
      subject: payload.s ?? undefined,
      subjectAttributes: payload.a,
      sans: payload.n.map(([type, value]) => ({ type, value })),
      serialNumber: payload.x ?? undefined,
      chain: { root: payload.c.r, end: payload.c.e, links: payload.c.l.map(([serial, issuer, keyId]) => ({ serial, issuer, keyId })) },
    },
  };
}

const SAN_TYPES = new Set<string>(['DNS', 'URI', 'EMAIL', 'IP']);

/** The payload, shape-checked: it was signed by this gateway, but a shape check costs little and guards a bug. */
function parsePayload(body: string): Payload | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const p = value as Record<string, unknown>;
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
  if (typeof p['f'] !== 'string' || !Number.isSafeInteger(p['e'])) return undefined;
  if (p['s'] !== null && typeof p['s'] !== 'string') return undefined;
  if (p['x'] !== null && typeof p['x'] !== 'string') return undefined;
  const a = p['a'];
  if (typeof a !== 'object' || a === null || Array.isArray(a) || !Object.values(a).every(strings)) return undefined;
  const n = p['n'];
  if (!Array.isArray(n) || !n.every((e) => strings(e) && e.length === 2 && SAN_TYPES.has(e[0] as string))) return undefined;
  const c = p['c'];
  if (typeof c !== 'object' || c === null) return undefined;
  const chain = c as Record<string, unknown>;
  if (typeof chain['r'] !== 'string' || !Number.isSafeInteger(chain['e'])) return undefined;
  const l = chain['l'];
  if (!Array.isArray(l) || !l.every((e) => strings(e) && e.length === 3)) return undefined;
  return value as Payload;
}
