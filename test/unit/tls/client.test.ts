import { test } from 'node:test';
import assert from 'node:assert/strict';
import type tls from 'node:tls';
import type { StoreContents } from '../../../src/keystore/types.js';
import { GatewayError } from '../../../src/errors.js';
import { buildClientTls, prepareClientTls, type ClientTlsSettings } from '../../../src/tls/client.js';
import { identify } from '../../../src/tls/identity.js';
import { issue, testPki } from '../../helpers/pki.js';
import { handshake, keyEntry, keyStore, trustStore } from '../../helpers/tls.js';
import { withUsage } from '../../helpers/usage-cert.js';

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
  const broken = { alias: 'broken', privateKey: server.keyObject, chain: [client.x509] };
  assert.throws(
    () => buildClientTls(settings({ keystore: keyStore(broken) })),
    (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_TLS_CONTEXT' && /keystore entry "broken"/.test(e.message),
  );
});

// ── ssl.keystore.alias and client-authentication usage ─────────────────────────────────────────────────────────

function serverEntry(): ReturnType<typeof keyEntry> {
  const { server, ca } = testPki();
  return keyEntry('gateway-server', server, ca);
}

function requireClientCert(): tls.TlsOptions {
  return backend({ requestCert: true, rejectUnauthorized: false, ca: [testPki().ca.cert] });
}

test('ssl.keystore.alias presents that key entry rather than the first', async () => {
  const { client, client2, ca } = testPki();
  const store = keyStore(serverEntry(), keyEntry('device-1', client, ca), keyEntry('device-2', client2, ca));
  const s = settings({ keystore: store, alias: 'device-2' });
  const prepared = prepareClientTls(s);
  assert.equal(prepared.clientAlias, 'device-2');
  assert.deepEqual(prepared.warnings, []);
  const result = await connect(s, requireClientCert());
  assert.equal(result.server?.subject, 'CN=device-2, OU=devices, O=Acme');
});

test('ssl.keystore.alias matches ignoring case, as Java key stores do, an exact match first', () => {
  const { client, client2, ca } = testPki();
  const store = keyStore(keyEntry('Device', client, ca), keyEntry('device', client2, ca));
  assert.equal(prepareClientTls(settings({ keystore: store, alias: 'DEVICE' })).clientAlias, 'Device');
  assert.equal(prepareClientTls(settings({ keystore: store, alias: 'device' })).clientAlias, 'device');
});

