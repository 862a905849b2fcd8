/**
 * The access-constraints of the service a client is routed to, for its identity, address and request path; a
 * refusal is logged with the conditions that failed, and returned for the record of recent refusals.
 */
import type { Logger } from 'pino';
import type { DownstreamConnection } from './connection.js';
import type { Route } from './routes.js';

export function accessDenial(route: Route, conn: DownstreamConnection, path: string, log: Logger, identity = conn.identity): string | undefined {
  const denial = route.access.check({ identity, address: conn.endpoints.address, acceptPath: route.accept.path, requestPath: path });
  if (denial === undefined) return undefined;
  log.warn(
    {
      event: 'refused',
      downstream: conn.downstream,
      service: route.service.config.name,
      code: 'GW_ERR_ACCESS_DENIED',
      reason: denial,
      ...(identity?.presented ? { subject: identity.subject, fingerprint: identity.fingerprint256 } : {}),
    },
    'access refused',
  );
  return denial;
}

/**
 * What a refusal for `denial` is recorded as (the recent refusals of `status` and the status page): the conditions
 * that failed, which the client itself is not told.
 */
export function deniedMessage(denial: string): string {
  return `access-constraint not satisfied: ${denial}`;
}
