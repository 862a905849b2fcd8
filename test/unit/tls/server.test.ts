import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type tls from 'node:tls';
import { GatewayError, type GatewayErrorCode } from '../../../src/errors.js';
import { loadCrls, type LoadedCrls } from '../../../src/tls/crl.js';
import { identify, refusalReason, type ClientIdentity } from '../../../src/tls/identity.js';
import { buildServerTls, prepareServerTls, upcomingEntries, upcomingProblems, type PreparedServerTls, type ServerTlsSettings } from '../../../src/tls/server.js';
import { makeCrl, type TestCrl } from '../../helpers/crl.js';
import { issue, testPki, type Issued } from '../../helpers/pki.js';
import { issueEc } from '../../helpers/ec-cert.js';
import { handshake, keyEntry, keyStore, serverTlsSettings, trustStore } from '../../helpers/tls.js';
import { keyPem, keys, make, type Made } from '../../helpers/ca-chain.js';

function serverCert(...names: string[]): Issued {
  return issue({ subject: { CN: names[0] as string, O: 'Acme' }, sans: names.map((n) => `DNS:${n}`), issuer: testPki().ca, usage: 'server' });
}

let certs: { a: Issued; b: Issued; wild: Issued } | undefined;
function hostCerts(): { a: Issued; b: Issued; wild: Issued } {
  certs ??= { a: serverCert('a.example.com'), b: serverCert('b.example.com'), wild: serverCert('*.example.org') };
  return certs;
}

const settings = serverTlsSettings;

/** Host name → alias of the entry that serves it. */
const aliasesOf = (prepared: PreparedServerTls): [string, string][] => [...prepared.entries].map(([host, entry]) => [host, entry.alias]);

function fails(s: ServerTlsSettings, code: GatewayErrorCode, pattern: RegExp): void {
  assert.throws(
    () => buildServerTls(s),
    (e: unknown) => e instanceof GatewayError && e.code === code && pattern.test(e.message),
  );
}

/** The subject CN of the certificate the server presented to a client asking for `servername`. */
async function servedCn(options: tls.TlsOptions, servername: string, verify = true): Promise<string | undefined> {
  const result = await handshake(
    options,
    verify ? { ca: [testPki().ca.cert], servername } : { rejectUnauthorized: false, servername },
    () => true,
  );
  assert.equal(result.clientError, undefined, `handshake for ${servername}: ${result.clientError?.message}`);
  return result.client?.peer.subject.CN as string | undefined;
}

test('a key entry with a DSA key is never served: another entry for the name is, and without one the error says why', async () => {
  const { server, ca } = testPki();
  // The certificate is not looked at: the key's type alone rules the entry out.
  const dsa = { alias: 'mydsa', privateKey: generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 224 }).privateKey, chain: [server.x509] };
  fails(settings({ keystore: keyStore(dsa) }), 'GW_ERR_TLS_NO_CERTIFICATE', /^the keystore's only entry for localhost \("mydsa"\) has a DSA key, which TLS clients of today do not accept/);
  const both = settings({ keystore: keyStore(dsa, keyEntry('localhost', server, ca)) });
  const prepared = prepareServerTls(both);
  assert.deepEqual(aliasesOf(prepared), [['localhost', 'localhost']]);
  assert.equal(await servedCn(prepared.options, 'localhost'), 'localhost');
});

test('one host name: its entry serves every client, without an SNI callback', async () => {
  const prepared = prepareServerTls(settings({}));
  assert.equal(prepared.options.SNICallback, undefined);
  assert.deepEqual(aliasesOf(prepared), [['localhost', 'localhost']]);
  assert.equal(prepared.defaultHost, 'localhost');
  assert.equal(await servedCn(prepared.options, 'localhost'), 'localhost');
});

