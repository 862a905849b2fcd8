/**
 * `bin/gateway check` on real Kaazing files as an operator runs it (the whole corpus is checked in process by
 * test/unit/cli/kaazing-corpus.test.ts): the shipped default, ws:// and wss:// sharing ports, interface names, every
 * accept-option of the schema, and an older namespace.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runGateway } from '../helpers/gateway-process.js';
import { CORPUS, allowedError } from '../helpers/kaazing-corpus.js';

const SAMPLE = [
  'kaazing-gateway__distribution_conf__gateway-config.xml',
  'kaazing-gateway__server-test-parse__gateway-config-bind.xml',
  'kaazing-gateway__server-test-parse__gateway-config-network-interface-syntax.xml',
  'kaazing-gateway__server-test-parse__gateway-config-in-sequence-connect-options.xml',
  'kaazing-gateway__samples-cluster__cluster-member-1-config.xml',
  'kaazing-gateway__server-test-parse__gateway-config-valid-ws-inactivity-timeout.xml',
];

describe('bin/gateway check on real Kaazing files', { concurrency: 2 }, () => {
  for (const name of SAMPLE) {
    test(name, async () => {
      const r = await runGateway(['check', '--config', `${CORPUS}/${name}`]);
      assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
      assert.doesNotMatch(r.stdout + r.stderr, /GW_ERR_INTERNAL|GW_ERR_CONFIG_UNKNOWN_ELEMENT|\n\s+at /);
      const errors = [...r.stdout.matchAll(/^.+?:\d+:\d+: error (GW_ERR_[A-Z0-9_]+): .*$/gm)];
      if (r.code === 1) assert.ok(errors.length > 0, r.stdout);
      for (const m of errors) assert.ok(allowedError(name, m[1] as string, m[0]), m[0]);
    });
  }

  test('ws:// and wss:// accepts that share a port are no conflict', async () => {
    const r = await runGateway(['check', '--config', `${CORPUS}/kaazing-gateway__server-test-parse__gateway-config-bind.xml`]);
    assert.doesNotMatch(r.stdout, /GW_ERR_CONFIG_CONFLICT|GW_ERR_CONFIG_DUPLICATE/);
  });
});
