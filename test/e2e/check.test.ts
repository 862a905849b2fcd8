/** `bin/gateway check`: every problem with its position, the real Kaazing files, and the default configuration. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { runGateway } from '../helpers/gateway-process.js';
import { PEM_SECURITY, workspace } from '../helpers/e2e-setup.js';
import { repoPath } from '../helpers/paths.js';

const DIAGNOSTIC = /^(.+?):(\d+):(\d+): (error|warning) (GW_ERR_[A-Z0-9_]+): .+$/;

describe('gateway check', () => {
  const ws = workspace();
  after(() => ws.cleanup());

  test('the default configuration is valid on a fresh clone', async () => {
    const r = await runGateway(['check']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /valid \(3 services\)/);
  });

  test('a valid file prints a summary of its services and exits 0', async () => {
    const file = ws.config(`
  <service>
    <name>echo</name>
    <accept>wss://127.0.0.1:0/echo</accept>
    <type>echo</type>
    <accept-options><ssl.verify-client>required</ssl.verify-client></accept-options>
  </service>
  <service>
    <name>devices</name>
    <accept>ssl://localhost:0</accept>
    <connect>tcp://127.0.0.1:7000</connect>
    <type>proxy</type>
    <accept-options><ssl.verify-client>optional</ssl.verify-client></accept-options>
  </service>${PEM_SECURITY}`, 'valid.xml');
    const r = await runGateway(['check', '--config', file]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /echo \(echo\)/);
    assert.match(r.stdout, /wss:\/\/127\.0\.0\.1:0\/echo .*verify-client required/);
    assert.match(r.stdout, /ssl:\/\/localhost:0 .*verify-client optional/);
  });

  test('every problem is listed with its line and column, not only the first', async () => {
    const file = ws.write(
      'broken.xml',
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<gateway-config xmlns="http://xmlns.kaazing.org/2016/06/gateway">',
        '  <service>',
        '    <name>one</name>',
        '    <accept>ws://127.0.0.1:0/one</accept>',
        '    <type>echo</type>',
        '    <accept-options>',
        '      <ws.maximum.message.size>128kB</ws.maximum.message.size>',
        '      <ssl.cipher>HIGH</ssl.cipher>',
        '    </accept-options>',
        '  </service>',
        '  <service>',
        '    <name>two</name>',
        '    <accept>ws://127.0.0.1:0/two</accept>',
        '    <type>broadcast</type>',
        '  </service>',
        '</gateway-config>',
      ].join('\n'),
    );
    const r = await runGateway(['check', '--config', file]);
    assert.equal(r.code, 1);
    const lines = r.stdout.split('\n').filter((l) => DIAGNOSTIC.test(l));
    const at = (line: number) => lines.find((l) => l.includes(`broken.xml:${line}:`));
    assert.match(at(8) ?? '', /error GW_ERR_CONFIG_VALUE: .*128kB/);
    assert.match(at(9) ?? '', /error GW_ERR_CONFIG_UNKNOWN_ELEMENT: .*ssl\.cipher.*ssl\.ciphers/);
    assert.match(at(15) ?? '', /error GW_ERR_CONFIG_UNSUPPORTED: .*broadcast/);
  });

  test('a missing store and a wrong password are reported at the <security> element that names them', async () => {
    const file = ws.config(`
  <service>
    <name>echo</name>
    <accept>wss://127.0.0.1:0/echo</accept>
    <type>echo</type>
  </service>
  <security>
    <keystore><type>PEM</type><file>missing.pem</file></keystore>
  </security>`, 'missing-store.xml');
    const r = await runGateway(['check', '--config', file]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /missing-store\.xml:\d+:\d+: error GW_ERR_FILE_READ: .*missing\.pem/);
  });

  test('a plain HTTP request is not confused with an accept: unsupported accept schemes are listed', async () => {
    const file = ws.config(`
  <service>
    <name>web</name>
    <accept>http://127.0.0.1:0/</accept>
    <type>echo</type>
  </service>`, 'http-accept.xml');
    const r = await runGateway(['check', '--config', file]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /http-accept\.xml:\d+:\d+: error GW_ERR_CONFIG_(URI|UNSUPPORTED): .*http:\/\//);
  });

  test('one round: a structure error, both stores and a certificate are reported together, and what waits says so', async () => {
    copyFileSync(repoPath('test', 'fixtures', 'stores', 'keystore.jks'), `${ws.dir}/keystore.jks`);
    copyFileSync(repoPath('test', 'fixtures', 'stores', 'truststore-jdk.p12'), `${ws.dir}/truststore.db`);
    ws.write('wrong.pw', 'not-changeit\n');
    ws.write('changeit.pw', 'changeit\n');
    const body = (keystorePassword: string) => `
  <service>
    <name>devices</name>
    <accept>wss://localhost:0/devices</accept>
    <type>echo</type>
    <accept-options>
      <ssl.verify-client>required</ssl.verify-client>
      <ssl.cipher>HIGH</ssl.cipher>
    </accept-options>
  </service>
  <service>
    <name>public</name>
    <accept>wss://nothere.example.com:0/public</accept>
    <type>echo</type>
  </service>
  <security>
    <keystore><file>keystore.jks</file><password-file>${keystorePassword}</password-file></keystore>
    <truststore><file>truststore.db</file></truststore>
  </security>`;
    const first = await runGateway(['check', '--config', ws.config(body('wrong.pw'), 'round-1.xml')]);
    assert.equal(first.code, 1);
    const errors = first.stdout.split('\n').filter((l) => / error GW_ERR_/.test(l));
    assert.deepEqual(errors.map((l) => /(GW_ERR_[A-Z_]+)/.exec(l)?.[1]), ['GW_ERR_CONFIG_UNKNOWN_ELEMENT', 'GW_ERR_STORE_PASSWORD', 'GW_ERR_STORE_PASSWORD'], first.stdout);
    assert.match(errors[1] ?? '', /keystore\.jks.*wrong password.*; the certificates for the TLS accepts are checked once it can be read/);
    assert.match(errors[2] ?? '', /truststore\.db.*add <password-file> to <truststore>/);
    assert.match(first.stdout, /^Not yet checked: service "devices" has errors of its own; its addresses, and the certificates of any TLS accept, are checked with the rest of the configuration once they are fixed$/m);

    // With the keystore readable, the certificate problem of the service without errors appears with the others.
    const second = await runGateway(['check', '--config', ws.config(body('changeit.pw'), 'round-2.xml')]);
    assert.equal(second.code, 1);
    assert.match(second.stdout, /round-2\.xml:\d+:\d+: error GW_ERR_TLS_NO_CERTIFICATE: .*nothere\.example\.com/);
    assert.match(second.stdout, /round-2\.xml:\d+:\d+: error GW_ERR_CONFIG_UNKNOWN_ELEMENT: /);
  });
});
