import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KEYSTORE, config, doc, only, parse, proxy, where } from '../../helpers/config.js';

const service = (...lines: string[]): string[] => ['  <service>', ...lines.map((l) => '    ' + l), '  </service>'];

test('a proxy service becomes a ServiceConfig with its accepts, first connect, defaults and constraints', () => {
  const text = doc(
    ...service(
      '<name>chat</name>',
      '<description>IRC</description>',
      '<accept>ws://Chat.Example.com:8000/irc/</accept>',
      '<connect>tcp://irc.example.com:6667</connect>',
      '<type>proxy</type>',
      '<cross-site-constraint>',
      '  <allow-origin>https://app.example.com:8443</allow-origin>',
      '  <allow-methods>GET</allow-methods>',
      '  <allow-headers>X-A</allow-headers>',
      '  <maximum-age>10m</maximum-age>',
      '</cross-site-constraint>',
    ),
  );
  const s = config(parse(text)).services[0];
  assert.equal(s?.name, 'chat');
  assert.equal(s?.description, 'IRC');
  assert.equal(s?.type, 'proxy');
  assert.deepEqual(s?.accepts[0], {
    uri: 'ws://Chat.Example.com:8000/irc/',
    scheme: 'ws',
    host: 'chat.example.com',
    port: 8000,
    path: '/irc',
    listen: { host: 'chat.example.com', port: 8000 },
    position: { file: 'conf/gateway-config.xml', line: 5, column: 5 },
  });
  assert.deepEqual(s?.connect, { uri: 'tcp://irc.example.com:6667', scheme: 'tcp', host: 'irc.example.com', port: 6667, path: '/', position: { file: 'conf/gateway-config.xml', line: 6, column: 5 } });
  assert.deepEqual(s?.properties, { maximumPendingBytes: 64000, maximumRecoveryIntervalS: 0, connectStrategy: 'immediate', preparedConnectionCount: 0, closeTimeoutMs: 5000, idleTimeoutMs: 0 });
  assert.deepEqual(s?.crossSiteConstraints[0], { allowOrigin: 'https://app.example.com:8443', allowMethods: 'GET', allowHeaders: 'X-A', maximumAgeS: 600, position: { file: 'conf/gateway-config.xml', line: 8, column: 5 } });
  assert.deepEqual(s?.position, { file: 'conf/gateway-config.xml', line: 2, column: 3 });
});

test('a proxy needs a connect; only the first is used and later ones are warned about', () => {
  const missing = parse(doc(...service('<name>p</name>', '<accept>ws://h/</accept>', '<type>proxy</type>')));
  assert.deepEqual(where(missing), ['error GW_ERR_CONFIG_MISSING 2:3']);
  assert.equal(missing.diagnostics[0]?.message, 'Missing required element: <connect> in service "p"');
  const two = parse(doc(...service('<name>p</name>', '<accept>ws://h/</accept>', '<connect>tcp://a:1</connect>', '<connect>tcp://b:2</connect>', '<type>proxy</type>')));
  assert.equal(config(two).services[0]?.connect?.host, 'a');
  assert.deepEqual(where(two), ['warning GW_ERR_CONFIG_WARNING 6:5']);
});

test('legacy <properties><connect> counts as a connect', () => {
  const r = parse(doc(...service('<name>p</name>', '<accept>ws://h/</accept>', '<type>proxy</type>', '<properties><connect>tcp://legacy:7</connect></properties>')));
  assert.deepEqual(config(r).services[0]?.connect?.position, { file: 'conf/gateway-config.xml', line: 6, column: 17 });
  const both = parse(doc(...service('<name>p</name>', '<accept>ws://h/</accept>', '<connect>tcp://a:1</connect>', '<type>proxy</type>', '<properties><connect>tcp://legacy:7</connect></properties>')));
  assert.equal(config(both).services[0]?.connect?.host, 'a');
  assert.deepEqual(where(both), ['warning GW_ERR_CONFIG_WARNING 7:17']);
});

