/**
 * The central gateway of the device-side tests, and the files a device needs to reach it. TEST FIXTURES ONLY.
 * It accepts wss://localhost/devices with a client certificate whose CN must match the path (path-identity), in
 * front of a TCP backend, and serves the keytool-made `localhost` certificate of test/fixtures/stores.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Workspace } from './e2e-setup.js';
import { GatewayProcess, type LogLine } from './gateway-process.js';
import { repoPath } from './paths.js';
import { WAIT_MS, withDeadline } from './deadline.js';
import { receiveBytes } from './tcp-servers.js';

export const DEVICES = 'wss://localhost:0/devices';

export function storeFixture(name: string): string {
  return readFileSync(repoPath('test/fixtures/stores', name), 'utf8');
}

/**
 * Writes the device's files into the workspace (`device-1.p12` with `changeit.pw`, and `fixture-ca.pem`, the CA
 * of the central gateway's certificate) and starts the central gateway. `clientCas`: the PEM of the CAs it
 * trusts for client certificates (the fixture CA, which issued device-1's, by default).
 */
export async function startCentralGateway(space: Workspace, backendPort: number, clientCas = storeFixture('fixture-ca.crt.pem')): Promise<GatewayProcess> {
  space.write('central.pem', storeFixture('localhost.pem'));
  space.write('clients-ca.pem', clientCas);
  space.write('fixture-ca.pem', storeFixture('fixture-ca.crt.pem'));
  space.write('changeit.pw', 'changeit\n');
  // A PKCS12 file is binary: copied as bytes.
  writeFileSync(join(space.dir, 'device-1.p12'), readFileSync(repoPath('test/fixtures/stores/device-1.p12')));
  return GatewayProcess.start(
    space.config(
      `
  <service>
    <name>devices</name>
    <accept>${DEVICES}</accept>
    <connect>tcp://127.0.0.1:${backendPort}</connect>
    <type>proxy</type>
    <accept-options><ssl.verify-client>required</ssl.verify-client></accept-options>
    <access-constraint><path-identity>CN</path-identity></access-constraint>
  </service>
  <security>
    <keystore><type>PEM</type><file>central.pem</file></keystore>
    <truststore><type>PEM</type><file>clients-ca.pem</file></truststore>
  </security>`,
      'central.xml',
    ),
  );
}

/**
 * Through a device bridge (a gateway whose tcp:// accept is `localPort`) with a prepared connection to `central`:
 * waits for that connection, sends `payload` from a local TCP client, expects it back from the echo backend, and
 * expects the central gateway to have logged the client as device-1. Resolves with the central gateway's close line.
 */
export async function expectDeviceRoundTrip(central: GatewayProcess, localPort: number, payload: Buffer): Promise<LogLine> {
  const within = <T>(promise: Promise<T>, what: string): Promise<T> => withDeadline(promise, WAIT_MS, what);
  await within(central.waitFor((l) => l['event'] === 'open' && l['service'] === 'devices'), 'the prepared connection to reach the central gateway');
  const socket = connect(localPort, '127.0.0.1');
  await within(once(socket, 'connect'), 'the local connection');
  const back = receiveBytes(socket, payload.length);
  socket.write(payload);
  assert.deepEqual(await back, payload);
  socket.end();
  const line = await within(central.waitFor((l) => l['event'] === 'close' && l['service'] === 'devices'), 'the central close line');
  assert.equal(line['subject'], 'CN=device-1, OU=devices, O=Acme');
  return line;
}
