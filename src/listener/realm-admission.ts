/**
 * The realm of the service a request is routed to (`<realm-name>`), applied to one request: the decision
 * (auth/realm/realm.ts), its log line, and what it changes about the connection. A client admitted by a
 * certificate ticket becomes that certificate's identity on the connection record, so the access-constraints,
 * the log lines and what backends are told (PROXY header, `http.header`) all see the certificate it stands for.
 */
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { decide, type Realm, type RealmDecision, type RequestKind } from '../auth/realm/realm.js';
import type { TicketIdentity } from '../auth/realm/ticket.js';
import type { AuthorizationConstraintConfig, VerifyClient } from '../config/types.js';
import type { ClientIdentity } from '../tls/identity.js';
import type { DownstreamConnection } from './connection.js';

export interface RealmAdmission {
  readonly realm: Realm;
  readonly authorization: AuthorizationConstraintConfig | undefined;
  readonly verifyClient: VerifyClient;
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
  };
}

/**
 * Decides and logs; on admission by a ticket, sets the connection's identity and principal. Never throws: a
 * failure inside a login module is a 401, logged with its reason.
 */
export async function admitByRealm(admission: RealmAdmission, conn: DownstreamConnection, req: IncomingMessage, log: Logger): Promise<RealmDecision> {
  const { realm } = admission;
  const realmName = realm.config.name;
  let decision: RealmDecision;
  try {
    decision = await decide({ realm, authorization: admission.authorization, verifyClient: admission.verifyClient, request: { headers: req.headers, url: req.url, identity: conn.identity }, kind: admission.kind });
  } catch (err) {
    decision = { ok: false, status: 401, reason: `login failed: ${(err as Error).message}`, challenge: undefined, principal: undefined };
  }
  const fields = { downstream: conn.downstream, service: admission.service, realm: realmName };
  if (!decision.ok) {
    const code = decision.status === 401 ? 'GW_ERR_REALM_UNAUTHENTICATED' : 'GW_ERR_REALM_FORBIDDEN';
    const what = decision.status === 401 ? 'realm not passed' : 'role missing';
    log.warn({ ...fields, code, status: decision.status, reason: decision.reason, ...(decision.principal ? { principal: decision.principal.name } : {}) }, `${what}: request refused`);
    return decision;
  }
  if (decision.ticketIdentity !== undefined) conn.identity = ticketClientIdentity(decision.ticketIdentity, realmName);
  if (decision.principal !== undefined) conn.principal = { name: decision.principal.name, realm: realmName, roles: decision.roles };
  log.debug({ ...fields, by: decision.by, principal: decision.principal?.name, ticket: decision.ticketIdentity !== undefined, ticketIssued: decision.setCookie !== undefined }, 'realm passed');
  return decision;
}
