import { test } from 'node:test';
import assert from 'node:assert/strict';
import type tls from 'node:tls';
import { GatewayError } from '../../../src/errors.js';
import { buildClientTls, prepareClientTls, type ClientTlsSettings } from '../../../src/tls/client.js';
import { identify } from '../../../src/tls/identity.js';
import { issue, testPki } from '../../helpers/pki.js';
import { handshake, keyEntry, keyStore, trustStore } from '../../helpers/tls.js';

function settings(overrides: Partial<ClientTlsSettings>): ClientTlsSettings {
  return {
    host: 'localhost',
    truststore: trustStore(testPki().ca),
    keystore: undefined,
    ciphers: undefined,
    protocols: undefined,
    ...overrides,
  };
}

function backend(extra: tls.TlsOptions = {}): tls.TlsOptions {
  const { server } = testPki();
  return { key: server.key, cert: server.cert, ...extra };
}

/** Connects to a backend on 127.0.0.1 while checking the certificate against the settings' host. */
function connect(s: ClientTlsSettings, server: tls.TlsOptions = backend()) {
  return handshake(server, { ...buildClientTls(s), host: '127.0.0.1' }, identify);
}

test('a backend certificate that chains to the truststore and names the host is accepted', async () => {
  const result = await connect(settings({}));
  assert.equal(result.clientError, undefined);
  assert.equal(result.client?.peer.subject.CN, 'localhost');
});

test('a certificate for another name is refused', async () => {
  const result = await connect(settings({ host: 'backend.example.com' }));
  assert.equal(result.clientError?.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
});

test('an IP host is sent no SNI and is checked against the IP SANs', async () => {
  const options = buildClientTls(settings({ host: '127.0.0.1' }));
  assert.equal(options.servername, undefined);
  assert.equal((await connect(settings({ host: '127.0.0.1' }))).clientError, undefined);
  const { ca } = testPki();
  const noIp = issue({ subject: { CN: 'a.example.com' }, sans: ['DNS:a.example.com'], issuer: ca, usage: 'server' });
  const refused = await connect(settings({ host: '127.0.0.1' }), { key: noIp.key, cert: noIp.cert });
  assert.equal(refused.clientError?.code, 'ERR_TLS_CERT_ALTNAME_INVALID');
});

test("without a truststore Node's default CAs are used, which do not know the test CA", async () => {
  const result = await connect(settings({ truststore: undefined }));
  assert.equal(result.clientError?.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
});

test('a certificate signed by another CA is refused', async () => {
  const result = await connect(settings({ truststore: trustStore(testPki().otherCa) }));
  assert.equal(result.clientError?.code, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
});

test("the keystore's certificate is presented when the backend asks for one", async () => {
  const { client, ca } = testPki();
  const s = settings({ keystore: keyStore(keyEntry('device-1', client, ca)) });
  assert.equal(prepareClientTls(s).clientAlias, 'device-1');
  const result = await connect(s, backend({ requestCert: true, rejectUnauthorized: false, ca: [ca.cert] }));
  assert.equal(result.clientError, undefined);
  assert.equal(result.server?.verified, true);
  assert.equal(result.server?.subject, 'CN=device-1, OU=devices, O=Acme');
});

test('protocols and ciphers apply to backend connections', async () => {
  const result = await connect(settings({ protocols: ['TLSv1.2'], ciphers: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384' }));
  assert.equal(result.client?.protocol, 'TLSv1.2');
  assert.equal(result.client?.cipher.standardName, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384');
});

test('without ssl.ciphers, a TLS 1.2 backend gets ECDHE with AEAD ciphers only; ssl.ciphers widens it', async () => {
  const tls12Only = (suite: string) => backend({ maxVersion: 'TLSv1.2', ciphers: suite });
  assert.equal((await connect(settings({}), tls12Only('ECDHE-RSA-AES128-GCM-SHA256'))).client?.cipher.name, 'ECDHE-RSA-AES128-GCM-SHA256');
  for (const suite of ['ECDHE-RSA-AES128-SHA', 'AES128-GCM-SHA256']) {
    const refused = await connect(settings({}), tls12Only(suite));
    assert.equal(refused.clientError?.code, 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', suite);
  }
  const widened = await connect(settings({ ciphers: 'ECDHE+AESGCM,ECDHE-RSA-AES128-SHA' }), tls12Only('ECDHE-RSA-AES128-SHA'));
  assert.equal(widened.client?.cipher.name, 'ECDHE-RSA-AES128-SHA');
});

test('one secure context is built up front and shared, and verification is on', () => {
  const options = buildClientTls(settings({}));
  assert.ok(options.secureContext);
  assert.equal(options.rejectUnauthorized, true);
  assert.equal(options.servername, 'localhost');
});

test('an empty truststore and a broken key entry are refused', () => {
  assert.throws(
    () => buildClientTls(settings({ truststore: trustStore(), where: 'connect ssl://backend:9443' })),
    (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_TLS_NO_KEYSTORE' && /connect ssl:\/\/backend:9443/.test(e.message),
  );
  const { server, client } = testPki();
  const broken = { alias: 'broken', privateKey: client.keyObject, chain: [server.x509] };
  assert.throws(
    () => buildClientTls(settings({ keystore: keyStore(broken) })),
    (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_TLS_CONTEXT' && /keystore entry "broken"/.test(e.message),
  );
});