test('an echo service takes accepts only: a connect is an error at the connect', () => {
  assert.equal(config(parse(doc(...service('<name>e</name>', '<accept>ws://h/</accept>', '<type>echo</type>')))).services[0]?.connect, undefined);
  const r = parse(doc(...service('<name>e</name>', '<accept>ws://h/</accept>', '<connect>tcp://a:1</connect>', '<type>echo</type>', '<properties><x/></properties>')));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_URI 5:5', 'error GW_ERR_CONFIG_UNKNOWN_ELEMENT 7:17']);
});

test('a service needs an accept', () => {
  const r = parse(doc(...service('<name>e</name>', '<type>echo</type>')));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_MISSING 2:3']);
  assert.match(r.diagnostics[0]?.message ?? '', /Missing required element: <accept>/);
});

test('service types: Kaazing-only types are unsupported, retired ones no longer supported, others unrecognized', () => {
  const typed = (t: string) => parse(doc(...service('<name>s</name>', '<accept>ws://h/</accept>', `<type>${t}</type>`)));
  for (const t of ['amqp.proxy', 'http.proxy', 'broadcast', 'balancer', 'turn.rest', 'update.check', 'management.jmx']) {
    const r = typed(t);
    assert.deepEqual(where(r), ['error GW_ERR_CONFIG_UNSUPPORTED 5:5'], t);
    assert.equal(r.diagnostics[0]?.message, `the type '${t}' of service "s" is not supported by this gateway`);
  }
  for (const t of ['session', 'management.snmp']) assert.equal(typed(t).diagnostics[0]?.message, `the type '${t}' of service "s" is no longer supported`);
  const unknown = typed('prxy');
  assert.deepEqual(where(unknown), ['error GW_ERR_CONFIG_VALUE 5:5']);
  assert.equal(unknown.diagnostics[0]?.message, 'Unrecognized service type: prxy (service "s")');
  assert.equal(unknown.diagnostics[0]?.hint, "did you mean 'proxy'?");
});

test('balance and notify are unsupported at their positions; a realm-name must name a realm; all are listed', () => {
  const r = parse(
    doc(
      ...service(
        '<name>s</name>',
        '<accept>ws://localhost/</accept>',
        '<balance>ws://b/</balance>',
        '<notify>apns://x</notify>',
        '<type>echo</type>',
        '<realm-name>demo</realm-name>',
        '<authorization-constraint><require-role>A</require-role></authorization-constraint>',
        '<authorization-constraint><require-role>B</require-role></authorization-constraint>',
      ),
    ),
  );
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_UNSUPPORTED 5:5', 'error GW_ERR_CONFIG_UNSUPPORTED 6:5', 'error GW_ERR_CONFIG_VALUE 8:5']);
  assert.match(r.diagnostics[2]?.message ?? '', /<realm-name>demo<\/realm-name> names no <realm> in <security>/);
});

test('mime-mapping: the service\'s own win over service-defaults\' by extension; bad extensions and types are errors', () => {
  const r = parse(
    doc(
      '  <service-defaults>',
      '    <mime-mapping><extension>js</extension><mime-type>text/javascript</mime-type></mime-mapping>',
      '    <mime-mapping><extension>wasm</extension><mime-type>application/wasm</mime-type></mime-mapping>',
      '  </service-defaults>',
      ...service('<name>s</name>', '<accept>ws://h/</accept>', '<type>echo</type>', '<mime-mapping><extension>.JS</extension><mime-type>application/x-js; charset=utf-8</mime-type></mime-mapping>'),
    ),
  );
  assert.deepEqual(where(r), []);
  assert.deepEqual(config(r).services[0]?.mimeMappings.map((m) => `${m.extension} ${m.mimeType}`), ['js application/x-js; charset=utf-8', 'wasm application/wasm']);
  const bad = parse(doc(...service('<name>s</name>', '<accept>ws://h/</accept>', '<type>echo</type>', '<mime-mapping><extension>a/b</extension><mime-type>text</mime-type></mime-mapping>')));
  assert.deepEqual(where(bad), ['error GW_ERR_CONFIG_VALUE 6:19', 'error GW_ERR_CONFIG_VALUE 6:45']);
});

