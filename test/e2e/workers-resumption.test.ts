/**
 * `start --workers 2` and TLS session resumption: the workers derive their session ticket keys from one secret, so a
 * device resumes its session on whichever worker its next connection reaches, not only on the one that made it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { WebSocket } from 'ws';
import { GatewayProcess } from '../helpers/gateway-process.js';
import { echoService, PEM_SECURITY, workspace, type Workspace } from '../helpers/e2e-setup.js';
import { echoRoundTrip } from '../helpers/echo-client.js';
import { testPki } from '../helpers/pki.js';

const ECHO = 'wss://127.0.0.1:0/echo';
let space: Workspace;
let gw: GatewayProcess;

before(async () => {
  space = workspace();
  gw = await GatewayProcess.startWorkers(space.config(echoService(ECHO) + PEM_SECURITY), 2);
});

after(async () => {
  await gw?.stop();
  space?.cleanup();
});

/** One echo over a TLS connection that offers `session`; resolves with the session to offer next and its local port. */
async function echoOverTls(port: number, session: Buffer | undefined): Promise<{ session: Buffer | undefined; localPort: number }> {
  let next: Buffer | undefined;
  let localPort = 0;
  const ws = new WebSocket(`wss://127.0.0.1:${port}/echo`, {
    createConnection: () => {
      const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: testPki().ca.cert, ...(session ? { session } : {}) });
      socket.on('session', (s: Buffer) => (next = s));
      // Read while connected: a closed socket has no local port.
      socket.once('connect', () => (localPort = socket.localPort ?? 0));
      return socket;
    },
  });
  await echoRoundTrip(ws);
  return { session: next, localPort };
}

test('a client resumes its TLS session on whichever worker its next connection reaches', async () => {
  const port = gw.port(ECHO);
  let session: Buffer | undefined;
  const opens: Record<string, unknown>[] = [];
  for (let i = 0; i < 6; i++) {
    const visit = await echoOverTls(port, session);
    // No ticket comes after a resumed handshake (OpenSSL's server sends none then): the client offers its session again.
    session = visit.session ?? session;
    assert.ok(session, 'the first visit was sent a session ticket');
    opens.push(await gw.waitFor((l) => l['event'] === 'open' && l['downstream'] === `127.0.0.1:${visit.localPort}`));
  }
  assert.deepEqual(opens.map((l) => l['resumed']), [false, true, true, true, true, true], 'every visit after the first resumed');
  assert.deepEqual([...new Set(opens.map((l) => l['worker']))].sort(), [1, 2], 'both workers served visits');
});
