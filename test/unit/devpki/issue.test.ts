import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { connect, createServer, type TLSSocket } from 'node:tls';
import forge from 'node-forge';
import { issue, randomSerial, signCertificate, type KeyType } from '../../../src/devpki/issue.js';
import { GatewayError } from '../../../src/errors.js';
import { withDeadline, WAIT_MS } from '../../helpers/deadline.js';

/** RFC 5280's first method of naming a key: the SHA-1 of its bits, computed here from Node's own exports. */
function keyId(x509: X509Certificate): Buffer {
  const key = x509.publicKey;
  let bits: Buffer;
  if (key.asymmetricKeyType === 'ec') {
    const { x, y } = key.export({ format: 'jwk' });
    bits = Buffer.concat([Buffer.from([0x04]), Buffer.from(x!, 'base64url'), Buffer.from(y!, 'base64url')]);
  } else {
    bits = key.export({ type: 'pkcs1', format: 'der' });
  }
  return createHash('sha1').update(bits).digest();
}

const der = (hex: string) => Buffer.from(hex.replace(/ /g, ''), 'hex');
/** Each extension's DER as it must appear: OID, then (for key usage) critical, then the OCTET STRING around the value. */
const subjectKeyIdExtension = (of: X509Certificate) => Buffer.concat([der('06 03 551d0e 04 16 04 14'), keyId(of)]);
const authorityKeyIdExtension = (issuer: X509Certificate) => Buffer.concat([der('06 03 551d23 04 18 30 16 80 14'), keyId(issuer)]);
const KEY_USAGE = {
  // digitalSignature and keyEncipherment; a P-256 key only signs.
  rsa: der('06 03 551d0f 01 01 ff 04 04 03 02 05 a0'),
  ec: der('06 03 551d0f 01 01 ff 04 04 03 02 07 80'),
};
/** sha256WithRSAEncryption with NULL parameters (RFC 4055); ecdsa-with-SHA256 with none (RFC 5758). */
const SIGNATURE_ALGORITHM = { rsa: der('30 0d 06 09 2a864886f70d01010b 05 00'), ec: der('30 0a 06 08 2a8648ce3d040302') };

/** How many times `part` occurs in `whole`. */
function occurrences(whole: Buffer, part: Buffer): number {
  let count = 0;
  for (let at = whole.indexOf(part); at !== -1; at = whole.indexOf(part, at + 1)) count++;
  return count;
}