test('an unknown ssl.keystore.alias is GW_ERR_TLS_NO_CERTIFICATE naming the key entries there are', () => {
  const { client, ca } = testPki();
  const store = { ...keyStore(serverEntry(), keyEntry('device-1', client, ca)), trusted: trustStore(ca).trusted };
  assert.throws(
    () => prepareClientTls(settings({ keystore: store, alias: 'device-9', where: 'wss://backend:9443/x' })),
    (e: unknown) =>
      e instanceof GatewayError &&
      e.code === 'GW_ERR_TLS_NO_CERTIFICATE' &&
      e.message === 'ssl.keystore.alias "device-9" (wss://backend:9443/x) names no key entry in the keystore: its key entries are "gateway-server", "device-1"',
  );
  assert.throws(
    () => prepareClientTls(settings({ keystore: store, alias: 'trusted-0' })),
    (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_TLS_NO_CERTIFICATE' && /"trusted-0" is a trusted certificate, which has no private key$/.test(e.message),
  );
  assert.throws(
    () => prepareClientTls(settings({ keystore: keyStore(), alias: 'device-1' })),
    (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_TLS_NO_CERTIFICATE' && /it has no key entries$/.test(e.message),
  );
  assert.throws(
    () => prepareClientTls(settings({ keystore: undefined, alias: 'device-1' })),
    (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_TLS_NO_KEYSTORE' && /no keystore is configured/.test(e.message),
  );
});

test('a chosen entry whose Extended Key Usage lacks clientAuth is presented with a warning', () => {
  const { client, ca } = testPki();
  const store = keyStore(keyEntry('device-1', client, ca), serverEntry());
  const prepared = prepareClientTls(settings({ keystore: store, alias: 'gateway-server', where: 'ssl://backend:9443' }));
  assert.equal(prepared.clientAlias, 'gateway-server');
  assert.deepEqual(prepared.warnings, [
    'keystore entry "gateway-server" cannot be used for client authentication (its extended key usage is serverAuth, not clientAuth): ssl://backend:9443 refuses it if it asks for a client certificate',
  ]);
});

test('a chosen entry whose Key Usage lacks digitalSignature is presented with a warning', () => {
  const { client, ca } = testPki();
  const encipherOnly = withUsage(client, ca, { cn: 'encipher-only', keyUsage: { keyEncipherment: true }, extKeyUsage: null });
  const prepared = prepareClientTls(settings({ keystore: keyStore(keyEntry('encipher-only', encipherOnly, ca)), alias: 'encipher-only', where: 'ssl://backend:9443' }));
  assert.deepEqual(prepared.warnings, [
    'keystore entry "encipher-only" cannot be used for client authentication (its key usage lacks digitalSignature): ssl://backend:9443 refuses it if it asks for a client certificate',
  ]);
});

test('without an alias, the first entry that can authenticate a client is presented; with none that can, none is', () => {
  const { client, ca } = testPki();
  const store = keyStore(serverEntry(), keyEntry('device-1', client, ca));
  const prepared = prepareClientTls(settings({ keystore: store, where: 'ssl://backend:9443' }));
  assert.equal(prepared.clientAlias, 'device-1', 'the server certificate first in the store is passed over');
  assert.deepEqual(prepared.warnings, []);
  const alone = prepareClientTls(settings({ keystore: keyStore(serverEntry()), where: 'ssl://backend:9443' }));
  assert.equal(alone.clientAlias, undefined);
  assert.deepEqual(alone.warnings, [
    'the keystore offers no client certificate to ssl://backend:9443: its key entry "gateway-server" cannot be used for client authentication (its extended key usage is serverAuth, not clientAuth), so none is presented; a target that requires one refuses the connection (name an entry with <ssl.keystore.alias> to present it all the same)',
  ]);
});

test('certificates without usage extensions, or allowing clientAuth, give no warning', () => {
  const { client, ca } = testPki();
  const bare = withUsage(client, ca, { cn: 'bare', keyUsage: null, extKeyUsage: null });
  const any = withUsage(client, ca, { cn: 'any', keyUsage: { digitalSignature: true }, extKeyUsage: { '2.5.29.37.0': true } });
  for (const entry of [keyEntry('bare', bare, ca), keyEntry('any', any, ca), keyEntry('device-1', client, ca)]) {
    assert.deepEqual(prepareClientTls(settings({ keystore: keyStore(entry) })).warnings, [], entry.alias);
  }
});

test('a keystore with no key entry is warned about: nothing can be presented from it', () => {
  const { client } = testPki();
  const certificatesOnly = prepareClientTls(settings({ keystore: trustStore(client), where: 'wss://gw:443/device' }));
  assert.equal(certificatesOnly.clientAlias, undefined);
  assert.deepEqual(certificatesOnly.warnings, [
    'the keystore offers no client certificate to wss://gw:443/device: it holds 1 certificate and no private key; ' +
      'a target that asks for one refuses the connection (a PEM keystore holds the private key and its certificate in one file)',
  ]);
  const locked: StoreContents = { ...keyStore(), lockedKeys: [{ alias: 'device-1', chain: [client.x509] }] };
  assert.match(prepareClientTls(settings({ keystore: locked })).warnings[0] ?? '', /: the key of "device-1" was not read \(no password\);/);
  assert.deepEqual(prepareClientTls(settings({ keystore: undefined })).warnings, [], 'no keystore, nothing to warn about');
});