test('several host names: the certificate is chosen by SNI, unknown names get the first host', async () => {
  const { a, b } = hostCerts();
  const { ca } = testPki();
  const s = settings({
    keystore: keyStore(keyEntry('b', b, ca), keyEntry('a', a, ca)),
    hostnames: ['a.example.com', 'B.example.com'],
  });
  const prepared = prepareServerTls(s);
  assert.deepEqual(aliasesOf(prepared), [['a.example.com', 'a'], ['b.example.com', 'b']]);
  assert.equal(typeof prepared.options.SNICallback, 'function');
  assert.equal(await servedCn(prepared.options, 'a.example.com'), 'a.example.com');
  assert.equal(await servedCn(prepared.options, 'b.example.com'), 'b.example.com');
  assert.equal(await servedCn(prepared.options, 'B.EXAMPLE.COM'), 'b.example.com');
  assert.equal(await servedCn(prepared.options, 'unknown.example.com', false), 'a.example.com');
});

test('a wildcard entry serves every host name one label below it, from one context', async () => {
  const { wild } = hostCerts();
  const prepared = prepareServerTls(
    settings({ keystore: keyStore(keyEntry('wild', wild, testPki().ca)), hostnames: ['x.example.org', 'y.example.org'] }),
  );
  assert.equal(prepared.options.SNICallback, undefined);
  assert.equal(prepared.contexts.get('x.example.org'), prepared.contexts.get('y.example.org'));
  assert.equal(await servedCn(prepared.options, 'y.example.org'), '*.example.org');
});

test('an EC key entry serves its host next to an RSA one', async () => {
  const { a } = hostCerts();
  const { ca } = testPki();
  const ecCa = issueEc({ subject: [[['2.5.4.3', 'EC CA']]], isCA: true });
  const ec = issueEc({ subject: [[['2.5.4.3', 'ec.example.com']]], sans: ['DNS:ec.example.com'], issuer: ecCa });
  const options = buildServerTls(
    settings({ keystore: keyStore(keyEntry('a', a, ca), keyEntry('ec', ec, ecCa)), hostnames: ['a.example.com', 'ec.example.com'] }),
  );
  const result = await handshake(options, { ca: [ecCa.cert], servername: 'ec.example.com' }, () => true);
  assert.equal(result.clientError, undefined);
  assert.equal(result.client?.peer.subject.CN, 'ec.example.com');
  assert.equal(result.client?.peer.asn1Curve, 'prime256v1');
});

test('an RSA host is served by SNI even when the first host is an EC entry', async () => {
  // Node adds the SNI context's certificate to the base context's rather than replacing it; from an EC base, an
  // ECDSA-capable client would otherwise still get the EC certificate for the RSA host.
  const { a } = hostCerts();
  const { ca } = testPki();
  const ecCa = issueEc({ subject: [[['2.5.4.3', 'EC CA']]], isCA: true });
  const ec = issueEc({ subject: [[['2.5.4.3', 'ec.example.com']]], sans: ['DNS:ec.example.com'], issuer: ecCa });
  const prepared = prepareServerTls(
    settings({ keystore: keyStore(keyEntry('ec', ec, ecCa), keyEntry('a', a, ca)), hostnames: ['ec.example.com', 'a.example.com'] }),
  );
  assert.equal(prepared.defaultHost, 'ec.example.com');
  assert.equal(await servedCn(prepared.options, 'a.example.com'), 'a.example.com');
  const result = await handshake(prepared.options, { ca: [ecCa.cert], servername: 'ec.example.com' }, () => true);
  assert.equal(result.client?.peer.subject.CN, 'ec.example.com');
});

test('a certificate issued for the name (its CN) wins over one that only lists it among its SANs', async () => {
  const { ca } = testPki();
  const bySan = issue({ subject: { CN: 'other.example.com' }, sans: ['DNS:other.example.com', 'DNS:a.example.com'], issuer: ca });
  const { a } = hostCerts();
  const prepared = prepareServerTls(settings({ keystore: keyStore(keyEntry('san', bySan, ca), keyEntry('a', a, ca)), hostnames: ['a.example.com'] }));
  assert.deepEqual(aliasesOf(prepared), [['a.example.com', 'a']]);
});

