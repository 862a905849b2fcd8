/**
 * The central gateway of the device-side tests, and the files a device needs to reach it. TEST FIXTURES ONLY.
 * It accepts wss://localhost/devices with a client certificate whose CN must match the path (path-identity), in
 * front of a TCP backend, and serves the keytool-made `localhost` certificate of test/fixtures/stores.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Workspace } from './e2e-setup.js';
import { GatewayProcess } from './gateway-process.js';
import { repoPath } from './paths.js';

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
