/**
 * The connection loop of churn, resume and bench:compare: it stops at the count it is given (the warm-up's), counts
 * failures as connections made, and gives up on a system that refuses everything rather than spinning.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { ClientTls, Endpoint } from '../../../bench/client/link.js';
import { churnLoop } from '../../../bench/scenarios/churn.js';
import { testPki } from '../../helpers/pki.js';
import { WAIT_MS, event, withDeadline } from '../../helpers/deadline.js';

let https: HttpsServer;
let echo: Endpoint;
let refusing: Endpoint;
let tls: ClientTls;

before(async () => {
  const pki = testPki();
  tls = { ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key };
  https = createHttpsServer({ key: pki.server.key, cert: pki.server.cert, ca: pki.ca.cert, requestCert: true, rejectUnauthorized: true });
  const wss = new WebSocketServer({ server: https, path: '/bench' });
  wss.on('connection', (ws) => ws.on('message', (data: Buffer) => ws.send(data)));
  https.listen(0, '127.0.0.1');
  await event(https, 'listening', 'the echo server to listen');
  echo = { protocol: 'ws', host: '127.0.0.1', port: (https.address() as AddressInfo).port, path: '/bench' };
  // A port nothing listens on: taken, then released.
  const closed = createNetServer().listen(0, '127.0.0.1');
  await event(closed, 'listening', 'a port to take');
  const port = (closed.address() as AddressInfo).port;
  closed.close();
  await event(closed, 'close', 'the port to be released');
  refusing = { protocol: 'ws', host: '127.0.0.1', port, path: '/bench' };
});

after(() => https.close());

test('clients stop once the count is reached: one more per other client at most, each seen', async () => {
  let seen = 0;
  const tally = await withDeadline(churnLoop(echo, tls, { clients: 3, deadline: performance.now() + WAIT_MS, resume: false, connections: 7 }, () => seen++), WAIT_MS, 'seven connections');
  assert.equal(tally.failed, 0, String(tally.firstError));
  assert.ok(tally.completed >= 7 && tally.completed <= 9, `${tally.completed} connections`);
  assert.equal(seen, tally.completed);
});

test('a fleet: each connection presents the certificate the supply gives it', async () => {
  const { client, client2 } = testPki();
  const fleet = [client, client2];
  const presented: string[] = [];
  https.on('secureConnection', function note(socket) {
    presented.push(String(socket.getPeerCertificate().subject?.CN));
    if (presented.length === 4) https.off('secureConnection', note);
  });
  let next = 0;
  const supply = (): ClientTls => ({ ...tls, cert: fleet[next % 2]!.cert, key: fleet[next++ % 2]!.key });
  const tally = await withDeadline(churnLoop(echo, supply, { clients: 1, deadline: performance.now() + WAIT_MS, resume: false, connections: 4 }), WAIT_MS, 'four connections');
  assert.equal(tally.failed, 0, String(tally.firstError));
  assert.deepEqual(presented, ['device-1', 'device-2', 'device-1', 'device-2']);
});

test('failures count towards the count', async () => {
  const tally = await withDeadline(churnLoop(refusing, tls, { clients: 1, deadline: performance.now() + WAIT_MS, resume: false, connections: 3 }), WAIT_MS, 'three refused connections');
  assert.deepEqual([tally.completed, tally.failed], [0, 3]);
  assert.match(String(tally.firstError), /ECONNREFUSED/);
});

test('a system that refuses everything is given up on, not tried until the deadline', async () => {
  const tally = await withDeadline(churnLoop(refusing, tls, { clients: 2, deadline: performance.now() + 10 * WAIT_MS, resume: false }), WAIT_MS, 'the loop to give up');
  assert.equal(tally.completed, 0);
  assert.ok(tally.failed > 100 && tally.failed <= 102, `${tally.failed} failures`);
});
