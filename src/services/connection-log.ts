/**
 * The two log lines every connection writes: one when it opens and one when it closes. Their field names are public
 * API (operators build dashboards and alerts on them): `downstream` is the client side, `upstream` the backend.
 * The service's metrics are told at the same two moments, from the same summary, so log and metrics agree.
 */
import type { CloseCause } from '../pipe/close.js';
import type { ConnectionContext } from './types.js';

export interface CloseSummary {
  readonly upstream?: string | undefined;
  readonly bytesDownstreamToUpstream: number;
  readonly bytesUpstreamToDownstream: number;
  readonly reason: string;
  /** The reason in a few words, for the closes metric; a close the gateway made is counted as `gateway` whatever this says. */
  readonly cause: CloseCause | 'gateway';
  readonly code?: number | undefined;
}

function identityFields(ctx: ConnectionContext): Record<string, unknown> {
  const id = ctx.identity;
  const principal = ctx.principal ? { principal: ctx.principal.name, realm: ctx.principal.realm } : {};
  if (!id || !id.presented) return principal;
  return { subject: id.subject, fingerprint: id.fingerprint256, verified: id.verified, ...(id.ticket !== undefined ? { ticket: id.ticket } : {}), ...principal };
}

export function logOpened(ctx: ConnectionContext, upstream?: string): void {
  ctx.meter.opened();
  ctx.log.info(
    {
      event: 'open',
      downstream: `${ctx.downstreamAddress}:${ctx.downstreamPort}`,
      accept: ctx.accept,
      ...(ctx.path !== undefined ? { path: ctx.path } : {}),
      ...(ctx.tlsResumed !== undefined ? { resumed: ctx.tlsResumed } : {}),
      ...identityFields(ctx),
      ...(upstream ? { upstream } : {}),
    },
    'connection opened',
  );
}

/**
 * The close line. A client the gateway closed (drained, its accept removed, refused by live policy) says so, with
 * the code and reason it was sent, rather than the client's answer to it (most clients echo 1000).
 */
export function logClosed(ctx: ConnectionContext, summary: CloseSummary): void {
  const durationMs = Date.now() - ctx.openedAt;
  const byGateway = ctx.closedByGateway();
  ctx.meter.closed(summary.bytesDownstreamToUpstream, summary.bytesUpstreamToDownstream, durationMs, byGateway ? 'gateway' : summary.cause);
  ctx.log.info(
    {
      event: 'close',
      downstream: `${ctx.downstreamAddress}:${ctx.downstreamPort}`,
      ...identityFields(ctx),
      ...(summary.upstream ? { upstream: summary.upstream } : {}),
      bytesIn: summary.bytesDownstreamToUpstream,
      bytesOut: summary.bytesUpstreamToDownstream,
      durationMs,
      reason: byGateway ? `closed by the gateway (${byGateway.code}): ${byGateway.reason}` : summary.reason,
      // Only a WebSocket client has a close code (a byte stream's summary has none), the gateway's when it closed it.
      ...(summary.code !== undefined ? { code: byGateway ? byGateway.code : summary.code } : {}),
    },
    'connection closed',
  );
}
