import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import { signCertificate } from '../../../src/devpki/issue.js';
import { identify, refusalReason, type ClientIdentity } from '../../../src/tls/identity.js';
import { trustState } from '../../../src/tls/resumed.js';
import { buildServerTls, type VerifyClient } from '../../../src/tls/server.js';
import { issue, testPki, type Issued } from '../../helpers/pki.js';
import { issueEc } from '../../helpers/ec-cert.js';
import { handshake, keyEntry, keyStore, trustStore } from '../../helpers/tls.js';
import { crossSigned, keyPem, keys, make } from '../../helpers/ca-chain.js';

/** The server side of these tests: testPki()'s server certificate, `truststore`, clients judged under `verifyClient`. */
function serverOptions(truststore: Parameters<typeof buildServerTls>[0]['truststore'], verifyClient: VerifyClient = 'required'): ReturnType<typeof buildServerTls> {
  const { server, ca } = testPki();
  return buildServerTls({ keystore: keyStore(keyEntry('server', server, ca)), truststore, hostnames: ['localhost'], verifyClient, ciphers: undefined, protocols: undefined });
}

/** Connects with `clientCert` (or none) to a server under `verifyClient`; returns what the gateway sees. */
async function connectAs(verifyClient: VerifyClient, clientCert: Issued | undefined): Promise<ClientIdentity> {
  const { ca } = testPki();
  const options = serverOptions(trustStore(ca), verifyClient);
  const credentials = clientCert ? { key: clientCert.key, cert: clientCert.cert } : {};
  const result = await handshake(options, { ca: [ca.cert], servername: 'localhost', ...credentials }, identify);
  assert.equal(result.clientError, undefined, result.clientError?.message);
  assert.ok(result.server);
  return result.server;
}