test('accept URIs: sse is unsupported, nonsense is invalid, http:// is for HTTP services; connect URIs need a port', () => {
  const r = parse(
    doc(
      ...service('<name>a</name>', '<accept>http://h/</accept>', '<accept>sse://h/</accept>', '<accept>udp://h:1</accept>', '<accept>not a uri</accept>', '<type>echo</type>'),
      ...service('<name>b</name>', '<accept>ws://h/b</accept>', '<connect>tcp://backend</connect>', '<type>proxy</type>'),
    ),
  );
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_UNSUPPORTED 5:5', 'error GW_ERR_CONFIG_UNSUPPORTED 6:5', 'error GW_ERR_CONFIG_URI 7:5', 'error GW_ERR_CONFIG_URI 13:5']);
  const http = parse(doc(...service('<name>a</name>', '<accept>http://h/</accept>', '<type>echo</type>')));
  assert.deepEqual(where(http), ['error GW_ERR_CONFIG_URI 4:5']);
  assert.match(http.diagnostics[0]?.message ?? '', /http:\/\/h\/ is for HTTP services such as directory/);
});

test('service names are unique and non-empty', () => {
  const r = parse(doc(...proxy('p', 'ws://h/a'), ...proxy('p', 'ws://h/b'), ...proxy(' ', 'ws://h/c')));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_DUPLICATE 9:5', 'error GW_ERR_CONFIG_MISSING 15:5']);
  assert.equal(only(r, 'GW_ERR_CONFIG_DUPLICATE')[0]?.message, 'Service name "p" is already used (line 3:5)');
});

test('cross-site-constraint: allow-origin must be * or an origin', () => {
  const r = parse(doc(...service('<name>s</name>', '<accept>ws://h/</accept>', '<type>echo</type>', '<cross-site-constraint><allow-origin>https://a/path</allow-origin></cross-site-constraint>', '<cross-site-constraint><allow-origin>*</allow-origin></cross-site-constraint>')));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_VALUE 6:28']);
});

test('wss:// with ssl.encryption disabled serves plain ws and needs no keystore', () => {
  const c = config(parse(doc(...proxy('p', 'wss://h/', undefined, ['    <accept-options><ssl.encryption>disabled</ssl.encryption></accept-options>']))));
  assert.equal(c.services[0]?.acceptOptions.sslEncryption, false);
  assert.equal(c.services[0]?.accepts[0]?.port, 443);
});

test('a service of an unsupported type still has its options checked', () => {
  const r = parse(doc(...service('<name>s</name>', '<accept>http://h/</accept>', '<type>http.proxy</type>', '<accept-options><ssl.cipher>x</ssl.cipher></accept-options>'), ...KEYSTORE));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_UNSUPPORTED 5:5', 'error GW_ERR_CONFIG_UNKNOWN_ELEMENT 6:21']);
});

