import { test } from 'node:test';
import assert from 'node:assert/strict';
import { config, doc, only, parse, proxy, where } from '../../helpers/config.js';

test('an unknown element is an error at its line:col with the nearest valid name as hint', () => {
  const r = parse(doc(...proxy('p', 'ws://h:80/', undefined, ['    <accept-options>', '      <ssl.cipher>HIGH</ssl.cipher>', '    </accept-options>'])));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_UNKNOWN_ELEMENT 8:7']);
  assert.equal(r.diagnostics[0]?.message, 'Unknown element <ssl.cipher> in <accept-options>');
  assert.equal(r.diagnostics[0]?.hint, 'did you mean <ssl.ciphers>?');
});

test('a misspelt top-level element gets a hint; an unrelated one gets none', () => {
  const r = parse(doc('  <servce/>', '  <zzzzzzzzz/>'));
  assert.deepEqual(where(r).filter((w) => w.startsWith('error')), ['error GW_ERR_CONFIG_UNKNOWN_ELEMENT 2:3', 'error GW_ERR_CONFIG_UNKNOWN_ELEMENT 3:3']);
  const unknown = only(r, 'GW_ERR_CONFIG_UNKNOWN_ELEMENT');
  assert.equal(unknown[0]?.hint, 'did you mean <service>?');
  assert.equal(unknown[1]?.hint, undefined);
});

test('order violations in <service> name what was expected', () => {
  const r = parse(
    doc('  <service>', '    <name>p</name>', '    <type>proxy</type>', '    <accept>ws://h:80/</accept>', '    <connect>tcp://b:1</connect>', '  </service>'),
  );
  assert.deepEqual(only(r, 'GW_ERR_CONFIG_ORDER').map((d) => `${d.position?.line}:${d.position?.column}`), ['5:5', '6:5']);
  assert.equal(only(r, 'GW_ERR_CONFIG_ORDER')[0]?.message, '<accept> is out of order in <service>: it must come before <type> (line 4:5)');
  assert.match(only(r, 'GW_ERR_CONFIG_ORDER')[0]?.hint ?? '', /^expected order: name, description, accept, connect, balance, notify, type, properties/);
});

test('<properties> must come first in <gateway-config>; the other children mix freely', () => {
  const ok = parse(doc('  <properties/>', '  <security/>', ...proxy('p', 'ws://h:80/'), '  <service-defaults/>'));
  assert.equal(ok.ok, true);
  const r = parse(doc(...proxy('p', 'ws://h:80/'), '  <properties/>'));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_ORDER 8:3']);
});

test('repeated single elements and missing required ones are reported', () => {
  const r = parse(doc('  <security/>', '  <security/>', '  <service>', '    <type>echo</type>', '    <accept>ws://h/</accept>', '  </service>'));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_DUPLICATE 3:3', 'error GW_ERR_CONFIG_MISSING 4:3', 'error GW_ERR_CONFIG_ORDER 6:5']);
  assert.equal(only(r, 'GW_ERR_CONFIG_MISSING')[0]?.message, 'Missing required element: <name> in <service>');
});

test('attributes are refused everywhere but xmlns on the root', () => {
  const text = doc(...proxy('p', 'ws://h:80/')).replace('<gateway-config ', '<gateway-config xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ').replace('<name>', '<name id="1">');
  const r = parse(text);
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_ATTRIBUTE 3:5']);
});

test('text inside a container element and elements inside a value are errors', () => {
  const r = parse(doc('  <service>oops', '    <name>p<b/></name>', '    <accept>ws://h/</accept>', '    <type>echo</type>', '  </service>'));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_VALUE 2:3', 'error GW_ERR_CONFIG_UNKNOWN_ELEMENT 3:12']);
});

test('comments and CDATA work anywhere', () => {
  const r = parse(doc('  <!-- c -->', '  <service><!-- c --><name><![CDATA[p&q]]></name>', '    <accept>ws://h/<!-- c --></accept>', '    <type>echo</type>', '  </service>'));
  assert.equal(config(r).services[0]?.name, 'p&q');
});
