import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KEYSTORE, config, doc, only, parse, proxy, where } from '../../helpers/config.js';

const opts = (...o: string[]): string[] => ['    <accept-options>' + o.join('') + '</accept-options>'];

test('accepts on one host:port must agree on ssl.verify-client, naming both accepts', () => {
  const r = parse(doc(...proxy('a', 'wss://h:9443/a', undefined, opts('<ssl.verify-client>required</ssl.verify-client>')), ...proxy('b', 'wss://h:9443/b'), ...KEYSTORE));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_CONFLICT 11:5']);
  assert.equal(
    r.diagnostics[0]?.message,
    'Accepts wss://h:9443/a (service "a", line 4:5) and wss://h:9443/b (service "b") both listen on h:9443 but disagree on ssl.verify-client: required vs none',
  );
});

test('a mistyped option is reported once, not again as a disagreement with the accepts sharing its port', () => {
  const typo = parse(doc(...proxy('a', 'wss://h:9443/a', undefined, opts('<ssl.verify-clent>required</ssl.verify-clent>')), ...proxy('b', 'wss://h:9443/b', undefined, opts('<ssl.verify-client>required</ssl.verify-client>')), ...KEYSTORE));
  assert.deepEqual(where(typo).map((w) => w.split(' ')[1]), ['GW_ERR_CONFIG_UNKNOWN_ELEMENT']);
  const badValue = parse(doc(...proxy('a', 'wss://h:9443/a', undefined, opts('<ssl.verify-client>yes</ssl.verify-client>')), ...proxy('b', 'wss://h:9443/b', undefined, opts('<ssl.verify-client>required</ssl.verify-client>')), ...KEYSTORE));
  assert.deepEqual(where(badValue).map((w) => w.split(' ')[1]), ['GW_ERR_CONFIG_VALUE']);
});

test('TLS accepts on one host:port must agree on ciphers and protocols; a ws:// accept may share it; different ports are independent', () => {
  const r = parse(
    doc(
      ...proxy('a', 'wss://h:9443/a', undefined, opts('<ssl.ciphers>HIGH</ssl.ciphers><ssl.protocols>TLSv1.2,TLSv1.3</ssl.protocols>')),
      ...proxy('b', 'wss://h:9443/b', undefined, opts('<ssl.ciphers>MEDIUM</ssl.ciphers><ssl.protocols>TLSv1.3</ssl.protocols>')),
      ...proxy('c', 'wss://h:9443/c', undefined, opts('<ssl.ciphers>HIGH</ssl.ciphers><ssl.protocols>TLSv1.3,TLSv1.2</ssl.protocols>')),
      ...proxy('d', 'ws://h:9443/d'),
      ...proxy('e', 'wss://h:9444/e', undefined, opts('<ssl.verify-client>required</ssl.verify-client>')),
      ...KEYSTORE,
    ),
  );
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_CONFLICT 11:5', 'error GW_ERR_CONFIG_CONFLICT 11:5']);
  assert.match(r.diagnostics[0]?.message ?? '', /ssl.ciphers: HIGH vs MEDIUM/);
  assert.match(r.diagnostics[1]?.message ?? '', /ssl.protocols: TLSv1.2,TLSv1.3 vs TLSv1.3/);
  const listener = config(parse(doc(...proxy('a', 'ws://h:9443/a'), ...proxy('b', 'wss://h:9443/b'), ...KEYSTORE))).listeners;
  assert.deepEqual(listener.map((l) => [l.address, l.tls, l.plain, l.accepts.map((a) => a.secure)]), [['h:9443', true, true, [false, true]]]);
});