test('on a service that also has a TLS accept, the client-certificate options warn at its plain accept instead, as Kaazing applied them to TLS only', () => {
  const options = '    <accept-options><ssl.verify-client>required</ssl.verify-client><ssl.crl>ca.crl</ssl.crl><ssl.verify-depth>1</ssl.verify-depth></accept-options>';
  const mixed = parse(doc('  <service>', '    <name>p</name>', '    <accept>ws://h/</accept>', '    <accept>wss://h/</accept>', '    <connect>tcp://backend:5000</connect>', '    <type>proxy</type>', options, '  </service>', ...KEYSTORE));
  assert.equal(mixed.ok, true, JSON.stringify(mixed.diagnostics));
  const warnings = mixed.diagnostics.filter((d) => d.severity === 'warning' && /has no meaning on ws:\/\/h\//.test(d.message));
  assert.deepEqual(warnings.map((d) => d.message.split(' (')[0]), ['ssl.verify-client required', 'ssl.crl', 'ssl.verify-depth']);
  assert.match(warnings[0]?.message ?? '', /so it applies to this service's TLS accepts only$/);
  assert.match(warnings[0]?.hint ?? '', /^its clients are admitted without a certificate; move ws:\/\/h\/ to a service of its own/);
});

test('ssl.ciphers and ssl.protocols where nothing is TLS are warned about; on a TLS accept or connect, or inherited, they are not', () => {
  const plain = parse(doc(...proxy('p', 'ws://h/', 'tcp://b:1', ['    <accept-options><ssl.ciphers>HIGH</ssl.ciphers></accept-options>', '    <connect-options><ssl.protocols>TLSv1.3</ssl.protocols></connect-options>'])));
  assert.deepEqual(where(plain), ['warning GW_ERR_CONFIG_WARNING 7:21', 'warning GW_ERR_CONFIG_WARNING 8:22']);
  assert.equal(plain.diagnostics[0]?.message, '<ssl.ciphers> has no effect: no accept of this service is TLS (ws://h/)');
  assert.equal(plain.diagnostics[1]?.message, '<ssl.protocols> in the <connect-options> of service "p" has no effect for tcp://b:1: it is not TLS');
  const tls = parse(doc(...proxy('p', 'wss://h/', 'ssl://b:1', ['    <accept-options><ssl.ciphers>HIGH</ssl.ciphers></accept-options>', '    <connect-options><ssl.protocols>TLSv1.3</ssl.protocols></connect-options>']), ...KEYSTORE));
  assert.deepEqual(where(tls), []);
  const inherited = parse(doc('  <service-defaults><accept-options><ssl.ciphers>HIGH</ssl.ciphers></accept-options></service-defaults>', ...proxy('p', 'ws://h/')));
  assert.deepEqual(where(inherited), []);
});

test('ssl.crl and ssl.verify-depth on a plain accept are errors at the accept; inherited ones do not apply there', () => {
  const own = parse(doc(...proxy('p', 'ws://h/', undefined, ['    <accept-options><ssl.crl>ca.crl</ssl.crl><ssl.verify-depth>1</ssl.verify-depth></accept-options>'])));
  // Each at the accept (line 4), and each again at the option because verify-client is none.
  assert.deepEqual(where(own), ['error GW_ERR_CONFIG_VALUE 4:5', 'error GW_ERR_CONFIG_VALUE 4:5', 'error GW_ERR_CONFIG_VALUE 7:21', 'error GW_ERR_CONFIG_VALUE 7:46']);
  assert.match(own.diagnostics[0]?.message ?? '', /^ssl.crl \(line 7:21\) has no meaning on ws:\/\/h\/: it is not TLS/);
  assert.match(own.diagnostics[1]?.message ?? '', /^ssl.verify-depth \(line 7:46\) has no meaning on ws:\/\/h\//);
  const inherited = doc(
    '  <service-defaults><accept-options><ssl.verify-client>required</ssl.verify-client><ssl.crl>ca.crl</ssl.crl><ssl.verify-depth>1</ssl.verify-depth></accept-options></service-defaults>',
    ...proxy('p', 'ws://h/'),
  );
  const s = config(parse(inherited)).services[0];
  assert.equal(s?.acceptOptions.sslVerifyClient, 'required');
});

test('ssl.crl and ssl.verify-depth with ssl.verify-client none are errors at the option; inherited ones are dropped', () => {
  const own = parse(doc(...proxy('p', 'wss://h/', undefined, ['    <accept-options>', '      <ssl.crl>ca.crl</ssl.crl>', '      <tls.verify-depth>2</tls.verify-depth>', '    </accept-options>']), ...KEYSTORE));
  assert.deepEqual(where(own), ['error GW_ERR_CONFIG_VALUE 8:7', 'error GW_ERR_CONFIG_VALUE 9:7']);
  assert.match(own.diagnostics[0]?.message ?? '', /<ssl.crl> in service "p" has no meaning with ssl.verify-client none/);
  assert.equal(own.diagnostics[1]?.hint, 'set ssl.verify-client to required (or optional), or remove the option');
  // An ssl.verify-client value that does not parse is the one error: it is not taken for none.
  const misspelt = parse(doc(...proxy('p', 'wss://h/', undefined, ['    <accept-options>', '      <ssl.verify-client>mandatory</ssl.verify-client>', '      <ssl.crl>ca.crl</ssl.crl>', '    </accept-options>']), ...KEYSTORE));
  assert.deepEqual(where(misspelt), ['error GW_ERR_CONFIG_VALUE 8:7']);
  assert.match(misspelt.diagnostics[0]?.message ?? '', /Invalid <ssl.verify-client> "mandatory"/);
  // Another option's mistake does not hide this rule's error.
  const other = parse(doc(...proxy('p', 'wss://h/', undefined, ['    <accept-options>', '      <ws.inactivity.timeout>soon</ws.inactivity.timeout>', '      <ssl.crl>ca.crl</ssl.crl>', '    </accept-options>']), ...KEYSTORE));
  assert.deepEqual(where(other), ['error GW_ERR_CONFIG_VALUE 8:7', 'error GW_ERR_CONFIG_VALUE 9:7']);
  const inherited = doc(
    '  <service-defaults><accept-options><ssl.crl>ca.crl</ssl.crl><ssl.verify-depth>1</ssl.verify-depth></accept-options></service-defaults>',
    ...proxy('p', 'wss://h/'),
    ...KEYSTORE,
  );
  const s = config(parse(inherited)).services[0];
  assert.deepEqual([s?.acceptOptions.sslCrl, s?.acceptOptions.sslVerifyDepth], [undefined, undefined]);
});

test('tcp.proxy-protocol v1/v2 needs a trusted list, explaining why; a trusted list alone is a warning', () => {
  const r = parse(doc(...proxy('p', 'ws://h/', undefined, ['    <accept-options>', '      <tcp.proxy-protocol>v1</tcp.proxy-protocol>', '    </accept-options>'])));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_MISSING 8:7']);
  assert.match(r.diagnostics[0]?.message ?? '', /tcp.proxy-protocol v1 \(line 8:7\) in service "p" needs <tcp.proxy-protocol.trusted>: a port that takes a PROXY header from any peer lets every client claim any address/);
  const fromDefaults = parse(doc('  <service-defaults><accept-options><tcp.proxy-protocol>v2</tcp.proxy-protocol></accept-options></service-defaults>', ...proxy('p', 'ws://h/')));
  assert.deepEqual(where(fromDefaults), ['error GW_ERR_CONFIG_MISSING 3:3']);
  assert.equal(parse(doc(...proxy('p', 'ws://h/', undefined, ['    <accept-options><tcp.proxy-protocol>none</tcp.proxy-protocol></accept-options>']))).ok, true);
  const alone = parse(doc(...proxy('p', 'ws://h/', undefined, ['    <accept-options><tcp.proxy-protocol.trusted>10.0.0.1</tcp.proxy-protocol.trusted></accept-options>'])));
  assert.deepEqual(where(alone), ['warning GW_ERR_CONFIG_WARNING 7:21']);
  assert.equal(alone.ok, true);
});

test('any accept to any connect: tcp:// and ssl:// accepts, ws:// and wss:// connects', () => {
  const r = parse(
    doc(
      ...service('<name>bridge</name>', '<accept>tcp://127.0.0.1:5000</accept>', '<connect>wss://gw.example.com/devices/device-1</connect>', '<type>proxy</type>'),
      ...service('<name>app</name>', '<accept>ssl://0.0.0.0:7443</accept>', '<connect>ws://app:8080/socket</connect>', '<type>proxy</type>'),
      '  <security><keystore><file>k</file></keystore></security>',
    ),
  );
  const c = config(r);
  assert.deepEqual(c.services.map((s) => [s.accepts[0]?.scheme, s.connect?.scheme, s.connect?.path]), [
    ['tcp', 'wss', '/devices/device-1'],
    ['ssl', 'ws', '/socket'],
  ]);
});

test('what needs HTTP is refused on tcp:// and ssl:// accepts; what fits one kind of backend is refused for another', () => {
  const r = parse(
    doc(
      ...service(
        '<name>stream</name>',
        '<accept>tcp://127.0.0.1:5000</accept>',
        '<connect>tcp://b:1</connect>',
        '<type>proxy</type>',
        '<connect-options><http.header>X-A: {client.address}</http.header><ssl.keystore.alias>a</ssl.keystore.alias><ws.inactivity.timeout>5s</ws.inactivity.timeout></connect-options>',
        '<cross-site-constraint><allow-origin>*</allow-origin></cross-site-constraint>',
        '<access-constraint><path-identity>CN</path-identity></access-constraint>',
      ),
      ...service('<name>ws</name>', '<accept>ws://h/x</accept>', '<connect>ws://b:1/</connect>', '<type>proxy</type>', '<properties><connect.strategy>deferred</connect.strategy></properties>', '<connect-options><tcp.proxy-protocol>v2</tcp.proxy-protocol></connect-options>'),
    ),
  );
  const messages = r.diagnostics.map((d) => d.message);
  for (const pattern of [/<cross-site-constraint> .* a byte stream carries no Origin/, /<path-identity> .* a byte stream has no request path/, /<http.header> .* headers go to ws:\/\/ and wss:\/\/ backends/, /<ws.inactivity.timeout> .* a byte-stream backend cannot be pinged/, /<ssl.keystore.alias> .* it is not TLS/, /connect.strategy deferred is not supported for ws:\/\/b:1\//, /<tcp.proxy-protocol> .* not supported for ws:\/\/b:1\//]) {
    assert.ok(messages.some((m) => pattern.test(m)), `${pattern} in ${messages.join('\n')}`);
  }
});

test('a prepared connection cannot carry a PROXY header: connect.strategy prepared with tcp.proxy-protocol is refused', () => {
  const props = '<properties><connect.strategy>prepared</connect.strategy><prepared.connection.count>2</prepared.connection.count></properties>';
  for (const accept of ['tcp://h:5000', 'ws://h:8000/x']) {
    const r = parse(doc(...service('<name>p</name>', `<accept>${accept}</accept>`, '<connect>tcp://b:7000</connect>', '<type>proxy</type>', props, '<connect-options><tcp.proxy-protocol>v2</tcp.proxy-protocol></connect-options>')));
    const d = r.diagnostics.find((x) => /connect.strategy prepared cannot be combined with <tcp.proxy-protocol> v2/.test(x.message));
    assert.ok(d, `${accept}: ${r.diagnostics.map((x) => x.message).join('\n')}`);
    assert.equal(d.code, 'GW_ERR_CONFIG_UNSUPPORTED');
    assert.match(d.message, /the client's first bytes would be read as one/);
  }
  const none = parse(doc(...service('<name>p</name>', '<accept>tcp://h:5000</accept>', '<connect>tcp://b:7000</connect>', '<type>proxy</type>', props, '<connect-options><tcp.proxy-protocol>none</tcp.proxy-protocol></connect-options>')));
  assert.deepEqual(none.diagnostics.filter((x) => x.severity === 'error'), []);
  // From <service-defaults> it applies all the same: refused at the service that asks for prepared connections.
  const inherited = parse(
    doc('  <service-defaults>', '    <connect-options><tcp.proxy-protocol>v1</tcp.proxy-protocol></connect-options>', '  </service-defaults>', ...service('<name>p</name>', '<accept>tcp://h:5000</accept>', '<connect>tcp://b:7000</connect>', '<type>proxy</type>', props)),
  );
  assert.deepEqual(where(inherited), ['error GW_ERR_CONFIG_UNSUPPORTED 5:3']);
  assert.match(inherited.diagnostics[0]?.message ?? '', /<tcp.proxy-protocol> v1 \(from <service-defaults>\)/);
});

test('a tcp:// or ssl:// accept is alone on its address', () => {
  const r = parse(doc(...service('<name>a</name>', '<accept>tcp://h:5000</accept>', '<type>echo</type>'), ...service('<name>b</name>', '<accept>ws://h:5000/b</accept>', '<type>echo</type>')));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_CONFLICT 9:5']);
  assert.match(r.diagnostics[0]?.message ?? '', /disagree on the service it serves: a byte stream \(tcp:\/\/\) vs HTTP \(ws:\/\/\)/);
});
