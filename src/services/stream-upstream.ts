/**
 * How a proxy reaches a tcp:// or ssl:// backend: a socket from the connector, the PROXY protocol header first when
 * `tcp.proxy-protocol` asks for one, then the socket as a byte-stream end.
 */
import type { ConnectionOptions } from 'node:tls';
import type { ServiceConfig } from '../config/types.js';
import { GatewayError } from '../errors.js';
import { StreamEnd } from '../pipe/ends.js';
import type { Connector, UpstreamTarget } from '../upstream/connector.js';
import type { HostAddresses } from '../upstream/resolver.js';
import { encodeProxyV1, encodeProxyV2, type ProxyHeaderInfo } from '../upstream/proxy-protocol.js';
import type { OpenUpstream } from './proxy.js';
import type { ConnectionContext } from './types.js';

export function streamUpstream(
  config: ServiceConfig,
  connector: Connector,
  tls: ConnectionOptions | undefined,
  addresses?: HostAddresses,
): { open: OpenUpstream; probe: () => Promise<void> } {
  const connect = config.connect;
  if (connect === undefined || (connect.scheme !== 'tcp' && connect.scheme !== 'ssl')) {
    throw new GatewayError('GW_ERR_INTERNAL', `service "${config.name}" has no tcp:// or ssl:// connect`);
  }
  const target: UpstreamTarget = {
    uri: connect.uri,
    scheme: connect.scheme,
    host: connect.host,
    port: connect.port,
    localAddress: config.connectOptions.tcpBind?.host,
    tls,
    addresses,
  };
  const version = config.connectOptions.tcpProxyProtocol;
  return {
    open: async (ctx, _request, cancellation) => {
      // Built before connecting: a client the header cannot describe is no fault of the backend's. A prepared
      // connection has no client yet, so it carries none.
      const header = version === 'none' || ctx === undefined ? undefined : proxyHeader(version, ctx);
      const socket = await connector(target, cancellation);
      if (header) socket.write(header);
      return { end: new StreamEnd(socket), protocol: '' };
    },
    probe: async () => {
      const socket = await connector(target);
      socket.destroy();
    },
  };
}

/** `tcp.proxy-protocol`: tells the backend who the client is before the first byte of its stream. */
function proxyHeader(version: 'v1' | 'v2', ctx: ConnectionContext): Buffer {
  const id = ctx.identity;
  const info: ProxyHeaderInfo = {
    sourceAddress: ctx.downstreamAddress,
    sourcePort: ctx.downstreamPort,
    destinationAddress: ctx.localAddress,
    destinationPort: ctx.localPort,
    ...(ctx.tlsVersion !== undefined
      ? {
          ssl: {
            presented: id?.presented ?? false,
            verified: id?.verified ?? false,
            version: ctx.tlsVersion,
            ...(id?.subjectAttributes['CN']?.[0] !== undefined ? { cn: id.subjectAttributes['CN'][0] } : {}),
          },
        }
      : {}),
    ...(ctx.servername !== undefined ? { authority: ctx.servername } : {}),
  };
  return version === 'v1' ? encodeProxyV1(info) : encodeProxyV2(info);
}
