/**
 * A plain (no TLS) Listener on 127.0.0.1:0 with the gateway's defaults, for unit tests of the listener: started,
 * and closed with its connections after the test.
 */
import { Listener, type ListenerOptions } from '../../src/listener/listener.js';
import type { Route } from '../../src/listener/routes.js';
import type { PrometheusMetrics } from '../../src/metrics/prometheus.js';
import { SessionRegistry } from '../../src/services/sessions.js';
import type { MemoryLog } from './memory-log.js';

export async function startTestListener(
  t: { after(fn: () => unknown): void },
  routes: Route[],
  log: MemoryLog,
  metrics: PrometheusMetrics,
  overrides: Partial<ListenerOptions> = {},
): Promise<{ listener: Listener; port: number }> {
  const listener = new Listener({
    listen: { host: '127.0.0.1', port: 0 },
    stream: false,
    tls: undefined,
    verifyClient: 'none',
    verifyDepth: undefined,
    keepAliveTimeoutMs: 5000,
    proxyProtocol: undefined,
    handshakeTimeoutMs: 10_000,
    maximumConnections: 10_000,
    maximumConnectionsPerAddress: undefined,
    routes,
    log: log.log,
    sessions: new SessionRegistry(),
    trusts: () => [],
    meter: metrics.listener('127.0.0.1:0'),
    ...overrides,
  });
  const { port } = await listener.listen();
  t.after(async () => {
    const closed = listener.close();
    listener.destroyConnections();
    await closed;
  });
  return { listener, port };
}
