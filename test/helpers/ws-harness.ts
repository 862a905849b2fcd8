/**
 * A real WebSocket server on port 0 that hands each accepted socket to a service, as a listener would, with a
 * connection context whose log lines are kept in memory.
 */
import { createServer, type Server } from 'node:http';
import { WebSocketServer, WebSocket } from 'ws';
import type { Service, ConnectionContext } from '../../src/services/types.js';
import { memoryLog, type MemoryLog } from './memory-log.js';
import { WAIT_MS, event, withDeadline } from './deadline.js';
import { WebSocketEnd } from '../../src/pipe/ends.js';
import { NO_METRICS } from '../../src/metrics/types.js';

export interface Harness {
  readonly url: string;
  readonly logs: MemoryLog;
  connect(options?: ConstructorParameters<typeof WebSocket>[2]): Promise<WebSocket>;
  close(): Promise<void>;
}

/** `closeTimeout`: ws's bound on a closing handshake, as the gateway sets it for a service (ws's own 30 s if absent). */
export async function serve(service: Service, maxPayload = 128 * 1024, closeTimeout?: number): Promise<Harness> {
  const logs = memoryLog();
  const http: Server = createServer();
  // ws 8.23 reads closeTimeout; its type declarations do not have it yet.
  const wss = new WebSocketServer({ noServer: true, maxPayload, ...(closeTimeout === undefined ? {} : ({ closeTimeout } as object)) });
  let n = 0;
  http.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      const id = String(++n);
      const ctx: ConnectionContext = {
        id,
        downstreamAddress: req.socket.remoteAddress ?? '',
        downstreamPort: req.socket.remotePort ?? 0,
        localAddress: req.socket.localAddress ?? '',
        localPort: req.socket.localPort ?? 0,
        tlsVersion: undefined,
        servername: undefined,
        accept: 'ws://127.0.0.1:0/',
        meter: NO_METRICS.service('harness'),
        path: req.url ?? '/',
        identity: undefined,
        log: logs.log.child({ conn: id, service: service.config.name }),
        openedAt: Date.now(),
        traffic: { bytesIn: 0, bytesOut: 0 },
        closedByGateway: () => undefined,
      };
      service.handle(new WebSocketEnd(ws, { inactivityTimeoutMs: service.config.acceptOptions.wsInactivityTimeoutMs }), ctx);
    });
  });
  http.listen(0, '127.0.0.1');
  await event(http, 'listening', 'the harness to listen');
  const port = (http.address() as { port: number }).port;
  const url = `ws://127.0.0.1:${port}/`;
  return {
    url,
    logs,
    connect: (options) => {
      const ws = new WebSocket(url, options);
      return event(ws, 'open', `a WebSocket to ${url} to open`).then(() => ws);
    },
    close: async () => {
      await withDeadline(service.stop(), WAIT_MS, `the ${service.config.name} service to stop`);
      http.closeAllConnections();
      await withDeadline(new Promise((resolve) => http.close(resolve)), WAIT_MS, 'the harness to close');
    },
  };
}
