import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KAAZING_CHILDREN } from '../../../src/config/kaazing-schema.js';
import { isKaazingName, kaazingPlacesOf } from '../../../src/config/kaazing-names.js';
import { doc, only, parse, proxy, where } from '../../helpers/config.js';

test('the names the issue found called typos are Kaazing names', () => {
  for (const name of ['udp.interface', 'http.realm', 'http.maximum.redirects']) assert.equal(isKaazingName('accept-options', name), true, name);
  for (const name of ['ws.version', 'http.max.authentication.attempts', 'udp.interface']) assert.equal(isKaazingName('connect-options', name), true, name);
  assert.equal(isKaazingName('accept-options', 'ws.version'), false);
  assert.equal(isKaazingName('properties', 'internal.maximum.transferred.bytes'), true);
  assert.equal(isKaazingName('properties', 'maximum.pending.byts'), false);
  // Login-module options are xs:any in Kaazing's schema.
  assert.equal(isKaazingName('options', 'anything.at.all'), true);
  assert.deepEqual(kaazingPlacesOf('ws.version', 'accept-options'), ['connect-options']);
});

test('every element of the table is itself a Kaazing name somewhere, or the root', () => {
  const all = new Set(Object.values(KAAZING_CHILDREN).flat());
  for (const parent of Object.keys(KAAZING_CHILDREN)) {
    if (parent !== 'gateway-config') assert.ok(all.has(parent), parent);
  }
});

test('a Kaazing option this gateway does not serve is "not supported" with what to do, a made-up one is unknown', () => {
  const r = parse(
    doc(
      ...proxy('p', 'ws://h:80/', 'tcp://b:1', [
        '    <accept-options>',
        '      <udp.interface>eth0</udp.interface>',
        '      <ws.version>x</ws.version>',
        '    </accept-options>',
        '    <connect-options>',
        '      <ws.version>draft-75</ws.version>',
        '      <ws.verson>draft-75</ws.verson>',
        '    </connect-options>',
      ]),
    ),
  );
  assert.deepEqual(where(r), [
    'error GW_ERR_CONFIG_UNSUPPORTED 8:7',
    'error GW_ERR_CONFIG_UNKNOWN_ELEMENT 9:7',
    'error GW_ERR_CONFIG_UNSUPPORTED 12:7',
    'error GW_ERR_CONFIG_UNKNOWN_ELEMENT 13:7',
  ]);
  const [udp, version] = only(r, 'GW_ERR_CONFIG_UNSUPPORTED');
  assert.equal(udp?.message, '<udp.interface> in <accept-options> is a Kaazing name this gateway does not support');
  assert.match(udp?.hint ?? '', /no udp:\/\//);
  assert.equal(version?.message, '<ws.version> in <connect-options> is a Kaazing name this gateway does not support');
  const [misplaced, typo] = only(r, 'GW_ERR_CONFIG_UNKNOWN_ELEMENT');
  assert.equal(misplaced?.hint, '<ws.version> belongs in <connect-options>');
  assert.equal(typo?.hint, 'did you mean <ws.version>?');
});

test("Kaazing's proxy and echo properties this gateway lacks are not supported; a typo is unknown", () => {
  const r = parse(
    doc(
      ...proxy('p', 'ws://h:80/', 'tcp://b:1', ['    <properties>', '      <internal.maximum.transferred.bytes>1</internal.maximum.transferred.bytes>', '      <maximum.pending.byts>1</maximum.pending.byts>', '    </properties>']),
      '  <service>',
      '    <name>e</name>',
      '    <accept>ws://h:80/e</accept>',
      '    <type>echo</type>',
      '    <properties><repeat>2</repeat></properties>',
      '  </service>',
    ),
  );
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_UNSUPPORTED 8:7', 'error GW_ERR_CONFIG_UNKNOWN_ELEMENT 9:7', 'error GW_ERR_CONFIG_UNSUPPORTED 16:17']);
  assert.equal(only(r, 'GW_ERR_CONFIG_UNKNOWN_ELEMENT')[0]?.hint, 'did you mean <maximum.pending.bytes>?');
});

test("an option of this gateway's written in the other options block is told where it belongs, and why when that is not plain", () => {
  const r = parse(
    doc(
      ...proxy('p', 'ws://h:80/', 'tcp://b:1', [
        '    <accept-options><ssl.keystore.alias>gateway</ssl.keystore.alias></accept-options>',
        '    <connect-options><ssl.crl>ca.crl</ssl.crl></connect-options>',
      ]),
    ),
  );
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_UNKNOWN_ELEMENT 7:21', 'error GW_ERR_CONFIG_UNKNOWN_ELEMENT 8:22']);
  const [alias, crl] = r.diagnostics;
  assert.equal(alias?.hint, "<ssl.keystore.alias> belongs in <connect-options>: the certificate a TLS accept serves is the key entry whose CN or DNS SAN is the accept's host name (docs/tls.md)");
  assert.equal(crl?.hint, '<ssl.crl> belongs in <accept-options>');
});
