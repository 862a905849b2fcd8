/**
 * The realm of the service a request is routed to (`<realm-name>`), applied to one request: the decision
 * (auth/realm/realm.ts), its log line, and who the request is from. A client admitted by a certificate ticket
 * is that certificate's identity for this request, so the access-constraints, the log lines and what backends are
 * told (PROXY header, `http.header`) all see the certificate it stands for. It is never written on the connection
 * record by a plain request: a kept-alive connection's next request (perhaps to a service without a realm) must
 * be judged on its own credentials, not on a ticket an earlier request carried.
 */
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { decide, type Realm, type RealmDecision, type RequestKind } from '../auth/realm/realm.js';
import type { TicketIdentity } from '../auth/realm/ticket.js';
import type { AuthorizationConstraintConfig, VerifyClient } from '../config/types.js';
import type { ClientIdentity } from '../tls/identity.js';
import { chainFactsFailure, chainFactsOf, judgeChainFacts, type ChainFacts } from '../tls/chain-facts.js';
import type { TrustState } from '../tls/resumed.js';
import type { Principal } from '../services/types.js';
import type { DownstreamConnection } from './connection.js';

export interface RealmAdmission {
  readonly realm: Realm;
  readonly authorization: AuthorizationConstraintConfig | undefined;
  readonly verifyClient: VerifyClient;
  /** What a certificate ticket is judged against (ListenerOptions.trusts). */
  readonly trusts: () => readonly TrustState[];
  readonly service: string;
  readonly kind: RequestKind;
}

/** The identity a certificate ticket stands for, shaped as the TLS layer's: verified, without the DER it never saw. */
export function ticketClientIdentity(ticket: TicketIdentity, realm: string): ClientIdentity {
  return {
    presented: true,
    verified: true,
    error: undefined,
    subject: ticket.subject,
    subjectAttributes: ticket.subjectAttributes,
    issuer: undefined,
    sans: ticket.sans,
    fingerprint256: ticket.fingerprint256,
    serialNumber: ticket.serialNumber,
    validTo: undefined,
    chainDepth: undefined,
    certificateDer: undefined,
    chainDer: [],
    ticket: realm,
    ticketChain: ticket.chain,
  };
}

/** What a certificate ticket keeps of the chain a verified certificate was verified along. */
function chainOf(identity: ClientIdentity | undefined): ChainFacts | undefined {
  return identity?.certificateDer === undefined ? undefined : chainFactsOf(identity.certificateDer, identity.chainDer);
}

/**
 * The certificates already said to get no ticket (GW_ERR_REALM_TICKET), by fingerprint: said once, not on every
 * request of a page's assets. Forgotten whole past 4,096, to stay bounded.
 */
const unticketed = new Set<string>();

function firstTimeUnticketed(fingerprint: string): boolean {
  if (unticketed.has(fingerprint)) return false;
  if (unticketed.size >= 4096) unticketed.clear();
  unticketed.add(fingerprint);
  return true;
}

/** Why a ticket's chain is not honoured against `trusts` now, in words; undefined when it is. */
function judgeTicket(chain: ChainFacts, trusts: readonly TrustState[]): string | undefined {
  const code = judgeChainFacts(chain, trusts);
  return code === undefined ? undefined : chainFactsFailure(code);
}

/** What a client its realm did not admit is answered: the status's message, and the challenge or the wait. */
export function realmRefusal(decision: Extract<RealmDecision, { ok: false }>, realmName: string): { readonly message: string; readonly headers: Readonly<Record<string, string>> } {
  const message =
    decision.status === 401
      ? `Unauthorized: realm "${realmName}" needs valid credentials.`
      : decision.status === 403
        ? `Forbidden: a role this service requires in realm "${realmName}" is missing.`
        : `Too many wrong passwords for realm "${realmName}" from this address: try again in ${decision.retryAfterS ?? 0} s.`;
  const headers: Record<string, string> = {};
  if (decision.challenge !== undefined) headers['WWW-Authenticate'] = decision.challenge;
  if (decision.retryAfterS !== undefined) headers['Retry-After'] = String(decision.retryAfterS);
  return { message, headers };
}

/** Who a request is from: the TLS identity, or the one a ticket stands for; the realm's principal if it named one. */
export interface RequestCredentials {
  readonly identity: ClientIdentity | undefined;
  readonly principal: Principal | undefined;
}

/** Who a request admitted by its realm is from. */
export function credentialsOf(decision: RealmDecision, realmName: string, conn: DownstreamConnection): RequestCredentials {
  if (!decision.ok) return { identity: conn.identity, principal: undefined };
  return {
    identity: decision.ticketIdentity !== undefined ? ticketClientIdentity(decision.ticketIdentity, realmName) : conn.identity,
    principal: decision.principal !== undefined ? { name: decision.principal.name, realm: realmName, roles: decision.roles } : undefined,
  };
}

/**
 * Decides and logs; the connection record is not changed (see credentialsOf). Never throws: a failure inside a
 * login module is a 401, logged with its reason.
 */
export async function admitByRealm(admission: RealmAdmission, conn: DownstreamConnection, req: IncomingMessage, log: Logger): Promise<RealmDecision> {
  const { realm } = admission;
  const realmName = realm.config.name;
  let decision: RealmDecision;
  try {
    decision = await decide({ realm, authorization: admission.authorization, verifyClient: admission.verifyClient, request: { headers: req.headers, url: req.url, identity: conn.identity, secure: conn.tls !== undefined, address: conn.endpoints.address, chain: () => chainOf(conn.identity), judgeTicket: (chain) => judgeTicket(chain, admission.trusts()) }, kind: admission.kind });
  } catch (err) {
    decision = { ok: false, status: 401, reason: `login failed: ${(err as Error).message}`, challenge: undefined, principal: undefined };
  }
  const fields = { downstream: conn.downstream, service: admission.service, realm: realmName };
  if (!decision.ok && decision.challenged === true) {
    log.info({ ...fields, code: 'GW_ERR_REALM_UNAUTHENTICATED', status: 401 }, 'realm challenge: no credentials sent, asked for them');
    return decision;
  }
  if (!decision.ok) {
    const code = decision.status === 401 ? 'GW_ERR_REALM_UNAUTHENTICATED' : decision.status === 403 ? 'GW_ERR_REALM_FORBIDDEN' : 'GW_ERR_REALM_THROTTLED';
    const what = decision.status === 401 ? 'realm not passed' : decision.status === 403 ? 'role missing' : 'too many wrong passwords';
    log.warn({ event: 'refused', ...fields, code, status: decision.status, reason: decision.reason, ...(decision.principal ? { principal: decision.principal.name } : {}) }, `${what}: request refused`);
    return decision;
  }
  if (decision.ticketNotIssued !== undefined && firstTimeUnticketed(conn.identity?.fingerprint256 ?? '')) {
    log.warn({ ...fields, code: 'GW_ERR_REALM_TICKET', subject: conn.identity?.subject, reason: decision.ticketNotIssued }, 'no certificate ticket issued for a verified certificate (said once per certificate)');
  }
  log.debug({ ...fields, by: decision.by, principal: decision.principal?.name, ticket: decision.ticketIdentity !== undefined, ticketIssued: decision.setCookie !== undefined }, 'realm passed');
  return decision;
}