for (const keyType of ['rsa', 'ec'] as KeyType[]) {
  test(`${keyType}: a CA, a server and a client certificate chain, with the names, usages, algorithms and key identifiers asked for`, () => {
    const ca = issue({ subject: { CN: 'Test CA', O: 'Acme' }, isCA: true, keyType });
    const server = issue({ subject: { CN: 'localhost' }, sans: ['DNS:localhost', 'IP:127.0.0.1'], issuer: ca, usage: 'server', keyType });
    const client = issue({ subject: { CN: 'device-1', OU: 'devices', O: 'Acme' }, issuer: ca, usage: 'client', keyType });

    assert.equal(ca.keyObject.asymmetricKeyType, keyType);
    assert.ok(ca.x509.ca);
    assert.ok(ca.x509.verify(ca.x509.publicKey), 'the CA signs itself');
    // The algorithm is named twice, inside the signed part and beside the signature.
    assert.equal(occurrences(ca.x509.raw, SIGNATURE_ALGORITHM[keyType]), 2);
    assert.ok(ca.x509.raw.includes(subjectKeyIdExtension(ca.x509)));
    for (const leaf of [server, client]) {
      assert.equal(leaf.x509.ca, false);
      assert.ok(leaf.x509.checkIssued(ca.x509));
      assert.ok(leaf.x509.verify(ca.x509.publicKey), 'the CA signed the leaf');
      assert.equal(occurrences(leaf.x509.raw, SIGNATURE_ALGORITHM[keyType]), 2);
      assert.ok(leaf.x509.raw.includes(KEY_USAGE[keyType]));
      assert.ok(leaf.x509.raw.includes(subjectKeyIdExtension(leaf.x509)));
      assert.ok(leaf.x509.raw.includes(authorityKeyIdExtension(ca.x509)));
    }
    assert.equal(server.x509.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1');
    // Node's keyUsage is the extended key usage.
    assert.deepEqual(server.x509.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    assert.deepEqual(client.x509.keyUsage, ['1.3.6.1.5.5.7.3.2']);
    assert.equal(client.x509.subject, 'O=Acme\nOU=devices\nCN=device-1');
    assert.equal(client.x509.issuer, ca.x509.subject);
    // The PEM key is PKCS#8 and is the private half of the leaf's public key.
    const privateKey = createPrivateKey(client.key);
    assert.equal(privateKey.asymmetricKeyDetails?.namedCurve ?? privateKey.asymmetricKeyType, keyType === 'ec' ? 'prime256v1' : 'rsa');
    assert.ok(createPublicKey(privateKey).equals(client.x509.publicKey));
  });
}

test('OpenSSL accepts P-256 certificates from either kind of CA in a mutual TLS handshake', async () => {
  for (const caKey of ['rsa', 'ec'] as KeyType[]) {
    const ca = issue({ subject: { CN: `${caKey} CA` }, isCA: true, keyType: caKey });
    const server = issue({ subject: { CN: 'localhost' }, sans: ['DNS:localhost'], issuer: ca, usage: 'server', keyType: 'ec' });
    const client = issue({ subject: { CN: 'device' }, issuer: ca, usage: 'client', keyType: 'ec' });
    const tlsServer = createServer({ key: server.key, cert: server.cert, ca: ca.cert, requestCert: true, rejectUnauthorized: true });
    const accepted = new Promise<TLSSocket>((resolve) => tlsServer.once('secureConnection', resolve));
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    const port = (tlsServer.address() as { port: number }).port;
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ca.cert, key: client.key, cert: client.cert });
    try {
      await withDeadline(new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject)), WAIT_MS, 'the handshake');
      assert.ok(socket.authorized, String(socket.authorizationError));
      const peer = await withDeadline(accepted, WAIT_MS, 'the server side');
      assert.ok(peer.authorized, String(peer.authorizationError));
      assert.equal(peer.getPeerX509Certificate()?.fingerprint256, client.x509.fingerprint256);
      peer.destroy();
    } finally {
      socket.destroy();
      await new Promise((resolve) => tlsServer.close(resolve));
    }
  }
});

test('a key type other than rsa or ec, or a CA key that cannot sign certificates, is a usage error', () => {
  assert.throws(() => issue({ subject: { CN: 'x' }, keyType: 'dsa' as KeyType }), (err: unknown) => err instanceof GatewayError && err.code === 'GW_ERR_USAGE' && /key type "dsa"/.test(err.message));
  const ed = generateKeyPairSync('ed25519');
  const ca = issue({ subject: { CN: 'CA' }, isCA: true, keyType: 'ec' });
  assert.throws(
    () => issue({ subject: { CN: 'x' }, issuer: { ...ca, keyObject: ed.privateKey } }),
    (err: unknown) => err instanceof GatewayError && err.code === 'GW_ERR_USAGE' && /issuer's key is ed25519/.test(err.message),
  );
});

test('a serial number whose random bytes begin with zeros still makes a certificate OpenSSL reads', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  for (const first of [[0x00, 0x01], [0x00, 0x00], [0x80, 0x00], [0xff, 0xff]]) {
    const serial = randomSerial(Buffer.from([...first, ...Array<number>(14).fill(0x5a)]));
    assert.match(serial, /^[4-7][0-9a-f]{31}$/, 'positive, 16 bytes, its first byte never 0');
    const cert = forge.pki.createCertificate();
    cert.serialNumber = serial;
    cert.validity.notBefore = new Date(Date.now() - 60_000);
    cert.validity.notAfter = new Date(Date.now() + 60_000);
    cert.setSubject([{ shortName: 'CN', value: 'serial' }]);
    cert.setIssuer([{ shortName: 'CN', value: 'serial' }]);
    const issued = signCertificate(cert, publicKey, privateKey);
    assert.equal(issued.serialNumber.toLowerCase(), serial);
  }
});
