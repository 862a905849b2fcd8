import { test } from 'node:test';
import assert from 'node:assert/strict';
import { certificateUsage, clientAuthProblem } from '../../../src/tls/key-usage.js';
import { testPki } from '../../helpers/pki.js';
import { issueEc } from '../../helpers/ec-cert.js';
import { withUsage } from '../../helpers/usage-cert.js';

test('reads Extended Key Usage purposes and the digitalSignature bit', () => {
  const { server, client, ca } = testPki();
  assert.deepEqual(certificateUsage(server.x509), { extendedKeyUsage: ['serverAuth'], digitalSignature: true });
  assert.deepEqual(certificateUsage(client.x509), { extendedKeyUsage: ['clientAuth'], digitalSignature: true });
  assert.deepEqual(certificateUsage(ca.x509), { extendedKeyUsage: undefined, digitalSignature: true });
  const odd = withUsage(client, ca, { cn: 'odd', keyUsage: { keyEncipherment: true, dataEncipherment: true }, extKeyUsage: { codeSigning: true, '1.2.3.4': true } });
  assert.deepEqual(certificateUsage(odd.x509), { extendedKeyUsage: ['codeSigning', '1.2.3.4'], digitalSignature: false });
  const bare = withUsage(client, ca, { cn: 'bare', keyUsage: null, extKeyUsage: null });
  assert.deepEqual(certificateUsage(bare.x509), { extendedKeyUsage: undefined, digitalSignature: undefined });
});

test('EC certificates are read too', () => {
  const ec = issueEc({ subject: [[['2.5.4.3', 'ec-device']]] });
  assert.equal(clientAuthProblem(ec.x509), undefined);
});

test('clientAuthProblem names what forbids client authentication', () => {
  const { server, client, ca } = testPki();
  assert.equal(clientAuthProblem(client.x509), undefined);
  assert.equal(clientAuthProblem(server.x509), 'its extended key usage is serverAuth, not clientAuth');
  const both = withUsage(client, ca, { cn: 'both', keyUsage: { keyEncipherment: true }, extKeyUsage: { serverAuth: true, emailProtection: true } });
  assert.equal(clientAuthProblem(both.x509), 'its extended key usage is serverAuth, emailProtection, not clientAuth; its key usage lacks digitalSignature');
  const any = withUsage(client, ca, { cn: 'any', keyUsage: { digitalSignature: true }, extKeyUsage: { '2.5.29.37.0': true } });
  assert.equal(clientAuthProblem(any.x509), undefined, 'anyExtendedKeyUsage allows it');
});
