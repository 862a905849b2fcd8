/** ServiceConfig values for unit tests, with the defaults the config module gives. */
import type { ServiceConfig } from '../../src/config/types.js';

export function serviceConfig(overrides: Partial<ServiceConfig> & Pick<ServiceConfig, 'name' | 'type'>): ServiceConfig {
  return {
    description: undefined,
    accepts: [],
    connect: undefined,
    properties: { maximumPendingBytes: 64000, maximumRecoveryIntervalS: 0, connectStrategy: 'immediate', preparedConnectionCount: 0, closeTimeoutMs: 5000, idleTimeoutMs: 0 },
    acceptOptions: {
      sslVerifyClient: 'none',
      sslCiphers: undefined,
      sslProtocols: undefined,
      sslEncryption: true,
      bind: undefined,
      wsMaximumMessageSize: 128 * 1024,
      wsInactivityTimeoutMs: 0,
      httpKeepaliveTimeoutMs: 30000,
      sslCrl: undefined,
      sslVerifyDepth: undefined,
      tcpProxyProtocol: 'none',
      tcpProxyProtocolTrusted: [],
      wsHandshakeTimeoutMs: 10_000,
      tcpMaximumConnections: 10_000,
      tcpMaximumConnectionsPerAddress: undefined,
    },
    connectOptions: { sslKeystoreAlias: undefined, httpHeaders: [], wsInactivityTimeoutMs: 0, sslCiphers: undefined, sslProtocols: undefined, tcpBind: undefined, tcpProxyProtocol: 'none', tcpResolveTtlMs: 30_000 },
    crossSiteConstraints: [],
    accessConstraints: [],
    realmName: undefined,
    authorization: undefined,
    directory: undefined,
    redirect: undefined,
    mimeMappings: [],
    position: { file: 'test.xml', line: 1, column: 1 },
    ...overrides,
  };
}