test('ws:// and wss:// on one port: TLS options are compared among the TLS accepts, the others across all', () => {
  const r = parse(
    doc(
      ...proxy('plain', 'ws://h:9443/x', undefined, opts('<ws.handshake.timeout>5s</ws.handshake.timeout>')),
      ...proxy('one', 'wss://h:9443/x', undefined, opts('<ssl.verify-client>required</ssl.verify-client>')),
      ...proxy('two', 'wss://h:9443/y', undefined, opts('<ssl.verify-client>optional</ssl.verify-client>')),
      ...KEYSTORE,
    ),
  );
  // The same path over each transport is no duplicate; verify-client is compared between the wss:// accepts only.
  const conflicts = only(r, 'GW_ERR_CONFIG_CONFLICT').map((d) => d.message);
  assert.equal(conflicts.length, 3, conflicts.join('\n'));
  assert.match(conflicts[0] ?? '', /ws:\/\/h:9443\/x .* and wss:\/\/h:9443\/x .* ws.handshake.timeout: 5000 ms vs 10000 ms/);
  assert.match(conflicts[1] ?? '', /ws.handshake.timeout/);
  assert.match(conflicts[2] ?? '', /Accepts wss:\/\/h:9443\/x .* and wss:\/\/h:9443\/y .*ssl.verify-client: required vs optional/);
  assert.equal(only(r, 'GW_ERR_CONFIG_DUPLICATE').length, 0);
});

test('binds group accepts by where they listen, not by their URI', () => {
  const r = parse(doc(...proxy('a', 'wss://one:443/a', undefined, opts('<wss.bind>8443</wss.bind>', '<ssl.verify-client>optional</ssl.verify-client>')), ...proxy('b', 'wss://two:443/b', undefined, opts('<wss.bind>8443</wss.bind>')), ...KEYSTORE));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_CONFLICT 11:5']);
  assert.match(r.diagnostics[0]?.message ?? '', /both listen on 0.0.0.0:8443/);
});

test('plain accepts sharing a port may differ in TLS-only options', () => {
  const r = parse(doc(...proxy('a', 'ws://h:80/a', undefined, opts('<ssl.ciphers>HIGH</ssl.ciphers>')), ...proxy('b', 'ws://h:80/b')));
  assert.equal(r.ok, true);
});

test('two services with the same accept URI (host, port and path) are an error', () => {
  const r = parse(doc(...proxy('a', 'ws://h:80/x'), ...proxy('b', 'ws://H/x/')));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_DUPLICATE 10:5']);
  assert.match(r.diagnostics[0]?.message ?? '', /already taken by ws:\/\/h:80\/x \(service "a", line 4:5\)/);
});

test('one service listing the same accept twice is told so, not that another service took it', () => {
  const r = parse(doc('  <service>', '    <name>a</name>', '    <accept>ws://h:80/x</accept>', '    <accept>ws://H/x</accept>', '    <type>echo</type>', '  </service>'));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_DUPLICATE 5:5']);
  assert.equal(r.diagnostics[0]?.message, 'The accept ws://H/x of service "a" is already one of its accepts, as ws://h:80/x (line 4:5)');
  assert.equal(r.diagnostics[0]?.hint, 'remove one of them');
});

test('a wss accept needs a keystore; client verification needs a truststore', () => {
  const r = parse(doc(...proxy('a', 'wss://h/', undefined, opts('<ssl.verify-client>required</ssl.verify-client>'))));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_MISSING 4:5', 'error GW_ERR_CONFIG_MISSING 4:5']);
  assert.deepEqual(only(r, 'GW_ERR_CONFIG_MISSING').map((d) => /<(keystore|truststore)>/.exec(d.message)?.[1]), ['keystore', 'truststore']);
  const trustOnly = parse(doc(...proxy('a', 'wss://h/', undefined, opts('<ssl.verify-client>optional</ssl.verify-client>')), '  <security><keystore><file>k</file></keystore></security>'));
  assert.deepEqual(where(trustOnly), ['error GW_ERR_CONFIG_MISSING 4:5']);
  const c = config(parse(doc(...proxy('a', 'wss://h/', undefined, opts('<ssl.verify-client>required</ssl.verify-client>')), ...KEYSTORE)));
  assert.equal(c.services[0]?.acceptOptions.sslVerifyClient, 'required');
});

