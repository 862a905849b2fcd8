import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { loadConfig, parseConfig, type LoadConfigResult } from '../../../src/config/index.js';
import { repoPath } from '../../helpers/paths.js';
import { KEYSTORE, NS, config, doc, parse, proxy, where } from '../../helpers/config.js';

const corpus = (name: string): string => repoPath('test', 'fixtures', 'kaazing-configs', `kaazing-gateway__${name}.xml`);

/** `severity CODE line:col message` for the errors and warnings of a corpus file. */
function listed(r: LoadConfigResult): string[] {
  return r.diagnostics.map((d) => `${d.severity} ${d.code} ${d.position?.line}:${d.position?.column} ${d.message}`);
}

test('the Kaazing distribution file lists its missing web directories and its amqp.proxy type, by position; its realm is read', () => {
  const file = corpus('distribution_conf__gateway-config');
  const r = loadConfig(file, { hostname: 'h' });
  assert.equal(r.ok, false);
  // GATEWAY_HOME is the parent of the configuration's folder: the pages are in its web/ folder.
  const home = repoPath('test', 'fixtures');
  assert.deepEqual(listed(r), [
    `error GW_ERR_CONFIG_VALUE 56:7 <directory> "/welcome" names ${join(home, 'web', 'welcome')}, which does not exist or cannot be read (ENOENT)`,
    `error GW_ERR_CONFIG_VALUE 58:7 <error-pages-directory> "/error-pages" names ${join(home, 'error-pages')}, which does not exist or cannot be read (ENOENT)`,
    `error GW_ERR_CONFIG_UNSUPPORTED 87:5 the type 'amqp.proxy' of service "AMQP Service" is not supported by this gateway`,
    "warning GW_ERR_CONFIG_WARNING 118:7 <user-principal-class>org.kaazing.gateway.security.auth.config.UserConfig</user-principal-class> is ignored: it names a Java class for Kaazing's management notifications",
  ]);
  assert.equal(r.diagnostics[0]?.position?.file, file, 'positions carry the path as given');
});

test('the Kaazing cluster sample is refused for its 2012/09 namespace', () => {
  const r = loadConfig(corpus('samples-cluster__cluster-member-1-config'));
  assert.deepEqual(listed(r), ['error GW_ERR_CONFIG_NAMESPACE 7:1 Unrecognized gateway configuration namespace http://xmlns.kaazing.com/2012/09/gateway']);
});

test('the Kaazing kg4462 parse test (2014/09) names its authorization-constraint without a realm-name and warns about the unused realm', () => {
  const r = loadConfig(corpus('server-test-parse__gateway-config-kg4462'));
  assert.deepEqual(listed(r), [
    'warning GW_ERR_CONFIG_WARNING 43:13 <ssl.ciphers> has no effect: no accept of this service is TLS (ws://localhost:8001/echo)',
    'error GW_ERR_CONFIG_MISSING 46:9 <authorization-constraint> in service "echo" needs a <realm-name>: without a realm no client is authenticated, so no role could be checked',
    'warning GW_ERR_CONFIG_WARNING 66:13 <ssl.ciphers> in the <connect-options> of service "proxy" has no effect for tcp://chat.freenode.net:6667: it is not TLS',
    'warning GW_ERR_CONFIG_WARNING 98:9 Realm "demo" is not used by any service and is ignored',
  ]);
});

test('the Kaazing kg4462 file without its authorization-constraint loads: legacy connect, ws and wss accepts', async () => {
  const { readFileSync } = await import('node:fs');
  const text = readFileSync(corpus('server-test-parse__gateway-config-kg4462'), 'utf8').replace(/<authorization-constraint>[\s\S]*?<\/authorization-constraint>/, '');
  const c = config(parseConfig(text, '/srv/gw/conf/gateway-config.xml'));
  assert.equal(c.namespace, 'http://xmlns.kaazing.org/2014/09/gateway');
  const proxySvc = c.services.find((s) => s.name === 'proxy');
  assert.deepEqual(proxySvc?.accepts.map((a) => `${a.scheme} ${a.listen.host}:${a.listen.port}${a.path}`), ['ws localhost:8000/freenode', 'wss localhost:9000/freenode']);
  assert.equal(proxySvc?.connect?.uri, 'tcp://chat.freenode.net:6667');
  assert.equal(proxySvc?.connectOptions.sslCiphers, 'HIGH');
  assert.deepEqual(c.security.keystore, { type: 'JCEKS', file: '/srv/gw/conf/keystore.db', passwordFile: '/srv/gw/conf/keystore.pw', position: { file: '/srv/gw/conf/gateway-config.xml', line: 81, column: 9 } });
  // The unused realm, and ssl.ciphers on the plain echo accept and on the tcp:// connect.
  assert.equal(c.warnings.length, 3);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.services) && Object.isFrozen(proxySvc?.accepts[0]?.listen));
});

test('the Kaazing in-sequence accept-options file lists its *.transport options and the reused accept', () => {
  const r = loadConfig(corpus('server-test-parse__gateway-config-in-sequence-accept-options'));
  assert.deepEqual(where(r), [
    'error GW_ERR_CONFIG_UNSUPPORTED 26:13',
    'error GW_ERR_CONFIG_DUPLICATE 32:9',
    'warning GW_ERR_CONFIG_WARNING 35:13',
    'error GW_ERR_CONFIG_UNSUPPORTED 47:13',
    'error GW_ERR_CONFIG_UNSUPPORTED 48:13',
    'error GW_ERR_CONFIG_UNSUPPORTED 49:13',
    'error GW_ERR_CONFIG_UNSUPPORTED 50:13',
  ]);
});

