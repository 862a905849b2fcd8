import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES, GatewayError, formatDiagnostic } from '../../src/errors.js';
import { repoPath } from '../helpers/paths.js';

test('every error code is documented in docs/errors.md, and every documented code exists', () => {
  const doc = readFileSync(repoPath('docs/errors.md'), 'utf8');
  const documented = new Set([...doc.matchAll(/^\| `(GW_ERR_[A-Z0-9_]+)` \|/gm)].map((m) => m[1] as string));
  for (const code of Object.keys(ERROR_CODES)) {
    assert.ok(documented.has(code), `${code} is missing from docs/errors.md`);
  }
  for (const code of documented) {
    assert.ok(code in ERROR_CODES, `docs/errors.md documents ${code}, which src/errors.ts does not define`);
  }
});

test('a diagnostic prints as PATH:LINE:COL: severity CODE: message', () => {
  const e = new GatewayError('GW_ERR_CONFIG_VALUE', 'bad size "128kB"', {
    position: { file: 'conf/gateway-config.xml', line: 12, column: 7 },
    hint: 'use 128k',
  });
  assert.equal(e.format(), 'conf/gateway-config.xml:12:7: error GW_ERR_CONFIG_VALUE: bad size "128kB" (use 128k)');
  assert.equal(formatDiagnostic('warning', 'GW_ERR_CONFIG_WARNING', 'unused realm'), 'warning GW_ERR_CONFIG_WARNING: unused realm');
});
