import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gatewayConfig } from '../../../../bench/systems/gateway.js';

test('one proxy service from a wss:// accept on port 0 to the sink, client certificates required', () => {
  const xml = gatewayConfig(9000, '/tmp/w/server.pem', '/tmp/w/ca.pem');
  assert.match(xml, /<gateway-config xmlns="http:\/\/xmlns\.kaazing\.org\/2016\/06\/gateway">/);
  assert.match(xml, /<accept>wss:\/\/127\.0\.0\.1:0\/bench<\/accept>/);
  assert.match(xml, /<connect>tcp:\/\/127\.0\.0\.1:9000<\/connect>/);
  assert.match(xml, /<type>proxy<\/type>/);
  assert.match(xml, /<ssl\.verify-client>required<\/ssl\.verify-client>/);
  assert.match(xml, /<keystore><type>PEM<\/type><file>\/tmp\/w\/server\.pem<\/file><\/keystore>/);
  assert.match(xml, /<truststore><type>PEM<\/type><file>\/tmp\/w\/ca\.pem<\/file><\/truststore>/);
});