test('a valid client certificate is presented, verified, and described', async () => {
  const { ca } = testPki();
  const device = issue({
    subject: { CN: 'device-9', OU: 'devices', O: 'Acme', C: 'US' },
    sans: ['DNS:device-9.acme.com', 'URI:spiffe://acme.com/device/9', 'EMAIL:device-9@acme.com', 'IP:192.0.2.9'],
    issuer: ca,
    usage: 'client',
  });
  const id = await connectAs('required', device);
  assert.deepEqual(id, {
    presented: true,
    verified: true,
    error: undefined,
    subject: 'CN=device-9, OU=devices, O=Acme, C=US',
    subjectAttributes: { CN: ['device-9'], OU: ['devices'], O: ['Acme'], C: ['US'] },
    issuer: 'CN=Test Root CA, O=Acme',
    sans: [
      { type: 'DNS', value: 'device-9.acme.com' },
      { type: 'URI', value: 'spiffe://acme.com/device/9' },
      { type: 'EMAIL', value: 'device-9@acme.com' },
      { type: 'IP', value: '192.0.2.9' },
    ],
    fingerprint256: device.x509.fingerprint256,
    serialNumber: device.x509.serialNumber,
    validTo: new Date(device.x509.validTo).toISOString(),
    chainDepth: 1,
    certificateDer: device.x509.raw,
    chainDer: [ca.x509.raw],
  });
  assert.match(id.fingerprint256 ?? '', /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.equal(refusalReason(id, 'required'), undefined);
  assert.equal(refusalReason(id, 'optional'), undefined);
});

test('required: valid admitted; expired, untrusted and missing certificates refused with the reason', async () => {
  const { client, expiredClient, untrustedClient } = testPki();

  const valid = await connectAs('required', client);
  assert.deepEqual([valid.presented, valid.verified, valid.error], [true, true, undefined]);
  assert.equal(valid.subject, 'CN=device-1, OU=devices, O=Acme');
  assert.equal(refusalReason(valid, 'required'), undefined);

  const expired = await connectAs('required', expiredClient);
  assert.deepEqual([expired.presented, expired.verified, expired.error], [true, false, 'CERT_HAS_EXPIRED']);
  assert.match(refusalReason(expired, 'required') ?? '', /^CERT_HAS_EXPIRED: certificate has expired \(valid to /);

  const untrusted = await connectAs('required', untrustedClient);
  assert.deepEqual([untrusted.presented, untrusted.verified], [true, false]);
  assert.equal(untrusted.error, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  assert.equal(untrusted.issuer, 'CN=Other CA, O=Evil');
  assert.equal(
    refusalReason(untrusted, 'required'),
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate; untrusted issuer "CN=Other CA, O=Evil" (not in the truststore)',
  );

  const anonymous = await connectAs('required', undefined);
  assert.deepEqual([anonymous.presented, anonymous.verified, anonymous.error], [false, false, undefined]);
  assert.equal(anonymous.subject, undefined);
  assert.deepEqual([anonymous.certificateDer, anonymous.chainDer], [undefined, []]);
  assert.equal(refusalReason(anonymous, 'required'), 'no client certificate sent');
});

test('optional: no certificate admitted; a certificate that does not verify refused', async () => {
  const { client, expiredClient, untrustedClient } = testPki();
  assert.equal(refusalReason(await connectAs('optional', client), 'optional'), undefined);
  assert.equal(refusalReason(await connectAs('optional', undefined), 'optional'), undefined);
  assert.match(refusalReason(await connectAs('optional', expiredClient), 'optional') ?? '', /^CERT_HAS_EXPIRED: /);
  assert.match(refusalReason(await connectAs('optional', untrustedClient), 'optional') ?? '', /untrusted issuer "CN=Other CA, O=Evil"/);
});

test('none: no certificate is asked for, so none is seen and everyone is admitted', async () => {
  const { client, untrustedClient } = testPki();
  for (const cert of [client, untrustedClient, undefined]) {
    const id = await connectAs('none', cert);
    assert.equal(id.presented, false);
    assert.equal(refusalReason(id, 'none'), undefined);
  }
});

test('a self-signed client certificate is refused as such', async () => {
  const selfSigned = issue({ subject: { CN: 'rogue' }, usage: 'client' });
  const id = await connectAs('required', selfSigned);
  assert.equal(id.error, 'DEPTH_ZERO_SELF_SIGNED_CERT');
  assert.equal(refusalReason(id, 'required'), 'DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate "CN=rogue" is not in the truststore');
});

test('a Java-style truststore holding a key entry trusts that self-signed leaf', async () => {
  const { ca } = testPki();
  const selfSigned = issue({ subject: { CN: 'pinned-device' }, usage: 'client' });
  const options = serverOptions({ ...trustStore(ca), keys: [keyEntry('pinned', selfSigned)] });
  const result = await handshake(
    options,
    { ca: [ca.cert], servername: 'localhost', key: selfSigned.key, cert: selfSigned.cert },
    identify,
  );
  assert.equal(result.server?.verified, true);
  // The leaf is its own trust anchor: no intermediate, so any ssl.verify-depth admits it.
  assert.equal(result.server?.chainDepth, 0);
  assert.deepEqual([result.server?.certificateDer, result.server?.chainDer], [selfSigned.x509.raw, []]);
  assert.equal(refusalReason(result.server as ClientIdentity, 'required', 0), undefined);
});

test('an EC client certificate with a multi-valued RDN is verified and described', async () => {
  const { ca } = testPki();
  const ecCa = issueEc({ subject: [[['2.5.4.10', 'Acme']], [['2.5.4.3', 'EC Devices CA']]], isCA: true, notAfterDays: 3650 });
  const device = issueEc({
    subject: [[['2.5.4.10', 'Acme']], [['2.5.4.11', 'fleet-a'], ['0.9.2342.19200300.100.1.1', 'u-17']], [['2.5.4.3', 'sensor-17']]],
    sans: ['URI:urn:device:17', 'IP:2001:db8::17'],
    issuer: ecCa,
  });
  const options = serverOptions(trustStore(ca, ecCa));
  const result = await handshake(options, { ca: [ca.cert], servername: 'localhost', key: device.key, cert: device.cert }, identify);
  const id = result.server;
  assert.ok(id);
  assert.equal(id.verified, true);
  assert.equal(id.subject, 'CN=sensor-17, OU=fleet-a+UID=u-17, O=Acme');
  assert.deepEqual(id.subjectAttributes, { CN: ['sensor-17'], OU: ['fleet-a'], UID: ['u-17'], O: ['Acme'] });
  assert.equal(id.issuer, 'CN=EC Devices CA, O=Acme');
  assert.deepEqual(id.sans, [
    { type: 'URI', value: 'urn:device:17' },
    { type: 'IP', value: '2001:db8::17' },
  ]);
  assert.equal(id.fingerprint256, device.x509.fingerprint256);
});

test('refusalReason names unknown codes as they are', () => {
  const id: ClientIdentity = {
    presented: true,
    verified: false,
    error: 'SOMETHING_NEW',
    subject: 'CN=x',
    subjectAttributes: { CN: ['x'] },
    issuer: 'CN=y',
    sans: [],
    fingerprint256: undefined,
    serialNumber: undefined,
    validTo: undefined,
    chainDepth: undefined,
    certificateDer: undefined,
    chainDer: [],
  };
  assert.equal(refusalReason(id, 'required'), 'SOMETHING_NEW: certificate verification failed');
  assert.equal(refusalReason(id, 'none'), undefined);
});

/** A root → intermediates → leaf chain; the client sends leaf and intermediates, the truststore holds the root. */
function chainOf(intermediates: number): { root: Issued; cas: Issued[]; leaf: Issued } {
  const root = issue({ subject: { CN: 'Depth Root', O: 'Acme' }, isCA: true, notAfterDays: 3650 });
  const cas: Issued[] = [];
  let parent = root;
  for (let i = 1; i <= intermediates; i++) {
    parent = issue({ subject: { CN: `Depth CA ${i}`, O: 'Acme' }, isCA: true, issuer: parent });
    cas.unshift(parent);
  }
  return { root, cas, leaf: issue({ subject: { CN: `leaf-${intermediates}` }, issuer: parent, usage: 'client' }) };
}

test('chainDepth counts as OpenSSL does; ssl.verify-depth N admits up to N intermediate CAs', async () => {
  const { ca } = testPki();
  // Expected admissions were checked against `openssl verify -verify_depth N`: a leaf under two intermediates
  // fails at depths 0 and 1 and passes at 2; a leaf issued by the root passes at 0.
  for (const intermediates of [0, 1, 2]) {
    const { root, cas, leaf } = chainOf(intermediates);
    const options = serverOptions(trustStore(root));
    const result = await handshake(options, { ca: [ca.cert], servername: 'localhost', key: leaf.key, cert: [leaf.cert, ...cas.map((c) => c.cert)].join('') }, identify);
    const id = result.server;
    assert.ok(id);
    assert.equal(id.verified, true);
    assert.equal(id.chainDepth, intermediates + 1, `${intermediates} intermediates`);
    // RFC 9440 Client-Cert and Client-Cert-Chain: the leaf, then its issuers in TLS order up to the trust anchor.
    assert.deepEqual(id.certificateDer, leaf.x509.raw);
    assert.deepEqual(id.chainDer, [...cas, root].map((c) => c.x509.raw), `${intermediates} intermediates`);
    for (const depth of [0, 1, 2, 3]) {
      const reason = refusalReason(id, 'required', depth);
      if (intermediates <= depth) assert.equal(reason, undefined, `${intermediates} intermediates at depth ${depth}`);
      else assert.equal(reason, `CERT_CHAIN_TOO_LONG: certificate chain too long: "CN=leaf-${intermediates}" chains to its trust anchor through ${intermediates} intermediate CA${intermediates === 1 ? '' : 's'}, ssl.verify-depth allows ${depth}`);
    }
    assert.equal(refusalReason(id, 'required'), undefined);
    assert.equal(refusalReason(id, 'none', 0), undefined);
  }
});

test('extra certificates a client sends do not count towards its chain depth', async () => {
  const { ca, client2 } = testPki();
  const { root, cas, leaf } = chainOf(1);
  const options = serverOptions(trustStore(root));
  const cert = [leaf.cert, ...cas.map((c) => c.cert), client2.cert, ca.cert].join('');
  const result = await handshake(options, { ca: [ca.cert], servername: 'localhost', key: leaf.key, cert }, identify);
  assert.equal(result.server?.verified, true);
  assert.equal(result.server?.chainDepth, 2);
  assert.deepEqual(result.server?.chainDer, [...cas, root].map((c) => c.x509.raw));
});

/**
 * A look-alike of `ca` signed by a key of no CA: its subject and key identifier, `root` named as its issuer, expired,
 * with `publicKey` (a throw-away one, or the real CA's). Node links a certificate to such a one by name and key
 * identifier; OpenSSL, which checks signatures and validity, passes it over.
 */
function lookAlike(ca: Issued, root: Issued, publicKey: KeyObject): string {
  const real = forge.pki.certificateFromPem(ca.cert);
  const skid = real.getExtension('subjectKeyIdentifier') as { value: string };
  const cert = forge.pki.createCertificate();
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 10 * 86_400_000);
  cert.validity.notAfter = new Date(Date.now() - 5 * 86_400_000);
  cert.setSubject(real.subject.attributes);
  cert.setIssuer(forge.pki.certificateFromPem(root.cert).subject.attributes);
  const asn1 = forge.asn1;
  const keyId = asn1.fromDer(skid.value).value as string;
  cert.setExtensions([{ name: 'subjectKeyIdentifier', value: asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, keyId) }]);
  const signer = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return signCertificate(cert, publicKey, signer.privateKey).toString();
}

test('a look-alike of one of its CAs that a client sends is not taken for its chain, whose depth would be wrong', async () => {
  const { ca } = testPki();
  const { root, cas, leaf } = chainOf(2);
  const options = serverOptions(trustStore(root));
  const trust = trustState([root.x509], undefined);
  const issuerKey = new X509Certificate(cas[0]!.cert).publicKey;
  const throwAway = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
  for (const [what, extra] of [['signed by another key', lookAlike(cas[0]!, root, throwAway)], ["with the CA's own public key", lookAlike(cas[0]!, root, issuerKey)]] as const) {
    // OpenSSL verifies the real chain, through two intermediates; Node would link the look-alike, through none.
    const cert = [leaf.cert, extra, ...cas.map((c) => c.cert)].join('');
    const result = await handshake(options, { ca: [ca.cert], servername: 'localhost', key: leaf.key, cert }, (s) => ({ authorized: s.authorized, id: identify(s, trust) }));
    assert.equal(result.server?.authorized, true, what);
    const id = result.server.id;
    assert.equal(id.verified, false, what);
    assert.equal(id.error, 'CERT_SIGNATURE_FAILURE', what);
    assert.equal(refusalReason(id, 'required', 1), 'CERT_SIGNATURE_FAILURE: certificate signature failure', what);
    assert.ok(!id.chainDer.some((der) => der.equals(new X509Certificate(extra).raw)), `${what}: the look-alike is not reported as a CA of the chain`);
  }
  // The same client without the look-alike: its real chain, two intermediates deep.
  const plain = await handshake(options, { ca: [ca.cert], servername: 'localhost', key: leaf.key, cert: [leaf.cert, ...cas.map((c) => c.cert)].join('') }, (s) => identify(s, trust));
  assert.equal(plain.server?.verified, true);
  assert.equal(plain.server?.chainDepth, 3);
  assert.match(refusalReason(plain.server, 'required', 1) ?? '', /^CERT_CHAIN_TOO_LONG/);
});

test('refusal reasons for revocation say revoked, and CRL expired, naming the client', () => {
  const base: ClientIdentity = {
    presented: true,
    verified: false,
    error: 'CERT_REVOKED',
    subject: 'CN=device-1, OU=devices, O=Acme',
    subjectAttributes: {},
    issuer: 'CN=Test Root CA, O=Acme',
    sans: [],
    fingerprint256: undefined,
    serialNumber: '0A1B',
    validTo: undefined,
    chainDepth: 1,
    certificateDer: undefined,
    chainDer: [],
  };
  assert.equal(refusalReason(base, 'required'), 'CERT_REVOKED: certificate revoked: "CN=device-1, OU=devices, O=Acme" (serial 0A1B) or a CA of its chain is listed on a CRL (ssl.crl)');
  assert.equal(
    refusalReason({ ...base, error: 'CRL_HAS_EXPIRED' }, 'optional'),
    'CRL_HAS_EXPIRED: CRL expired: the CRL of "CN=Test Root CA, O=Acme" or of another CA of the chain is past its nextUpdate; install a fresh CRL (ssl.crl)',
  );
  assert.equal(
    refusalReason({ ...base, error: 'UNABLE_TO_GET_CRL' }, 'required', 5),
    'UNABLE_TO_GET_CRL: unable to get certificate CRL: no CRL from "CN=Test Root CA, O=Acme" or from another CA of the chain is loaded (ssl.crl)',
  );
});

test("a certificate's chain is linked once per trust: the next full handshake under the same trust reuses it", async () => {
  const { ca } = testPki();
  const { root, cas, leaf } = chainOf(1);
  const options = serverOptions(trustStore(root));
  const client = { ca: [ca.cert], servername: 'localhost', key: leaf.key, cert: [leaf.cert, ...cas.map((c) => c.cert)].join('') };
  /** identify() under `trust`, counting the calls that link the whole chain. */
  const identifyCounting = (trust: ReturnType<typeof trustState>) => async () => {
    let linked = 0;
    const result = await handshake(options, client, (socket) => {
      const original = socket.getPeerCertificate.bind(socket);
      socket.getPeerCertificate = ((detailed?: boolean) => {
        if (detailed === true) linked++;
        return original(detailed as true);
      }) as typeof socket.getPeerCertificate;
      return identify(socket, trust);
    });
    assert.ok(result.server);
    return { id: result.server, linked };
  };
  const first = trustState([root.x509], undefined);
  const expected = [...cas, root].map((c) => c.x509.raw);

  const a = await identifyCounting(first)();
  assert.deepEqual([a.linked, a.id.verified, a.id.chainDer], [1, true, expected]);
  const b = await identifyCounting(first)();
  assert.deepEqual([b.linked, b.id.verified, b.id.chainDepth, b.id.chainDer], [0, true, 2, expected], 'the same trust: the chain is reused');
  // A reload or a changed CRL makes a new trust object: the chain is linked again under it.
  const c = await identifyCounting(trustState([root.x509], undefined))();
  assert.deepEqual([c.linked, c.id.chainDer], [1, expected]);
});

test('a certificate issued by a CA of the truststore gets its chain from the trust, without Node linking it', async () => {
  const { ca } = testPki();
  const { root, cas, leaf } = chainOf(1);
  const direct = issue({ subject: { CN: 'direct' }, issuer: root, usage: 'client' });
  const intermediate = cas[0]!;
  /** identify() under `trust` (and, to compare, with Node's linking), counting the calls that link the whole chain. */
  const identified = async (truststore: Issued[], client: Issued) => {
    const options = serverOptions(trustStore(...truststore));
    const trust = trustState(truststore.map((c) => c.x509), undefined);
    let linked = 0;
    const result = await handshake(options, { ca: [ca.cert], servername: 'localhost', key: client.key, cert: client.cert }, (socket) => {
      const original = socket.getPeerCertificate.bind(socket);
      socket.getPeerCertificate = ((detailed?: boolean) => {
        if (detailed === true) linked++;
        return original(detailed as true);
      }) as typeof socket.getPeerCertificate;
      return { fast: identify(socket, trust), linked, byNode: identify(socket) };
    });
    assert.ok(result.server);
    return result.server;
  };
  const a = await identified([root], direct);
  assert.deepEqual([a.linked, a.fast.verified, a.fast.chainDepth, a.fast.chainDer], [0, true, 1, [root.x509.raw]]);
  assert.deepEqual(a.fast.chainDer, a.byNode.chainDer);
  // The intermediate in the truststore too, and the client sending its certificate alone.
  const b = await identified([intermediate, root], leaf);
  assert.deepEqual([b.linked, b.fast.verified, b.fast.chainDepth, b.fast.chainDer], [0, true, 2, [intermediate.x509.raw, root.x509.raw]]);
  assert.deepEqual(b.fast.chainDer, b.byNode.chainDer);
  assert.match(refusalReason(b.fast, 'required', 0) ?? '', /^CERT_CHAIN_TOO_LONG/);
});

for (const [what, cross] of [
  ['CAs issued by each other', {}],
  // OpenSSL's issuer lookup reads neither keyUsage nor the string type or case of a name.
  ['cross-certificates without keyCertSign', { keyCertSign: false }],
  ['issuer names in another string type', { issuerUtf8: true }],
] as const) {
  test(`a truststore of ${what}: a client is judged without Node linking its chain round the loop`, async () => {
    const { ca } = testPki();
    const { g1, g2, g1cross, g2cross } = crossSigned(cross);
    const truststore = [g2cross, g1cross, g1, g2];
    const leaf = make({ cn: 'loop-device', keys: keys(), issuer: g2, ca: false });
    // A truststore holds certificates only: the key beside each is the store helper's, never used.
    const options = serverOptions(trustStore(...truststore.map((c) => ({ x509: c.x509, keyObject: c.keys.privateKey }))));
    const trust = trustState(truststore.map((c) => c.x509), undefined);
    assert.equal(trust.issuers.loops, true);
    const result = await handshake(options, { ca: [ca.cert], servername: 'localhost', key: keyPem(leaf), cert: leaf.x509.toString() }, (s) => ({
      authorized: s.authorized,
      id: identify(s, trust),
    }));
    // OpenSSL, which keeps track of where it has been, refuses this one; Node's linking, asked for the chain of the
    // refusal, went round the loop until the process ran out of memory.
    assert.equal(result.server?.authorized, false);
    assert.equal(result.server.id.verified, false);
    assert.deepEqual(result.server.id.chainDer, []);
  });
}

test('a truststore holding an intermediate CA but not its root: the refusal names the root as the missing issuer', async () => {
  const { ca } = testPki();
  const intermediate = issue({ subject: { CN: 'Only Intermediate', O: 'Acme' }, isCA: true, issuer: ca, notAfterDays: 30 });
  const device = issue({ subject: { CN: 'device-o', O: 'Acme' }, issuer: intermediate, usage: 'client' });
  const result = await handshake(serverOptions(trustStore(intermediate), 'optional'), { ca: [ca.cert], servername: 'localhost', key: device.key, cert: device.cert }, identify);
  assert.ok(result.server);
  assert.equal(result.server.issuer, 'CN=Only Intermediate, O=Acme');
  assert.match(refusalReason(result.server, 'optional') ?? '', /^UNABLE_TO_GET_ISSUER_CERT: .*; untrusted issuer "CN=Test Root CA, O=Acme" \(not in the truststore\)$/);
});
