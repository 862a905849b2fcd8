import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '../../../src/errors.js';
import { Diagnostics, attempt, describePosition } from '../../../src/config/diagnostics.js';

test('diagnostics come out in file order, errors and warnings together', () => {
  const d = new Diagnostics();
  d.error('GW_ERR_CONFIG_VALUE', 'b', { file: 'f', line: 5, column: 2 });
  d.warning('w', { file: 'f', line: 1, column: 9 });
  d.error('GW_ERR_CONFIG_XML', 'a', { file: 'f' });
  assert.deepEqual(d.all.map((x) => x.message), ['a', 'w', 'b']);
  assert.deepEqual(d.warnings.map((x) => x.code), ['GW_ERR_CONFIG_WARNING']);
  assert.equal(d.hasErrors, true);
});

test('attempt records a GatewayError at the position and lets other errors through', () => {
  const d = new Diagnostics();
  const at = { file: 'f', line: 3, column: 4 };
  assert.equal(attempt(d, at, () => 7), 7);
  assert.equal(attempt(d, at, () => { throw new GatewayError('GW_ERR_CONFIG_VALUE', 'bad', { hint: 'h' }); }), undefined);
  assert.deepEqual(d.all, [{ severity: 'error', code: 'GW_ERR_CONFIG_VALUE', message: 'bad', position: at, hint: 'h' }]);
  assert.throws(() => attempt(d, at, () => { throw new TypeError('bug'); }), TypeError);
});

test('a grammar error at an element whose ${} failed is not reported twice', () => {
  const d = new Diagnostics();
  const at = { file: 'f', line: 3, column: 4 };
  d.error('GW_ERR_CONFIG_PROPERTY', 'unresolved', at);
  d.fromError(new GatewayError('GW_ERR_CONFIG_URI', 'bad uri'), at);
  d.fromError(new GatewayError('GW_ERR_CONFIG_URI', 'elsewhere'), { ...at, line: 4 });
  assert.deepEqual(d.all.map((x) => x.code), ['GW_ERR_CONFIG_PROPERTY', 'GW_ERR_CONFIG_URI']);
});

test('positions are described as line:col', () => {
  assert.equal(describePosition({ file: 'f', line: 2, column: 3 }), 'line 2:3');
  assert.equal(describePosition({ file: 'f' }), 'f');
});