test('a host name no entry matches is a start-up error naming it', () => {
  const { a } = hostCerts();
  fails(
    settings({ keystore: keyStore(keyEntry('a', a)), hostnames: ['a.example.com', 'c.example.com'], where: '0.0.0.0:443', keystoreFile: 'keystore.p12' }),
    'GW_ERR_TLS_NO_CERTIFICATE',
    /^keystore "keystore\.p12" does not have any certificate entries matching c\.example\.com \(accepts on 0\.0\.0\.0:443\): its key entries are for "a" \(a\.example\.com\)$/,
  );
  fails(settings({ keystore: keyStore() }), 'GW_ERR_TLS_NO_CERTIFICATE', /matching localhost/);
  // An accept on the address of every interface: the hint is the bind, not a certificate for 0.0.0.0.
  assert.throws(
    () => buildServerTls(settings({ keystore: keyStore(keyEntry('a', a)), hostnames: ['0.0.0.0'] })),
    (e: unknown) => e instanceof GatewayError && /accept on the name clients use .*<wss\.bind>0\.0\.0\.0:PORT<\/wss\.bind>/.test(e.hint ?? ''),
  );
});

test('an entry whose key does not belong to its certificate is refused, naming alias and host', () => {
  const { server, client } = testPki();
  const broken = { alias: 'broken', privateKey: client.keyObject, chain: [server.x509] };
  fails(settings({ keystore: keyStore(broken) }), 'GW_ERR_TLS_CONTEXT', /keystore entry "broken" for host localhost/);
});

test('verify-client: certificates are asked for, never rejected by OpenSSL, and checked against the truststore', () => {
  const { ca } = testPki();
  const none = buildServerTls(settings({}));
  assert.equal(none.requestCert, false);
  assert.equal(none.rejectUnauthorized, false);
  assert.equal(none.ca, undefined);
  for (const verifyClient of ['optional', 'required'] as const) {
    const o = buildServerTls(settings({ verifyClient, truststore: trustStore(ca) }));
    assert.equal(o.requestCert, true);
    assert.equal(o.rejectUnauthorized, false);
    assert.deepEqual(o.ca, [ca.x509.toString()]);
  }
});

test('verify-client without a usable truststore is refused', () => {
  fails(settings({ verifyClient: 'required' }), 'GW_ERR_TLS_NO_KEYSTORE', /ssl\.verify-client required .*needs a truststore/);
  fails(
    settings({ verifyClient: 'optional', truststore: trustStore() }),
    'GW_ERR_TLS_NO_KEYSTORE',
    /truststore holds no certificates/,
  );
  // A client's own certificate imported in place of its CA can verify nothing; with a CA beside it, it is only warned about.
  const { ca, client, client2 } = testPki();
  fails(
    settings({ verifyClient: 'required', truststore: trustStore(client, client2) }),
    'GW_ERR_TLS_NO_KEYSTORE',
    /no certificate of the truststore can verify a client, since none is a CA or self-signed \(CN=device-1, OU=devices, O=Acme; CN=device-2, OU=devices, O=Acme\)$/,
  );
  assert.equal(buildServerTls(settings({ verifyClient: 'required', truststore: trustStore(client, ca) })).requestCert, true);
});

test('a protocol range is enforced in the handshake', async () => {
  const { ca } = testPki();
  const options = buildServerTls(settings({ protocols: ['TLSv1.2'] }));
  const ok = await handshake(options, { ca: [ca.cert], servername: 'localhost' }, (s) => s.getProtocol());
  assert.equal(ok.server, 'TLSv1.2');
  const refused = await handshake(options, { ca: [ca.cert], servername: 'localhost', minVersion: 'TLSv1.3' }, () => true);
  assert.ok(refused.clientError, 'a TLSv1.3-only client must fail');
});

