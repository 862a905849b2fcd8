import { test } from 'node:test';
import assert from 'node:assert/strict';
import { featuresOf, PROBED_OPTIONS, unknownOptions } from '../../../soak/features.js';

const CHECK_OUTPUT = `/tmp/p.xml:8:7: error GW_ERR_CONFIG_UNKNOWN_ELEMENT: Unknown element <ws.handshake.timeout> in <accept-options>
1 error: the gateway would not start
`;

test('an option check calls an unknown element is unknown; the others are known', () => {
  assert.deepEqual(unknownOptions(CHECK_OUTPUT, Object.keys(PROBED_OPTIONS)), ['ws.handshake.timeout']);
  assert.deepEqual(unknownOptions('the configuration is valid', Object.keys(PROBED_OPTIONS)), []);
  const f = featuresOf(['ws.handshake.timeout']);
  assert.equal(f.knows('ws.handshake.timeout'), false);
  assert.equal(f.knows('tcp.maximum.connections'), true);
  assert.equal(f.knows('ssl.verify-client'), true, 'options that are not probed count as known');
});