test('accepts on one host:port must agree on ssl.crl and ssl.verify-depth', () => {
  const verify = '<ssl.verify-client>required</ssl.verify-client>';
  const r = parse(
    doc(
      ...proxy('a', 'wss://h:9443/a', undefined, opts(verify, '<ssl.crl>/pki/a.crl</ssl.crl>', '<ssl.verify-depth>1</ssl.verify-depth>')),
      ...proxy('b', 'wss://h:9443/b', undefined, opts(verify, '<ssl.crl>/pki/b.crl</ssl.crl>', '<ssl.verify-depth>2</ssl.verify-depth>')),
      ...proxy('c', 'wss://h:9443/c', undefined, opts(verify)),
      ...proxy('d', 'wss://h:9443/d', undefined, opts(verify, '<ssl.crl>/pki/a.crl</ssl.crl>', '<ssl.verify-depth>1</ssl.verify-depth>')),
      ...KEYSTORE,
    ),
  );
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_CONFLICT 11:5', 'error GW_ERR_CONFIG_CONFLICT 11:5', 'error GW_ERR_CONFIG_CONFLICT 18:5', 'error GW_ERR_CONFIG_CONFLICT 18:5']);
  assert.equal(
    r.diagnostics[0]?.message,
    'Accepts wss://h:9443/a (service "a", line 4:5) and wss://h:9443/b (service "b") both listen on h:9443 but disagree on ssl.crl: /pki/a.crl vs /pki/b.crl',
  );
  assert.match(r.diagnostics[1]?.message ?? '', /disagree on ssl.verify-depth: 1 vs 2$/);
  assert.match(r.diagnostics[2]?.message ?? '', /wss:\/\/h:9443\/c \(service "c"\) .* disagree on ssl.crl: \/pki\/a.crl vs \(none\)$/);
  assert.match(r.diagnostics[3]?.message ?? '', /disagree on ssl.verify-depth: 1 vs \(no limit\)$/);
});

test('accepts on one host:port must agree on tcp.proxy-protocol and its trusted list, TLS or not', () => {
  const pp = (v: string, trusted: string): string => `<tcp.proxy-protocol>${v}</tcp.proxy-protocol><tcp.proxy-protocol.trusted>${trusted}</tcp.proxy-protocol.trusted>`;
  const r = parse(
    doc(
      ...proxy('a', 'ws://h:80/a', undefined, opts(pp('v2', '10.0.0.1, 10.0.0.2'))),
      ...proxy('b', 'ws://h:80/b', undefined, opts(pp('v2', '10.0.0.2,10.0.0.1'))),
      ...proxy('c', 'ws://h:80/c', undefined, opts(pp('v2', '10.0.0.3'))),
      ...proxy('d', 'ws://h:80/d', undefined, opts(pp('v1', '10.0.0.1, 10.0.0.2'))),
      ...proxy('e', 'ws://h:81/e'),
    ),
  );
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_CONFLICT 18:5', 'error GW_ERR_CONFIG_CONFLICT 25:5']);
  assert.match(r.diagnostics[0]?.message ?? '', /disagree on tcp.proxy-protocol.trusted: 10.0.0.1, 10.0.0.2 vs 10.0.0.3$/);
  assert.match(r.diagnostics[1]?.message ?? '', /disagree on tcp.proxy-protocol: v2 vs v1$/);
});

test('accepts on one host:port must agree on the handshake deadline and the connection limits, TLS or not', () => {
  const r = parse(
    doc(
      ...proxy('a', 'ws://h:8080/a', undefined, opts('<ws.handshake.timeout>5s</ws.handshake.timeout>', '<tcp.maximum.connections>100</tcp.maximum.connections>')),
      ...proxy('b', 'ws://h:8080/b', undefined, opts('<tcp.maximum.connections.per.address>10</tcp.maximum.connections.per.address>')),
    ),
  );
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_CONFLICT 11:5', 'error GW_ERR_CONFIG_CONFLICT 11:5', 'error GW_ERR_CONFIG_CONFLICT 11:5']);
  assert.match(r.diagnostics[0]?.message ?? '', /disagree on ws.handshake.timeout: 5000 ms vs 10000 ms$/);
  assert.match(r.diagnostics[1]?.message ?? '', /disagree on tcp.maximum.connections: 100 vs 10000$/);
  assert.match(r.diagnostics[2]?.message ?? '', /disagree on tcp.maximum.connections.per.address: \(no limit\) vs 10$/);
});
