/**
 * An ssl:// backend that asks for a client certificate, with a keystore that also holds the gateway's server
 * certificate (serverAuth only): `check` warns about the entry presented by default and names the one to choose,
 * and with <ssl.keystore.alias> the backend receives the client certificate.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import WebSocket from 'ws';
import { workspace, type Workspace } from '../helpers/e2e-setup.js';
import { event } from '../helpers/deadline.js';
import { GatewayProcess, runGateway } from '../helpers/gateway-process.js';
import { testPki } from '../helpers/pki.js';

describe('an ssl:// backend that wants a client certificate', () => {
  let space: Workspace;
  let backend: tls.Server;
  let port: number;
  const config = (alias: string | undefined, name: string): string =>
    space.config(`
  <service>
    <name>tls-backend</name>
    <accept>ws://localhost:0/backend</accept>
    <connect>ssl://localhost:${port}</connect>
    <type>proxy</type>${alias === undefined ? '' : `
    <connect-options><ssl.keystore.alias>${alias}</ssl.keystore.alias></connect-options>`}
  </service>
  <security>
    <keystore><type>PEM</type><file>gateway.pem</file></keystore>
    <truststore><type>PEM</type><file>ca.pem</file></truststore>
  </security>`, name);

  before(async () => {
    const pki = testPki();
    space = workspace();
    // key-1 is the server certificate (serverAuth only), key-2 the client certificate device-1.
    space.write('gateway.pem', pki.server.key + pki.server.cert + pki.client.key + pki.client.cert + pki.ca.cert);
    backend = tls.createServer({ key: pki.server.key, cert: pki.server.cert, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: true }, (socket) => {
      socket.end(`hello ${socket.getPeerCertificate().subject.CN}`);
    });
    backend.listen(0, 'localhost');
    await event(backend, 'listening', 'the TLS backend to listen');
    port = (backend.address() as { port: number }).port;
  });

  after(async () => {
    await new Promise((resolve) => backend.close(resolve));
    space.cleanup();
  });

  test('the backend gets device-1: named by <ssl.keystore.alias>, or without it as the first entry that can authenticate a client (the server certificate before it is passed over)', async () => {
    for (const [alias, name] of [['key-2', 'alias.xml'], [undefined, 'no-alias.xml']] as const) {
      const file = config(alias, name);
      const r = await runGateway(['check', '--config', file]);
      assert.equal(r.code, 0, r.stdout);
      assert.doesNotMatch(r.stdout, /client authentication/);
      const gw = await GatewayProcess.start(file);
      try {
        const ws = new WebSocket(`ws://localhost:${gw.port('ws://localhost:0/backend')}/backend`);
        const [data] = await event<[Buffer]>(ws, 'message', `the backend to greet the client (${name})`);
        assert.equal(data.toString(), 'hello device-1', name);
        ws.terminate();
      } finally {
        await gw.stop();
      }
    }
  });
});
