/**
 * How a proxy reaches a ws:// or wss:// backend. The upgrade request carries the client's own headers (less those
 * the gateway controls or the configuration names, so a client can never forge one, and less the certificate
 * tickets of `withheldCookies`), the `<http.header>` values
 * for this client, and the subprotocols the client offered; the backend's choice is what the client is then told.
 * A client on a tcp:// or ssl:// accept (the device side) has no request: only the `<http.header>` values go.
 */
import type { ServiceConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import { WebSocketEnd } from '../pipe/ends.js';
import type { UpgradeHeader, WebSocketConnector, WebSocketTarget } from '../upstream/ws-connector.js';
import type { HostAddresses } from '../upstream/resolver.js';
import type { ConnectionOptions } from 'node:tls';
import { forwardedHeaders } from './forwarded-headers.js';
import { renderIdentityHeaders, staticIdentityHeaders } from './identity-headers.js';
import type { OpenUpstream } from './proxy.js';
import type { ClientRequest, ConnectionContext } from './types.js';

export function webSocketUpstream(
  config: ServiceConfig,
  connector: WebSocketConnector,
  tls: ConnectionOptions | undefined,
  addresses?: HostAddresses,
  withheldCookies?: ReadonlySet<string>,
): { open: OpenUpstream; probe: () => Promise<void> } {
  const connect = config.connect;
  if (connect === undefined || (connect.scheme !== 'ws' && connect.scheme !== 'wss')) {
    throw new GatewayError('GW_ERR_INTERNAL', `service "${config.name}" has no ws:// or wss:// connect`);
  }
  const target: WebSocketTarget = {
    uri: connect.uri,
    scheme: connect.scheme,
    host: connect.host,
    port: connect.port,
    path: connect.path,
    localAddress: config.connectOptions.tcpBind?.host,
    tls,
    addresses,
  };
  const templates = config.connectOptions.httpHeaders;
  const maxPayload = config.acceptOptions.wsMaximumMessageSize;
  const inactivityTimeoutMs = config.connectOptions.wsInactivityTimeoutMs;

  const headersFor = (ctx: ConnectionContext | undefined, request: ClientRequest | undefined): UpgradeHeader[] => {
    const headers: UpgradeHeader[] = [];
    if (request) {
      for (const [name, value] of Object.entries(forwardedHeaders(request.rawHeaders, templates, withheldCookies))) {
        for (const v of Array.isArray(value) ? value : [value]) headers.push({ name, value: v });
      }
    }
    if (ctx) {
      const rendered = renderIdentityHeaders(templates, ctx);
      for (const refused of rendered.refused) ctx.log.warn({ header: refused.name, reason: refused.reason }, `header ${refused.name} not sent to the backend: ${refused.reason}`);
      for (const [name, value] of Object.entries(rendered.headers)) headers.push({ name, value });
    } else {
      for (const [name, value] of Object.entries(staticIdentityHeaders(templates))) headers.push({ name, value });
    }
    return headers;
  };

  return {
    open: async (ctx, request, cancellation) => {
      const { websocket, protocol, halfClose } = await connector(target, { headers: headersFor(ctx, request), subprotocols: request?.protocols ?? [], maxPayload }, cancellation);
      // A backend that reads after its own close has it answered once a byte-stream client has ended too.
      return { end: new WebSocketEnd(websocket, { inactivityTimeoutMs, holdClose: halfClose ? 'at-attach' : undefined }), protocol };
    },
    probe: async () => {
      try {
        const { websocket } = await connector(target, { headers: headersFor(undefined, undefined), subprotocols: [], maxPayload });
        websocket.terminate();
      } catch (err) {
        // A backend that answers the upgrade, even with a refusal (it wants what only a client's headers carry), is
        // reachable again, as it is when it refuses a client's upgrade (proxy.ts).
        if ((err as { code?: unknown }).code !== 'GW_ERR_UPSTREAM_HANDSHAKE') throw err;
      }
    },
  };
}
