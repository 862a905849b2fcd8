/**
 * The access-constraints of the service a client is routed to, for its identity, address and request path; a
 * refusal is logged with the conditions that failed, and returned for the record of recent refusals.
 */
import type { Logger } from 'pino';
import type { DownstreamConnection } from './connection.js';
import type { Route } from './routes.js';

export function accessDenial(route: Route, conn: DownstreamConnection, path: string, log: Logger, identity = conn.identity): string | undefined {
  const denial = route.access.check({ identity, address: conn.endpoints.address, acceptPath: route.accept.path, requestPath: path });
  if (denial !== undefined) logAccessDenied(route.service.config.name, conn, denial, log, identity);
  return denial;
}

export function logAccessDenied(service: string, conn: DownstreamConnection, denial: string, log: Logger, identity = conn.identity): void {
  log.warn(
    {
      event: 'refused',
      downstream: conn.downstream,
      service,
      code: 'GW_ERR_ACCESS_DENIED',
      reason: denial,
      ...(identity?.presented ? { subject: identity.subject, fingerprint: identity.fingerprint256 } : {}),
    },
    'access refused',
  );
}

/** What a client refused by an access-constraint is told: not which conditions failed. */
export const ACCESS_REFUSED = 'Forbidden: access-constraint not satisfied.';

/**
 * What a refusal for `denial` is recorded as (the recent refusals of `status` and the status page): the conditions
 * that failed, which the client itself is not told; with the HTTP status it was answered with, if any.
 */
export function deniedMessage(denial: string, http = true): string {
  return `${http ? '403 Forbidden: ' : ''}access-constraint not satisfied: ${denial}`;
}
