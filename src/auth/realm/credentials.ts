/**
 * Where a request's credentials are: the `Authorization` header, and tokens in the headers, query parameters and
 * cookies the realm names (Kaazing's `http-header`, `http-query-parameter`, `http-cookie`). Browsers cannot set
 * headers on a WebSocket upgrade, so a cookie or a query parameter is how a page's script sends a token.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { parse as parseCookies } from 'cookie';
import type { RealmConfig } from '../../config/types.js';
import type { TicketChain, TicketSource } from './ticket.js';
import type { Credentials } from './types.js';

export interface RealmRequest {
  readonly headers: IncomingHttpHeaders;
  /** The request target (`/path?query`). */
  readonly url: string | undefined;
  /**
   * The TLS client identity; only a verified certificate counts. One that a ticket stood for on an earlier request
   * of the same kept-alive connection (`ticket` set) does not: each request shows its ticket again, and a ticket is
   * never renewed from a ticket.
   */
  readonly identity: (TicketSource & { readonly ticket?: string | undefined }) | undefined;
  /** Whether the request came over TLS. */
  readonly secure: boolean;
  /** The client's address (as a trusted PROXY header gives it): failed logins are counted by it. */
  readonly address: string;
  /** What a ticket keeps of the chain the verified certificate (`identity`) was verified along; called to issue one. */
  readonly chain: () => TicketChain | undefined;
  /**
   * Why a ticket's chain is not honoured now (its certificate or a CA of it revoked since, its root no longer trusted,
   * …), judged by the TLS layer against every listener that verifies clients; undefined when it is.
   */
  readonly judgeTicket: (chain: TicketChain) => string | undefined;
}

type Sources = Pick<RealmConfig, 'httpHeaders' | 'httpQueryParameters' | 'httpCookies'>;

/**
 * The most candidate tokens taken from one source (a header, a query parameter, a cookie of one name): each costs a
 * login module a lookup (a file, a MAC), and a request may repeat a cookie or a query parameter hundreds of times
 * within its 16 KiB of header. Per source, so that cookies set by a sibling site cannot crowd out a bearer token.
 */
export const MAXIMUM_TOKENS = 8;

export function readCredentials(realm: Sources, request: RealmRequest): Credentials {
  const tokens: { source: string; value: string }[] = [];
  const perSource = new Map<string, number>();
  const add = (source: string, value: string | undefined): void => {
    const v = value?.trim();
    const taken = perSource.get(source) ?? 0;
    if (!v || taken >= MAXIMUM_TOKENS) return;
    perSource.set(source, taken + 1);
    tokens.push({ source, value: v });
  };
  for (const name of realm.httpHeaders) {
    const value = request.headers[name.toLowerCase()];
    for (const v of Array.isArray(value) ? value : [value]) add(`header ${name}`, v);
  }
  if (realm.httpQueryParameters.length > 0) {
    const query = new URL(request.url ?? '/', 'http://gateway.invalid').searchParams;
    for (const name of realm.httpQueryParameters) for (const v of query.getAll(name)) add(`query parameter ${name}`, v);
  }
  const cookieHeader = request.headers.cookie;
  if (realm.httpCookies.length > 0 && cookieHeader !== undefined) {
    // Every cookie of the name, in the order sent: a browser sends one set for a longer path first, so a stale token
    // set on /app must not hide a valid one set on /. A cookie value holds no `;` (RFC 6265 §4.1.1), so each
    // `name=value` pair is parsed on its own.
    const pairs = cookieHeader.split(';').map((pair) => parseCookies(pair));
    for (const name of realm.httpCookies) for (const cookies of pairs) add(`cookie ${name}`, cookies[name]);
  }
  const authorization = request.headers.authorization;
  const bearer = authorization === undefined ? undefined : /^\s*(?:Bearer|(?:Application\s+)?Token)\s+(\S+)\s*$/i.exec(authorization);
  if (bearer) add('Authorization', bearer[1]);
  const id = request.identity;
  return { authorization, tokens, certificate: id?.presented === true && id.verified && id.ticket === undefined ? id : undefined, secure: request.secure, chain: request.chain, judgeTicket: request.judgeTicket };
}
