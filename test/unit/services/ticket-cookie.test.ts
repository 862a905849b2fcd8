/**
 * A browser sends the cookies of the gateway's host name to every service on it: the certificate-ticket cookie a
 * realm set on one service reaches the upgrade of any other. It is the gateway's own credential, so a WebSocket
 * backend is never sent it (a backend could otherwise replay it as the device's certificate).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import { loadConfig } from '../../../src/config/index.js';
import { Gateway } from '../../../src/gateway.js';
import { WAIT_MS, event, withDeadline } from '../../helpers/deadline.js';
import { workspace } from '../../helpers/e2e-setup.js';
import { memoryLog } from '../../helpers/memory-log.js';
import { webSocketBackend } from '../../helpers/ws-backend.js';

test("a WebSocket backend is not sent the certificate-ticket cookie; the application's cookies reach it", async (t) => {
  const backend = await webSocketBackend(t);
  const space = workspace();
  t.after(() => space.cleanup());
  space.write('ticket.secret', `${'3b9d41c6'.repeat(8)}\n`);
  const loaded = loadConfig(
    space.config(`
  <service>
    <name>pages</name>
    <accept>ws://127.0.0.1:0/pages</accept>
    <type>echo</type>
    <realm-name>ios</realm-name>
  </service>
  <service>
    <name>app</name>
    <accept>ws://127.0.0.1:0/app</accept>
    <connect>${backend.uri}</connect>
    <type>proxy</type>
  </service>
  <security>
    <realm>
      <name>ios</name>
      <authentication>
        <http-cookie>TICKET</http-cookie>
        <login-modules>
          <login-module><type>certificate-ticket</type><success>required</success><options><secret-file>ticket.secret</secret-file></options></login-module>
        </login-modules>
      </authentication>
    </realm>
  </security>`),
  );
  assert.ok(loaded.ok, JSON.stringify(loaded.diagnostics));
  const prepared = Gateway.prepare(loaded.config, { log: memoryLog().log });
  assert.ok(prepared.ok);
  const bound = await withDeadline(prepared.gateway.start(), WAIT_MS, 'the gateway to start');
  t.after(() => prepared.gateway.stop());
  const app = bound.find((b) => b.accept.endsWith('/app'));

  const upgrade = event<[WebSocket, IncomingMessage]>(backend.wss, 'connection', 'the backend to be connected');
  const client = new WebSocket(`ws://127.0.0.1:${app?.port}/app`, { headers: { Cookie: 'session=s1; TICKET=v1.forged-or-not; theme=dark' } });
  const opened = event(client, 'open', 'the client to be upgraded');
  const [, request] = await upgrade;
  assert.equal(request.headers.cookie, 'session=s1; theme=dark');
  await opened;
  const closed = event(client, 'close', 'the client to close');
  client.close();
  await closed;
});
