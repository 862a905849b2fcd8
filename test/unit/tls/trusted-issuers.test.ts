import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrustedIssuers } from '../../../src/tls/trusted-issuers.js';
import { issue } from '../../helpers/pki.js';

test('TrustedIssuers: the chain of a certificate issued by a CA of the truststore, up through the truststore', () => {
  const root = issue({ subject: { CN: 'Fleet Root', O: 'Acme' }, isCA: true, keyType: 'ec' });
  const intermediate = issue({ subject: { CN: 'Fleet CA', O: 'Acme' }, isCA: true, issuer: root, keyType: 'ec' });
  const direct = issue({ subject: { CN: 'device-1' }, issuer: root, usage: 'client', keyType: 'ec' });
  const below = issue({ subject: { CN: 'device-2' }, issuer: intermediate, usage: 'client', keyType: 'ec' });
  // Same subject as the root, another key: never taken for the root's issuer of anything.
  const impostor = issue({ subject: { CN: 'Fleet Root', O: 'Acme' }, isCA: true, keyType: 'ec' });

  const both = new TrustedIssuers([impostor.x509, intermediate.x509, root.x509]);
  assert.deepEqual(both.chainFor(direct.x509.raw), [root.x509.raw]);
  assert.deepEqual(both.chainFor(below.x509.raw), [intermediate.x509.raw, root.x509.raw]);

  // Only the root trusted: the intermediate the client sends is for Node to link.
  const rootOnly = new TrustedIssuers([root.x509]);
  assert.deepEqual(rootOnly.chainFor(direct.x509.raw), [root.x509.raw]);
  assert.equal(rootOnly.chainFor(below.x509.raw), undefined);
  // Only the intermediate trusted: the chain ends there, as Node's linking does.
  assert.deepEqual(new TrustedIssuers([intermediate.x509]).chainFor(below.x509.raw), [intermediate.x509.raw]);
  // A self-signed client certificate, and one whose issuer is trusted under its name with another key.
  assert.equal(both.chainFor(root.x509.raw), undefined);
  assert.equal(new TrustedIssuers([impostor.x509]).chainFor(direct.x509.raw), undefined);
  assert.equal(both.chainFor(Buffer.from('not a certificate')), undefined);
});
