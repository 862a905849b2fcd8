import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { config, doc, parse, proxy, where } from '../../helpers/config.js';

test('store paths resolve against the config file directory; type is upper-cased', () => {
  const text = doc(...proxy('p', 'ws://h/'), '  <security>', '    <keystore><type>jceks</type><file>keystore.db</file><password-file>keystore.pw</password-file></keystore>', '    <truststore><file>/etc/trust.p12</file></truststore>', '  </security>');
  const c = config(parse(text));
  assert.deepEqual(c.security.keystore, { type: 'JCEKS', file: resolve('conf/keystore.db'), passwordFile: resolve('conf/keystore.pw'), position: { file: 'conf/gateway-config.xml', line: 9, column: 5 } });
  assert.deepEqual(c.security.truststore, { type: undefined, file: '/etc/trust.p12', passwordFile: undefined, position: { file: 'conf/gateway-config.xml', line: 10, column: 5 } });
  assert.equal(c.file, resolve('conf/gateway-config.xml'));
});

test('store type is read as docs/keystores.md says: any case, PKCS#12, P12 and PFX meaning PKCS12', () => {
  for (const [written, type] of [['PKCS#12', 'PKCS12'], ['PFX', 'PKCS12'], ['Pkcs12', 'PKCS12'], ['p12', 'PKCS12'], [' Jceks ', 'JCEKS'], ['pem', 'PEM']]) {
    const c = config(parse(doc(...proxy('p', 'ws://h/'), '  <security>', `    <keystore><type>${written}</type><file>k.p12</file></keystore>`, '  </security>')));
    assert.equal(c.security.keystore?.type, type, written);
  }
});

test('store type must be JKS, JCEKS, PKCS12 or PEM; file is required and not empty; order is type, file, password-file', () => {
  const text = doc(...proxy('p', 'ws://h/'), '  <security>', '    <keystore><type>BKS</type><file>k</file></keystore>', '    <truststore><password-file>p</password-file><file></file></truststore>', '  </security>');
  const r = parse(text);
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_VALUE 9:15', 'error GW_ERR_CONFIG_ORDER 10:49', 'error GW_ERR_CONFIG_MISSING 10:49']);
  assert.match(r.diagnostics[0]?.message ?? '', /Invalid <keystore> type "BKS": allowed values are JKS, JCEKS, PKCS12, PEM \(any case; PKCS#12, P12 and PFX also mean PKCS12\)/);
  const missing = parse(doc(...proxy('p', 'ws://h/'), '  <security><keystore/></security>'));
  assert.deepEqual(where(missing), ['error GW_ERR_CONFIG_MISSING 8:13']);
});

test('a realm no service names is a warning; security order is keystore, truststore, realm', () => {
  const r = parse(doc(...proxy('p', 'ws://h/'), '  <security>', '    <realm><name>demo</name><authentication/></realm>', '    <keystore><file>k</file></keystore>', '  </security>'));
  assert.deepEqual(where(r), ['warning GW_ERR_CONFIG_WARNING 9:5', 'error GW_ERR_CONFIG_ORDER 10:5']);
  const ok = parse(doc(...proxy('p', 'ws://h/'), '  <security><realm><name>demo</name></realm></security>'));
  assert.equal(ok.ok, true);
  assert.match(ok.diagnostics[0]?.message ?? '', /Realm "demo" is not used by any service/);
});
