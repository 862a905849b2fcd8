import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildChain } from '../../../src/keystore/chain.js';
import { testPki } from '../../helpers/pki.js';

test('a chain runs from the leaf through its issuers in the pool and stops at a self-issued root', () => {
  const pki = testPki();
  const pool = [pki.otherCa.x509, pki.ca.x509, pki.server.x509];
  assert.deepEqual(buildChain(pki.server.x509, pool).map((c) => c.subject), [pki.server.x509.subject, pki.ca.x509.subject]);
  assert.deepEqual(buildChain(pki.server.x509, [pki.otherCa.x509]).length, 1);
  assert.deepEqual(buildChain(pki.ca.x509, pool).length, 1);
});
