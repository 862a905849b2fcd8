import { test } from 'node:test';
import assert from 'node:assert/strict';
import { doc, parse, proxy, where } from '../../helpers/config.js';

test('cluster is a warning, never an error; its content is not read', () => {
  const r = parse(doc(...proxy('p', 'ws://h/'), '  <cluster><name>c</name><anything/></cluster>'));
  assert.equal(r.ok, true);
  assert.deepEqual(where(r), ['warning GW_ERR_CONFIG_WARNING 8:3']);
});

test('a file with no service is valid but warned about', () => {
  const r = parse(doc());
  assert.equal(r.ok, true);
  assert.deepEqual(where(r), ['warning GW_ERR_CONFIG_WARNING 1:1']);
});

test('<properties> holds <property> elements of <name> then <value>', () => {
  const r = parse(doc('  <properties>', '    <property><value>1</value><name>a</name></property>', '    <property><name></name><value>1</value></property>', '    <proprety/>', '  </properties>', ...proxy('p', 'ws://h/')));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_ORDER 3:31', 'error GW_ERR_CONFIG_MISSING 4:15', 'error GW_ERR_CONFIG_UNKNOWN_ELEMENT 5:5']);
  assert.equal(r.diagnostics[2]?.hint, 'did you mean <property>?');
});

test('service-defaults takes accept-options, connect-options and mime-mapping, in that order', () => {
  const r = parse(doc('  <service-defaults>', '    <connect-options/>', '    <accept-options/>', '    <realm-name>x</realm-name>', '  </service-defaults>', ...proxy('p', 'ws://h/')));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_ORDER 4:5', 'error GW_ERR_CONFIG_UNKNOWN_ELEMENT 5:5']);
});

test('every problem of a file is listed, in file order', () => {
  const r = parse(
    doc(
      '  <service>',
      '    <name>a</name>',
      '    <accept>ws://h/</accept>',
      '    <type>session</type>',
      '    <realm-name>r</realm-name>',
      '  </service>',
      ...proxy('b', 'wss://h/', 'udp://x:1', ['    <accept-options><ssl.protocols>SSLv3</ssl.protocols></accept-options>']),
      '  <security><realm><name>r</name></realm><realm><name>unused</name></realm></security>',
    ),
  );
  assert.deepEqual(where(r), [
    'error GW_ERR_CONFIG_UNSUPPORTED 5:5',
    'error GW_ERR_CONFIG_UNSUPPORTED 11:5',
    'error GW_ERR_CONFIG_VALUE 13:21',
    'error GW_ERR_CONFIG_MISSING 15:13',
    'warning GW_ERR_CONFIG_WARNING 15:42',
  ]);
});
