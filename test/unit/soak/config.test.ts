import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderConfig, type SoakService } from '../../../soak/config.js';

const services: SoakService[] = [
  {
    name: 'a',
    accept: 'wss://127.0.0.1:0/a',
    type: 'proxy',
    connect: 'tcp://127.0.0.1:9',
    acceptOptions: { 'ssl.verify-client': 'required', 'ws.handshake.timeout': '2s' },
    properties: { 'maximum.pending.bytes': '64000' },
  },
  { name: 'b', accept: 'ws://127.0.0.1:0/b', type: 'echo', acceptOptions: { 'ws.handshake.timeout': '2s' } },
];

test('services in Kaazing order, with properties, accept-options and PEM stores', () => {
  const { xml, omitted } = renderConfig({ services, keystore: '/w/server.pem', truststore: '/w/ca&.pem' });
  assert.deepEqual(omitted, []);
  assert.match(xml, /<gateway-config xmlns="http:\/\/xmlns\.kaazing\.org\/2016\/06\/gateway">/);
  assert.match(
    xml,
    /<name>a<\/name>\s*<accept>wss:\/\/127\.0\.0\.1:0\/a<\/accept>\s*<connect>tcp:\/\/127\.0\.0\.1:9<\/connect>\s*<type>proxy<\/type>\s*<properties>\s*<maximum\.pending\.bytes>64000<\/maximum\.pending\.bytes>\s*<\/properties>\s*<accept-options>\s*<ssl\.verify-client>required<\/ssl\.verify-client>\s*<ws\.handshake\.timeout>2s<\/ws\.handshake\.timeout>/,
  );
  assert.match(xml, /<truststore><type>PEM<\/type><file>\/w\/ca&amp;\.pem<\/file><\/truststore>/);
});

test('options the gateway does not know are left out and named once', () => {
  const { xml, omitted } = renderConfig({ services, keystore: 'k', truststore: 't' }, (o) => o !== 'ws.handshake.timeout');
  assert.deepEqual(omitted, ['ws.handshake.timeout']);
  assert.doesNotMatch(xml, /handshake/);
  const b = xml.slice(xml.indexOf('<name>b</name>'), xml.indexOf('</service>', xml.indexOf('<name>b</name>')));
  assert.doesNotMatch(b, /accept-options/, 'an empty accept-options block is not written');
});