test('TLSv1 works when asked for, at security level 0, with a warning', async () => {
  const { ca } = testPki();
  const prepared = prepareServerTls(settings({ protocols: ['TLSv1'] }));
  assert.equal(prepared.warnings.length, 1);
  const result = await handshake(
    prepared.options,
    { ca: [ca.cert], servername: 'localhost', minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' },
    (s) => s.getProtocol(),
  );
  assert.equal(result.clientError, undefined);
  assert.equal(result.server, 'TLSv1');
});

test('ssl.ciphers with a Java name selects that suite', async () => {
  const { ca } = testPki();
  const options = buildServerTls(settings({ ciphers: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', protocols: ['TLSv1.2'] }));
  const result = await handshake(options, { ca: [ca.cert], servername: 'localhost' }, (s) => s.getCipher().standardName);
  assert.equal(result.server, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
});

/** What a TLS 1.2 client offering only `suite` gets from a server with `options`: the suite, or its error code. */
async function tls12Offering(options: tls.TlsOptions, suite: string, ca: string = testPki().ca.cert, servername = 'localhost'): Promise<string> {
  const result = await handshake(options, { ca: [ca], servername, maxVersion: 'TLSv1.2', ciphers: suite }, (s) => s.getCipher().name);
  return result.server ?? `refused ${result.clientError?.code}`;
}

const NO_SHARED_CIPHER = 'refused ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE';

test('without ssl.ciphers, TLS 1.2 offers ECDHE with AEAD ciphers only: no CBC, static RSA or DHE suite', async () => {
  const options = buildServerTls(settings({}));
  for (const suite of ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-CHACHA20-POLY1305']) {
    assert.equal(await tls12Offering(options, suite), suite);
  }
  for (const suite of ['ECDHE-RSA-AES128-SHA', 'ECDHE-RSA-AES256-SHA384', 'AES128-GCM-SHA256', 'AES256-SHA', 'DHE-RSA-AES128-GCM-SHA256']) {
    assert.equal(await tls12Offering(options, suite), NO_SHARED_CIPHER, suite);
  }
});

test('without ssl.ciphers, an EC entry is served with ECDHE-ECDSA AEAD suites and no CBC one', async () => {
  const ecCa = issueEc({ subject: [[['2.5.4.3', 'EC CA']]], isCA: true });
  const ec = issueEc({ subject: [[['2.5.4.3', 'ec.example.com']]], sans: ['DNS:ec.example.com'], issuer: ecCa });
  const options = buildServerTls(settings({ keystore: keyStore(keyEntry('ec', ec, ecCa)), hostnames: ['ec.example.com'] }));
  for (const suite of ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305']) {
    assert.equal(await tls12Offering(options, suite, ecCa.cert, 'ec.example.com'), suite);
  }
  assert.equal(await tls12Offering(options, 'ECDHE-ECDSA-AES128-SHA', ecCa.cert, 'ec.example.com'), NO_SHARED_CIPHER);
});

test('ssl.ciphers replaces the default: a CBC or static-RSA suite it names is offered again, the default ones are not', async () => {
  const options = buildServerTls(settings({ ciphers: 'ECDHE-RSA-AES128-SHA,TLS_RSA_WITH_AES_128_GCM_SHA256' }));
  assert.equal(await tls12Offering(options, 'ECDHE-RSA-AES128-SHA'), 'ECDHE-RSA-AES128-SHA');
  assert.equal(await tls12Offering(options, 'AES128-GCM-SHA256'), 'AES128-GCM-SHA256');
  assert.equal(await tls12Offering(options, 'ECDHE-RSA-AES128-GCM-SHA256'), NO_SHARED_CIPHER);
});

test('without ssl.ciphers, TLS 1.3 keeps its suites', async () => {
  const { ca } = testPki();
  const result = await handshake(buildServerTls(settings({})), { ca: [ca.cert], servername: 'localhost', minVersion: 'TLSv1.3' }, (s) => s.getCipher().name);
  assert.equal(result.clientError, undefined);
  assert.equal(result.server, 'TLS_AES_256_GCM_SHA384');
});

test('bad protocols and ciphers surface as their own codes', () => {
  fails(settings({ protocols: ['TLSv1', 'TLSv1.2'] }), 'GW_ERR_TLS_PROTOCOLS', /hosts localhost/);
  fails(settings({ ciphers: 'NOPE' }), 'GW_ERR_TLS_CIPHERS', /ssl\.ciphers "NOPE"/);
});

/** Loads `crls` through a temporary directory, as ssl.crl would, checked against `anchors`. */
function loadedCrls(crls: readonly TestCrl[], anchors: readonly Pick<Issued, 'x509'>[]): LoadedCrls {
  const dir = mkdtempSync(join(tmpdir(), 'gw-server-crl-'));
  try {
    crls.forEach((c, i) => writeFileSync(join(dir, `${i}.crl`), c.der));
    return loadCrls(dir, { trustAnchors: anchors.map((a) => a.x509) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Connects as `client` (sending `chain` after it) to a server that verifies against `anchors` with `crls`. */
async function crlHandshake(crls: readonly TestCrl[], anchors: readonly Issued[], client: Issued, chain: readonly Issued[] = []): Promise<ClientIdentity> {
  const { ca } = testPki();
  const options = buildServerTls(settings({ truststore: trustStore(...anchors), verifyClient: 'required', crl: loadedCrls(crls, anchors) }));
  const result = await handshake(options, { ca: [ca.cert], servername: 'localhost', key: client.key, cert: [client, ...chain].map((c) => c.cert).join('') }, identify);
  assert.ok(result.server, result.clientError?.message);
  return result.server;
}

test('ssl.crl: a revoked client is refused with CERT_REVOKED and the reason says revoked; others are admitted', async () => {
  const { ca, client, client2 } = testPki();
  const crl = makeCrl(ca, { revoked: [{ serial: client.x509.serialNumber }] });
  const revoked = await crlHandshake([crl], [ca], client);
  assert.deepEqual([revoked.verified, revoked.error], [false, 'CERT_REVOKED']);
  assert.match(refusalReason(revoked, 'required') ?? '', /^CERT_REVOKED: certificate revoked: "CN=device-1, OU=devices, O=Acme" \(serial [0-9A-F]+\)/);
  const fine = await crlHandshake([crl], [ca], client2);
  assert.deepEqual([fine.verified, fine.error], [true, undefined]);
  assert.equal(refusalReason(fine, 'required'), undefined);
});

test('ssl.crl: an expired CRL refuses its CA\'s clients with CRL_HAS_EXPIRED, and start-up warns', async () => {
  const { ca, client2 } = testPki();
  const expired = makeCrl(ca, { thisUpdate: new Date(Date.now() - 10 * 86_400_000), nextUpdate: new Date(Date.now() - 86_400_000) });
  const id = await crlHandshake([expired], [ca], client2);
  assert.equal(id.error, 'CRL_HAS_EXPIRED');
  assert.match(refusalReason(id, 'required') ?? '', /^CRL_HAS_EXPIRED: CRL expired: /);
  const prepared = prepareServerTls(settings({ truststore: trustStore(ca), verifyClient: 'optional', crl: loadedCrls([expired], [ca]) }));
  assert.equal(prepared.warnings.length, 1);
  assert.match(prepared.warnings[0] ?? '', /the CRL of "CN=Test Root CA, O=Acme" .* expired at .*CRL_HAS_EXPIRED/);
});

test('ssl.crl: a trusted CA without a CRL refuses its clients with UNABLE_TO_GET_CRL, and start-up warns', async () => {
  const { ca, otherCa, client2 } = testPki();
  const id = await crlHandshake([makeCrl(otherCa)], [ca, otherCa], client2);
  assert.equal(id.error, 'UNABLE_TO_GET_CRL');
  assert.match(refusalReason(id, 'required') ?? '', /^UNABLE_TO_GET_CRL: unable to get certificate CRL: no CRL from "CN=Test Root CA, O=Acme"/);
  const prepared = prepareServerTls(settings({ truststore: trustStore(ca, otherCa), verifyClient: 'required', crl: loadedCrls([makeCrl(otherCa)], [ca, otherCa]) }));
  assert.deepEqual(prepared.warnings, ['no CRL is loaded for the truststore CA "CN=Test Root CA, O=Acme": with ssl.crl on, the certificates it issues are refused (UNABLE_TO_GET_CRL)']);
});

test('ssl.crl: a client whose chain reaches no CA of the truststore is told so, as without CRLs, not that a CRL is missing', async () => {
  const { ca } = testPki();
  const judged = async (withCrl: boolean, client: Issued, chain: readonly Issued[] = []): Promise<string | undefined> => {
    const prepared = prepareServerTls(settings({ truststore: trustStore(ca), verifyClient: 'required', ...(withCrl ? { crl: loadedCrls([makeCrl(ca)], [ca]) } : {}) }));
    const result = await handshake(prepared.options, { ca: [testPki().ca.cert], servername: 'localhost', key: client.key, cert: [client, ...chain].map((c) => c.cert).join('') }, (s) =>
      identify(s, prepared.trust),
    );
    assert.ok(result.server, result.clientError?.message);
    return result.server.error;
  };
  const rogueCa = issue({ subject: { CN: 'Rogue CA' }, isCA: true });
  const rogueClient = issue({ subject: { CN: 'device-9' }, issuer: rogueCa, usage: 'client' });
  const rogueIntermediate = issue({ subject: { CN: 'Rogue Devices CA' }, isCA: true, issuer: rogueCa });
  const belowIntermediate = issue({ subject: { CN: 'device-10' }, issuer: rogueIntermediate, usage: 'client' });
  const selfSigned = issue({ subject: { CN: 'device-8' }, usage: 'client' });
  for (const [client, chain, code] of [
    [selfSigned, [], 'DEPTH_ZERO_SELF_SIGNED_CERT'],
    [rogueClient, [rogueCa], 'SELF_SIGNED_CERT_IN_CHAIN'],
    [rogueClient, [], 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    [belowIntermediate, [rogueIntermediate], 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'],
  ] as const) {
    assert.equal(await judged(false, client, chain), code);
    assert.equal(await judged(true, client, chain), code);
  }
});

test('ssl.crl: a trusted client that sends a cross-signed copy of its root is still told of the CRL its CA lacks', async () => {
  // Node links the client's copy before the truststore's root, and finds no root above it; OpenSSL took the root.
  const kRoot = keys();
  const root = make({ cn: 'Root', keys: kRoot });
  const cross = make({ cn: 'Root', keys: kRoot, issuer: make({ cn: 'Old Root', keys: keys() }) });
  const devices = make({ cn: 'Devices CA', keys: keys(), issuer: root });
  const leaf = make({ cn: 'device-11', keys: keys(), issuer: devices, ca: false });
  const asIssued = (m: Made) => ({ x509: m.x509, keyObject: m.keys.privateKey });
  const anchors = [asIssued(root)];
  const prepared = prepareServerTls(settings({ truststore: trustStore(...anchors), verifyClient: 'required', crl: loadedCrls([makeCrl(asIssued(root))], anchors) }));
  const result = await handshake(prepared.options, { ca: [testPki().ca.cert], servername: 'localhost', key: keyPem(leaf), cert: [leaf, devices, cross].map((c) => c.x509.toString()).join('') }, (s) => identify(s, prepared.trust));
  assert.equal(result.server?.error, 'UNABLE_TO_GET_CRL');
});

test('ssl.crl checks the whole chain: an intermediate CA needs a CRL and can itself be revoked', async () => {
  const { ca } = testPki();
  const intermediate = issue({ subject: { CN: 'Devices CA', O: 'Acme' }, isCA: true, issuer: ca });
  const leaf = issue({ subject: { CN: 'device-7' }, issuer: intermediate, usage: 'client' });
  const rootCrl = makeCrl(ca);
  assert.equal((await crlHandshake([rootCrl, makeCrl(intermediate)], [ca], leaf, [intermediate])).verified, true);
  assert.equal((await crlHandshake([rootCrl], [ca], leaf, [intermediate])).error, 'UNABLE_TO_GET_CRL');
  const intermediateRevoked = makeCrl(ca, { revoked: [{ serial: intermediate.x509.serialNumber }] });
  const id = await crlHandshake([intermediateRevoked, makeCrl(intermediate)], [ca], leaf, [intermediate]);
  assert.equal(id.error, 'CERT_REVOKED');
  assert.match(refusalReason(id, 'required') ?? '', /revoked/);
});

test('ssl.crl does nothing where clients are not verified', () => {
  const { ca } = testPki();
  const prepared = prepareServerTls(settings({ truststore: trustStore(ca), verifyClient: 'none', crl: loadedCrls([makeCrl(ca)], []) }));
  assert.equal('crl' in prepared.options, false);
  const verifying = prepareServerTls(settings({ truststore: trustStore(ca), verifyClient: 'required', crl: loadedCrls([makeCrl(ca)], []) }));
  assert.equal((verifying.options.crl as string[]).length, 1);
});

test('a truststore of CAs issued by each other is warned about when the listener is prepared', () => {
  const k1 = keys();
  const k2 = keys();
  const g1 = make({ cn: 'Warn G1', keys: k1 });
  const g2 = make({ cn: 'Warn G2', keys: k2 });
  const asStore = (...made: Made[]) => trustStore(...made.map((c) => ({ x509: c.x509, keyObject: c.keys.privateKey })));
  const looped = prepareServerTls(serverTlsSettings({ truststore: asStore(make({ cn: 'Warn G2', keys: k2, issuer: g1 }), make({ cn: 'Warn G1', keys: k1, issuer: g2 }), g1, g2), verifyClient: 'required' }));
  assert.equal(looped.warnings.length, 1);
  assert.match(looped.warnings[0] ?? '', /cross-signed both ways.*UNABLE_TO_GET_ISSUER_CERT_LOCALLY.*leave the cross-signed or link certificates out/);
  const oneWay = prepareServerTls(serverTlsSettings({ truststore: asStore(make({ cn: 'Warn G2', keys: k2, issuer: g1 }), g1, g2), verifyClient: 'required' }));
  assert.deepEqual(oneWay.warnings, []);
});

test('a renewal waiting for its start date is named with when it takes over; one that cannot be served is found now', () => {
  const { ca } = testPki();
  const current = issue({ subject: { CN: 'localhost' }, sans: ['DNS:localhost'], issuer: ca, usage: 'server', keyType: 'ec', notBeforeDays: -10, notAfterDays: 30 });
  const renewal = issue({ subject: { CN: 'localhost' }, sans: ['DNS:localhost'], issuer: ca, usage: 'server', keyType: 'ec', notBeforeDays: 1, notAfterDays: 400 });
  const s = settings({ keystore: keyStore(keyEntry('current', current, ca), keyEntry('renewal', renewal, ca)) });
  const prepared = prepareServerTls(s);
  assert.equal(prepared.entries.get('localhost')?.alias, 'current');
  const upcoming = upcomingEntries(s, prepared.entries);
  assert.deepEqual(upcoming.map((u) => [u.host, u.entry.alias, u.from]), [['localhost', 'renewal', Date.parse(renewal.x509.validFrom)]]);
  assert.deepEqual(upcomingProblems(s, prepared.entries), []);
  // The renewal's certificate with another key: the TLS library would refuse it on its start date.
  const other = issue({ subject: { CN: 'other' }, issuer: ca, usage: 'server', keyType: 'ec' });
  const broken = settings({ keystore: keyStore(keyEntry('current', current, ca), { alias: 'renewal', privateKey: other.keyObject, chain: [renewal.x509, ca.x509] }) });
  const [problem, ...rest] = upcomingProblems(broken, prepareServerTls(broken).entries);
  assert.deepEqual(rest, []);
  assert.match(problem ?? '', new RegExp(`^keystore entry "renewal", which is to serve localhost from ${new Date(renewal.x509.validFrom).toISOString().replace(/\./g, '\\.')}, cannot be served: the TLS library refused keystore entry "renewal" .*; the certificate in force stays served then$`));
});
