import { test } from 'node:test';
import assert from 'node:assert/strict';
import { corrupt, reason, storeError } from '../../../src/keystore/fail.js';

test('store errors name the file first and keep the cause and hint', () => {
  const cause = new Error('inner');
  const e = storeError('GW_ERR_STORE_FORMAT', 'conf/keystore.db', 'is a JCEKS store', cause, 'specify <type>JCEKS</type>');
  assert.equal(e.message, 'store "conf/keystore.db": is a JCEKS store');
  assert.equal(e.cause, cause);
  assert.equal(e.hint, 'specify <type>JCEKS</type>');
  assert.equal(corrupt('k.jks', 'alias ends early').code, 'GW_ERR_STORE_CORRUPT');
  assert.match(corrupt('k.jks', 'alias ends early').message, /truncated or damaged/);
  assert.equal(reason(cause), 'inner');
  assert.equal(reason(42), '42');
});