test('the Kaazing tls-accept-options file (2015/11) is refused for its unrecognized service type', () => {
  const r = loadConfig(corpus('server-test-parse__gateway-config-tls-accept-options'));
  assert.deepEqual(listed(r), ['error GW_ERR_CONFIG_VALUE 36:5 Unrecognized service type: testService-extension (service "proxy")']);
});

test('namespaces: 2016/06, 2015/11 and 2014/09 are read; 2012/09, others and none are refused', () => {
  const body = proxy('p', 'ws://h/');
  for (const ns of [NS, 'http://xmlns.kaazing.org/2015/11/gateway', 'http://xmlns.kaazing.org/2014/09/gateway']) {
    assert.equal(config(parse(doc(...body).replace(NS, ns))).namespace, ns);
  }
  for (const ns of ['http://xmlns.kaazing.com/2012/09/gateway', 'urn:other']) {
    const r = parse(doc(...body).replace(NS, ns));
    assert.deepEqual(where(r), ['error GW_ERR_CONFIG_NAMESPACE 1:1']);
    assert.equal(r.diagnostics[0]?.message, `Unrecognized gateway configuration namespace ${ns}`);
  }
  assert.match(parse(doc(...body).replace(` xmlns="${NS}"`, '')).diagnostics[0]?.message ?? '', /no namespace/);
  assert.deepEqual(where(parse('<config/>')), ['error GW_ERR_CONFIG_UNKNOWN_ELEMENT 1:1']);
});

test('a valid file gives ok, a frozen config and its warnings in both diagnostics and config.warnings', () => {
  const r = parse(doc(...proxy('p', 'wss://h/'), ...KEYSTORE, '  <cluster><name>c</name></cluster>'));
  const c = config(r);
  assert.deepEqual(where(r), ['warning GW_ERR_CONFIG_WARNING 12:3']);
  assert.deepEqual(c.warnings, r.diagnostics);
  assert.ok(Object.isFrozen(r) && Object.isFrozen(r.diagnostics) && Object.isFrozen(c.security.keystore));
  assert.throws(() => {
    (c.services as unknown as unknown[]).push(1);
  }, TypeError);
});

test('loadConfig reports an unreadable file as GW_ERR_FILE_READ and reads a real one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-config-'));
  try {
    const missing = loadConfig(join(dir, 'nope.xml'));
    assert.equal(missing.ok, false);
    assert.equal(missing.diagnostics[0]?.code, 'GW_ERR_FILE_READ');
    assert.match(missing.diagnostics[0]?.message ?? '', /^cannot read the configuration file ".*nope\.xml": no such file$/);
    const file = join(dir, 'gateway-config.xml');
    writeFileSync(file, doc(...proxy('p', 'ws://h/')));
    assert.equal(config(loadConfig(file)).file, file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('arbitrary mutations of a valid file never throw: they return diagnostics, and never an internal error', () => {
  const base = doc(
    '  <properties><property><name>port</name><value>8000</value></property></properties>',
    ...proxy('p', 'wss://h:${port}/a', 'tcp://b:1', ['    <properties><maximum.pending.bytes>1k</maximum.pending.bytes></properties>', '    <accept-options><ssl.verify-client>required</ssl.verify-client><ws.bind>[::1]:9000</ws.bind></accept-options>']),
    '  <service><name>e</name><accept>ws://h/e</accept><type>echo</type><cross-site-constraint><allow-origin>*</allow-origin></cross-site-constraint></service>',
    ...KEYSTORE,
  );
  assert.equal(parse(base).ok, true);
  const pieces = ['<', '>', '/', '</service>', '<service>', '${', '}', '$$', '&', '&amp;', '<![CDATA[', ']]>', '<!--', '-->', '"', ' x="1"', '\r\n', '\uFEFF', 'tls.', ':', '0', 'wss://', '<!DOCTYPE a>'];
  const mutation = fc.record({ at: fc.nat(), cut: fc.nat({ max: 20 }), insert: fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 8 })) });
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (mutations) => {
      let text = base;
      for (const m of mutations) {
        const at = m.at % (text.length + 1);
        text = text.slice(0, at) + m.insert + text.slice(at + m.cut);
      }
      const r = parse(text);
      assert.equal(typeof r.ok, 'boolean');
      assert.ok(r.ok || r.diagnostics.some((d) => d.severity === 'error'), 'a failed result says why');
      const internal = r.diagnostics.find((d) => d.code === 'GW_ERR_INTERNAL');
      assert.equal(internal, undefined, internal?.message);
      for (const d of r.diagnostics) assert.equal(d.position?.file ?? 'conf/gateway-config.xml', 'conf/gateway-config.xml');
    }),
    { numRuns: 400 },
  );
});

test('a file with errors passes on its security and the services read without an error of their own', () => {
  const r = parse(
    doc(
      ...proxy('good', 'ws://h:80/a'),
      ...proxy('bad', 'ws://h:80/b', 'tcp://b:1', ['    <accept-options><ssl.cipher>HIGH</ssl.cipher></accept-options>']),
      '  <service>',
      '    <name>unserved</name>',
      '    <accept>ws://h:80/c</accept>',
      '    <type>directory</type>',
      '  </service>',
      ...KEYSTORE,
    ),
  );
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.deepEqual(r.partial?.config.services.map((s) => s.name), ['good']);
  assert.deepEqual(r.partial?.incomplete, ['"bad"', '"unserved"']);
  assert.match(r.partial?.config.security.keystore?.file ?? '', /keystore\.db$/);
  const foreign = parse('<gateway-config xmlns="x"/>');
  assert.equal(foreign.ok, false);
  assert.equal(foreign.ok ? 'ok' : foreign.partial, undefined, 'a file that is not a gateway configuration has nothing to pass on');
});
