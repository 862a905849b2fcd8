/**
 * Judging live sessions again when the rules change under them (a reload, a CRL update), with the handshake's and
 * the upgrade's own rules: the client certificate against the trust in force (tls/reverify.ts), then verify-client
 * and verify-depth (refusalReason), then the access-constraints of the accept the session came in on, then its
 * cross-site-constraints for a browser's Origin.
 */
import type { VerifyClient } from '../config/types.js';
import type { Session } from '../services/sessions.js';
import { refusalReason } from '../tls/identity.js';
import type { TrustState } from '../tls/resumed.js';
import { originRefusal } from '../auth/origin.js';
import { ticketRefusal } from '../auth/realm/ticket.js';
import { chainFactsFailure, judgeChainFacts } from '../tls/chain-facts.js';
import { reverify } from '../tls/reverify.js';
import { UNTRUSTED_CHAIN } from '../tls/untrusted.js';
import type { DownstreamConnection } from './connection.js';
import type { Route } from './routes.js';

/** A live session that the rules now in force would refuse, and which rule refuses it. */
export interface LiveRefusal {
  readonly session: Session;
  /**
   * `revoked` (a CRL lists its certificate or a CA of its chain), `untrusted` (its CA left the truststore),
   * `certificate` (another certificate rule: expired since, ssl.verify-depth, verify-client), `access` (an
   * access-constraint), `origin` (the service's cross-site-constraints no longer allow a browser's Origin). The same words as the `reason` label of gateway_policy_closes_total.
   */
  readonly rule: 'revoked' | 'untrusted' | 'certificate' | 'access' | 'origin';
  readonly reason: string;
}

/** Why the rules in force refuse a connection: the rule, the reason in words, and its code (OpenSSL's, for a certificate). */
export interface Verdict {
  readonly rule: LiveRefusal['rule'];
  readonly reason: string;
  readonly code: string;
}

/** Which sessions to judge, and when: by default all of them, now. */
export interface JudgeOptions {
  /** Only these (those whose certificate has just ended, say). */
  readonly only?: ReadonlySet<Session> | undefined;
  /** The time certificates are judged at, in ms since the epoch. */
  readonly now?: number | undefined;
  /** Only the sessions a realm's certificate ticket admitted (another listener's trust has changed). */
  readonly ticketsOnly?: boolean | undefined;
}

/** The rules a connection is judged under: its address's, and every address's trust for certificate tickets. */
export interface LiveRules {
  readonly verifyClient: VerifyClient;
  readonly verifyDepth: number | undefined;
  readonly trusts: () => readonly TrustState[];
}

/** Where a connection came in: its service (by name), the accept URI and the request path; a browser's Origin and Host. */
export interface CameIn {
  readonly serviceName: string;
  readonly accept: string;
  readonly path: string | undefined;
  readonly origin?: string | undefined;
  readonly host?: string | undefined;
}

/**
 * The sessions among `connections` that the rules would refuse now. A session already closing, or whose accept is
 * gone from its service (it is being drained), is not judged.
 */
export function judgeAgain(
  connections: Iterable<DownstreamConnection>,
  routes: readonly Route[],
  trust: TrustState | undefined,
  rules: LiveRules,
  options: JudgeOptions = {},
): LiveRefusal[] {
  const refused: LiveRefusal[] = [];
  let trusts: readonly TrustState[] | undefined;
  const allTrusts = (): readonly TrustState[] => (trusts ??= rules.trusts());
  for (const conn of connections) {
    const session = conn.session;
    if (!session || session.closing) continue;
    if (options.only !== undefined && !options.only.has(session)) continue;
    if (options.ticketsOnly === true && conn.identity?.ticketChain === undefined) continue;
    const verdict = judgeConnection(conn, session, routes, trust, { ...rules, trusts: allTrusts }, options.now);
    if (verdict !== undefined && verdict !== 'gone') refused.push({ session, rule: verdict.rule, reason: verdict.reason });
  }
  return refused;
}

/**
 * One connection under the rules in force, as it came in (`on`): undefined when they admit it, `gone` when its
 * service no longer has its accept (which is the caller's to close, as an accept removed), or the rule that refuses
 * it and why.
 */
export function judgeConnection(
  conn: DownstreamConnection,
  on: CameIn,
  routes: readonly Route[],
  trust: TrustState | undefined,
  rules: LiveRules,
  now?: number,
): Verdict | 'gone' | undefined {
  // Its own service's accept: another service that took the URI over is not what it connected to.
  const route = routes.find((r) => r.accept.uri === on.accept && r.service.config.name === on.serviceName);
  if (!route) return 'gone';
  let identity = conn.identity;
  let code: string | undefined;
  let reason: string | undefined;
  if (identity?.ticketChain !== undefined) {
    // A ticket stands for a verified certificate wherever it is shown, whatever this address's verify-client.
    code = judgeChainFacts(identity.ticketChain, rules.trusts(), now);
    if (code !== undefined) reason = ticketRefusal(identity.subject ?? identity.fingerprint256 ?? '?', chainFactsFailure(code));
  } else if (identity !== undefined) {
    identity = reverify(identity, trust, now);
    code = identity.error;
    reason = refusalReason(identity, rules.verifyClient, rules.verifyDepth);
  }
  if (reason !== undefined) {
    const rule = code === 'CERT_REVOKED' ? 'revoked' : code !== undefined && UNTRUSTED_CHAIN.has(code) ? 'untrusted' : 'certificate';
    // A ticket's reason begins with the subject; a certificate's with its code, as refusalReason words it.
    return { rule, reason, code: identity?.ticketChain !== undefined && code !== undefined ? code : (reason.split(':')[0] ?? reason) };
  }
  const denial = route.access.check({ identity, address: conn.endpoints.address, acceptPath: route.accept.path, requestPath: on.path ?? '/' });
  if (denial !== undefined) return { rule: 'access', reason: denial, code: 'access' };
  const foreign = originRefusal(on.origin, { accept: route.accept, hostHeader: on.host, secure: conn.tls !== undefined }, route.service.config.crossSiteConstraints);
  return foreign === undefined ? undefined : { rule: 'origin', reason: foreign, code: 'origin' };
}
