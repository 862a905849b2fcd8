/**
 * The access-constraints of the service a client is routed to, for its identity, address and request path; a
 * refusal is logged with the conditions that failed.
 */
import type { Logger } from 'pino';
import type { DownstreamConnection } from './connection.js';
import type { Route } from './routes.js';

export function admits(route: Route, conn: DownstreamConnection, path: string, log: Logger, identity = conn.identity): boolean {
  const denial = route.access.check({ identity, address: conn.endpoints.address, acceptPath: route.accept.path, requestPath: path });
  if (denial === undefined) return true;
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
  return false;
}
