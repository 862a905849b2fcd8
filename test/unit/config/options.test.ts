import { test } from 'node:test';
import { resolve } from 'node:path';
import assert from 'node:assert/strict';
import { effectiveBind } from '../../../src/config/options.js';
import { KEYSTORE, config, doc, only, parse, proxy, where } from '../../helpers/config.js';

const withAcceptOptions = (accept: string, ...options: string[]): string[] =>
  proxy('p', accept, undefined, ['    <accept-options>', ...options.map((o) => '      ' + o), '    </accept-options>']);

test('accept-options defaults when none are given', () => {
  const c = config(parse(doc(...proxy('p', 'ws://h:80/'))));
  assert.deepEqual(c.services[0]?.acceptOptions, {
    sslVerifyClient: 'none',
    sslCiphers: undefined,
    sslProtocols: undefined,
    sslEncryption: true,
    bind: undefined,
    wsMaximumMessageSize: 131072,
    wsInactivityTimeoutMs: 0,
    httpKeepaliveTimeoutMs: 30000,
    sslCrl: undefined,
    sslVerifyDepth: undefined,
    tcpProxyProtocol: 'none',
    tcpProxyProtocolTrusted: [],
    wsHandshakeTimeoutMs: 10000,
    tcpMaximumConnections: 10000,
    tcpMaximumConnectionsPerAddress: undefined,
  });
  assert.deepEqual(c.services[0]?.connectOptions, {
    sslKeystoreAlias: undefined,
    httpHeaders: [],
    wsInactivityTimeoutMs: 0,
    sslCiphers: undefined,
    sslProtocols: undefined,
    tcpBind: undefined,
    tcpProxyProtocol: 'none',
    tcpResolveTtlMs: 30000,
  });
});

test('every accept option is parsed by its grammar; tls.* spell ssl.*', () => {
  const text = doc(
    ...withAcceptOptions(
      'wss://h:443/',
      '<tls.verify-client>Optional</tls.verify-client>',
      '<ssl.ciphers>HIGH,!aNULL</ssl.ciphers>',
      '<tls.protocols>TLSv1.3,TLSv1.2</tls.protocols>',
      '<ws.maximum.message.size>1m</ws.maximum.message.size>',
      '<ws.inactivity.timeout>15s</ws.inactivity.timeout>',
      '<http.keepalive.timeout>1 min</http.keepalive.timeout>',
      '<wss.bind>127.0.0.1:9443</wss.bind>',
      '<ws.handshake.timeout>5s</ws.handshake.timeout>',
      '<tcp.maximum.connections>2000</tcp.maximum.connections>',
      '<tcp.maximum.connections.per.address>20</tcp.maximum.connections.per.address>',
    ),
    ...KEYSTORE,
  );
  const service = config(parse(text)).services[0];
  assert.deepEqual(service?.acceptOptions, {
    sslVerifyClient: 'optional',
    sslCiphers: 'HIGH,!aNULL',
    sslProtocols: ['TLSv1.3', 'TLSv1.2'],
    sslEncryption: true,
    bind: { host: '127.0.0.1', port: 9443 },
    wsMaximumMessageSize: 1048576,
    wsInactivityTimeoutMs: 15000,
    httpKeepaliveTimeoutMs: 60000,
    sslCrl: undefined,
    sslVerifyDepth: undefined,
    tcpProxyProtocol: 'none',
    tcpProxyProtocolTrusted: [],
    wsHandshakeTimeoutMs: 5000,
    tcpMaximumConnections: 2000,
    tcpMaximumConnectionsPerAddress: 20,
  });
  assert.deepEqual(service?.accepts[0]?.listen, { host: '127.0.0.1', port: 9443 });
});

test('http.keepalive.timeout 0 means the default, as in Kaazing, with a warning', () => {
  const r = parse(doc(...withAcceptOptions('ws://h/', '<http.keepalive.timeout>0</http.keepalive.timeout>')));
  assert.deepEqual(where(r), ['warning GW_ERR_CONFIG_WARNING 8:7']);
  assert.equal(config(r).services[0]?.acceptOptions.httpKeepaliveTimeoutMs, 30000);
});

test('timeouts longer than a Node timer keeps (24.8 days) are refused at the option, not left to fire at once', () => {
  const r = parse(doc(...withAcceptOptions('ws://h/', '<ws.inactivity.timeout>30 days</ws.inactivity.timeout>', '<http.keepalive.timeout>5w</http.keepalive.timeout>', '<ws.handshake.timeout>1y</ws.handshake.timeout>')));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_VALUE 8:7', 'error GW_ERR_CONFIG_VALUE 9:7', 'error GW_ERR_CONFIG_VALUE 10:7']);
  for (const d of r.diagnostics) assert.match(d.message, /longer than the longest timeout the gateway keeps, 24 days/);
});

test('bad option values are reported at the option, each one', () => {
  const r = parse(doc(...withAcceptOptions('ws://h/', '<ws.maximum.message.size>128kB</ws.maximum.message.size>', '<ws.inactivity.timeout>soon</ws.inactivity.timeout>', '<ssl.encryption>off</ssl.encryption>', '<ws.bind>h:x</ws.bind>')));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_VALUE 8:7', 'error GW_ERR_CONFIG_VALUE 9:7', 'error GW_ERR_CONFIG_VALUE 10:7', 'error GW_ERR_CONFIG_VALUE 11:7']);
  assert.match(r.diagnostics[2]?.message ?? '', /allowed values are enabled, disabled/);
});

test('an option and its tls alias together, or an option twice, is a duplicate', () => {
  const r = parse(doc(...withAcceptOptions('wss://h/', '<ssl.ciphers>HIGH</ssl.ciphers>', '<tls.ciphers>HIGH</tls.ciphers>', '<wss.bind>80</wss.bind>', '<wss.bind>81</wss.bind>'), ...KEYSTORE));
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_DUPLICATE 9:7', 'error GW_ERR_CONFIG_DUPLICATE 11:7']);
  assert.match(r.diagnostics[0]?.message ?? '', /<tls.ciphers> repeats <ssl.ciphers>, its alias/);
});

test('*.transport options are unsupported at their position, on accept and connect', () => {
  const r = parse(
    doc(...proxy('p', 'ws://h/', undefined, ['    <accept-options><tcp.transport>ssl://x:1</tcp.transport></accept-options>', '    <connect-options><pipe.transport>pipe://x</pipe.transport></connect-options>'])),
  );
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_UNSUPPORTED 7:21', 'error GW_ERR_CONFIG_UNSUPPORTED 8:22']);
});

test('connect-options: ciphers, protocols, tcp.bind; keep-alive, inactivity and encryption disabled are unsupported', () => {
  const good = parse(
    doc(...proxy('p', 'ws://h/', 'ssl://b:443', ['    <connect-options>', '      <tls.ciphers>HIGH</tls.ciphers>', '      <ssl.protocols>TLSv1.3</ssl.protocols>', '      <tcp.bind>10.0.0.1:0</tcp.bind>', '      <ssl.encryption>enabled</ssl.encryption>', '    </connect-options>'])),
  );
  assert.deepEqual(config(good).services[0]?.connectOptions, {
    sslKeystoreAlias: undefined,
    httpHeaders: [],
    wsInactivityTimeoutMs: 0,
    sslCiphers: 'HIGH',
    sslProtocols: ['TLSv1.3'],
    tcpBind: { host: '10.0.0.1', port: 0 },
    tcpProxyProtocol: 'none',
    tcpResolveTtlMs: 30000,
  });
  const bad = parse(doc(...proxy('p', 'ws://h/', undefined, ['    <connect-options>', '      <http.keepalive>enabled</http.keepalive>', '      <http.keepalive.timeout>1s</http.keepalive.timeout>', '      <ssl.encryption>disabled</ssl.encryption>', '      <ssl.verify-client>required</ssl.verify-client>', '      <ws.inactivity.timeout>2s</ws.inactivity.timeout>', '    </connect-options>'])));
  assert.deepEqual(where(bad), ['error GW_ERR_CONFIG_UNSUPPORTED 8:7', 'error GW_ERR_CONFIG_UNSUPPORTED 9:7', 'error GW_ERR_CONFIG_UNSUPPORTED 10:7', 'error GW_ERR_CONFIG_UNKNOWN_ELEMENT 11:7', 'error GW_ERR_CONFIG_UNSUPPORTED 12:7']);
});

test('tcp.resolve.ttl: a time interval, 0 for a lookup at every connect, inherited from service-defaults', () => {
  const ttl = (text: string) => parse(doc(...proxy('p', 'ws://h/', 'tcp://backend:5000', [`    <connect-options><tcp.resolve.ttl>${text}</tcp.resolve.ttl></connect-options>`])));
  assert.equal(config(ttl('5 minutes')).services[0]?.connectOptions.tcpResolveTtlMs, 300_000);
  assert.equal(config(ttl('0')).services[0]?.connectOptions.tcpResolveTtlMs, 0);
  const bad = ttl('soon');
  assert.deepEqual(where(bad), ['error GW_ERR_CONFIG_VALUE 7:22']);
  assert.match(bad.diagnostics[0]?.message ?? '', /soon/);
  const inherited = parse(
    doc('  <service-defaults><connect-options><tcp.resolve.ttl>2s</tcp.resolve.ttl></connect-options></service-defaults>', ...proxy('p', 'ws://h/a', 'tcp://backend:5000'), ...proxy('q', 'ws://h/b', 'tcp://backend:5001', ['    <connect-options><tcp.resolve.ttl>0s</tcp.resolve.ttl></connect-options>'])),
  );
  assert.deepEqual(
    config(inherited).services.map((s) => s.connectOptions.tcpResolveTtlMs),
    [2000, 0],
  );
});

test('service-defaults apply option by option where the service sets nothing', () => {
  const text = doc(
    '  <service-defaults>',
    '    <accept-options><ws.inactivity.timeout>5s</ws.inactivity.timeout><ws.maximum.message.size>64k</ws.maximum.message.size></accept-options>',
    '    <connect-options><tcp.bind>10.0.0.2:0</tcp.bind></connect-options>',
    '    <mime-mapping><extension>html</extension><mime-type>text/html</mime-type></mime-mapping>',
    '  </service-defaults>',
    ...withAcceptOptions('ws://h/a', '<ws.inactivity.timeout>9s</ws.inactivity.timeout>'),
  );
  const r = parse(text);
  const service = config(r).services[0];
  assert.equal(service?.acceptOptions.wsInactivityTimeoutMs, 9000);
  assert.equal(service?.acceptOptions.wsMaximumMessageSize, 65536);
  assert.deepEqual(service?.connectOptions.tcpBind, { host: '10.0.0.2', port: 0 });
  assert.deepEqual(where(r), []);
  assert.deepEqual(service?.mimeMappings.map((m) => m.extension), ['html']);
  assert.equal(config(r).warnings.length, 0);
});

test('ssl.verify-client from service-defaults does not make ws:// accepts fail, but says they admit anyone; set on the service it does fail', () => {
  const inherited = doc('  <service-defaults><accept-options><ssl.verify-client>required</ssl.verify-client></accept-options></service-defaults>', ...proxy('p', 'ws://h/'));
  const warned = parse(inherited);
  assert.equal(warned.ok, true);
  assert.deepEqual(where(warned), ['warning GW_ERR_CONFIG_WARNING 5:5']);
  assert.match(warned.diagnostics[0]?.message ?? '', /^ssl.verify-client required of <service-defaults> \(line 2:37\) does not apply to ws:\/\/h\/: it is not TLS, so its clients are admitted without a certificate$/);
  const saidSo = doc('  <service-defaults><accept-options><ssl.verify-client>required</ssl.verify-client></accept-options></service-defaults>', ...proxy('p', 'ws://h/', 'tcp://backend:5000', ['    <accept-options><ssl.verify-client>none</ssl.verify-client></accept-options>']));
  assert.deepEqual(where(parse(saidSo)), [], 'a service that says none is not warned about');
  // Beside a TLS accept of the same service too: its wss:// clients present certificates, its ws:// ones do not.
  const mixed = parse(doc('  <service-defaults><accept-options><ssl.verify-client>required</ssl.verify-client></accept-options></service-defaults>', ...proxy('p', 'ws://h/', 'tcp://backend:5000', ['    <accept>wss://h/</accept>']), ...KEYSTORE));
  assert.deepEqual(where(mixed).filter((w) => w.startsWith('warning')), ['warning GW_ERR_CONFIG_WARNING 5:5']);
  assert.match(mixed.diagnostics.find((d) => d.severity === 'warning')?.hint ?? '', /move ws:\/\/h\/ to a service of its own/);
  const own = parse(doc(...withAcceptOptions('ws://h/', '<ssl.verify-client>required</ssl.verify-client>')));
  assert.deepEqual(where(own), ['error GW_ERR_CONFIG_VALUE 4:5']);
  assert.match(own.diagnostics[0]?.message ?? '', /ssl.verify-client required \(line 8:7\) has no meaning on ws:\/\/h\//);
  // Written with Kaazing's tls.* names, the message says them.
  const aliased = parse(doc(...withAcceptOptions('ws://h/', '<tls.verify-client>required</tls.verify-client>')));
  assert.match(aliased.diagnostics[0]?.message ?? '', /^tls\.verify-client required \(line 8:7\) has no meaning on ws:\/\/h\//);
});

test('the lowest layer bind given decides where an accept listens; the other stack\'s binds do not apply', () => {
  const at = (value: string) => ({ value: { host: value, port: 1 }, name: `${value}.bind`, position: { file: 'f' }, inherited: false });
  const binds = { 'ws.bind': at('ws'), 'wss.bind': at('wss'), 'http.bind': at('http'), 'https.bind': at('https') };
  assert.equal(effectiveBind(binds, 'ws')?.host, 'http');
  assert.equal(effectiveBind(binds, 'wss')?.host, 'https');
  assert.equal(effectiveBind({ ...binds, 'ssl.bind': at('ssl') }, 'wss')?.host, 'ssl');
  assert.equal(effectiveBind({ ...binds, 'tcp.bind': at('tcp') }, 'ws')?.host, 'tcp');
  assert.equal(effectiveBind({ 'wss.bind': at('wss') }, 'ws'), undefined);
});

test('AcceptOptions.bind is set only when every accept of the service resolves to the same bind', () => {
  const text = doc(...proxy('p', 'ws://h/', undefined, ['    <accept-options><ws.bind>8080</ws.bind></accept-options>']).flatMap((l) => (l.includes('<accept>') ? [l, '    <accept>wss://h/</accept>'] : [l])), ...KEYSTORE);
  const service = config(parse(text)).services[0];
  assert.equal(service?.acceptOptions.bind, undefined);
  assert.deepEqual(service?.accepts.map((a) => a.listen), [{ host: '0.0.0.0', port: 8080 }, { host: 'h', port: 443 }]);
});

test('ws.maximum.message.size 0 is refused, and so is 2 GiB or more, which ws would wrap round to no limit', () => {
  assert.deepEqual(only(parse(doc(...withAcceptOptions('ws://h/', '<ws.maximum.message.size>0</ws.maximum.message.size>'))), 'GW_ERR_CONFIG_VALUE').length, 1);
  for (const size of ['2048m', '4096m', '2147483648']) {
    const errors = only(parse(doc(...withAcceptOptions('ws://h/', `<ws.maximum.message.size>${size}</ws.maximum.message.size>`))), 'GW_ERR_CONFIG_VALUE');
    assert.equal(errors.length, 1, size);
    assert.match(errors[0]?.message ?? '', new RegExp(`${size} is more than the largest message size the gateway can enforce, 2147483647 bytes`));
  }
  const largest = config(parse(doc(...withAcceptOptions('ws://h/', '<ws.maximum.message.size>2147483647</ws.maximum.message.size>'))));
  assert.equal(largest.services[0]?.acceptOptions.wsMaximumMessageSize, 2147483647);
});

test('ssl.crl resolves against the config file\'s directory; ssl.verify-depth is a whole number; tls.* aliases', () => {
  const text = doc(
    ...withAcceptOptions('wss://h:443/', '<ssl.verify-client>required</ssl.verify-client>', '<tls.crl>crl/ca.crl.pem</tls.crl>', '<tls.verify-depth>2</tls.verify-depth>'),
    ...proxy('q', 'wss://h:8443/q', undefined, ['    <accept-options><ssl.verify-client>required</ssl.verify-client><ssl.crl>/etc/pki/crl</ssl.crl><ssl.verify-depth>2</ssl.verify-depth></accept-options>']),
    ...KEYSTORE,
  );
  const [p, q] = config(parse(text)).services;
  assert.equal(p?.acceptOptions.sslCrl, resolve('conf', 'crl/ca.crl.pem'));
  assert.equal(p?.acceptOptions.sslVerifyDepth, 2);
  assert.equal(q?.acceptOptions.sslCrl, '/etc/pki/crl');
  const bad = parse(doc(...withAcceptOptions('wss://h:443/', '<ssl.verify-client>required</ssl.verify-client>', '<ssl.crl> </ssl.crl>', '<ssl.verify-depth>-1</ssl.verify-depth>', '<ssl.verify-depth>1</ssl.verify-depth>'), ...KEYSTORE));
  assert.deepEqual(where(bad), ['error GW_ERR_CONFIG_MISSING 9:7', 'error GW_ERR_CONFIG_VALUE 10:7', 'error GW_ERR_CONFIG_DUPLICATE 11:7']);
  assert.match(bad.diagnostics[0]?.message ?? '', /<ssl.crl> is empty: it must name a CRL file or a directory/);
  assert.match(bad.diagnostics[1]?.message ?? '', /"-1" is not a whole number/);
});

test('tcp.proxy-protocol on accept (with its trusted list) and on connect', () => {
  const text = doc(
    ...proxy('p', 'ws://h:80/', undefined, [
      '    <accept-options>',
      '      <tcp.proxy-protocol>V2</tcp.proxy-protocol>',
      '      <tcp.proxy-protocol.trusted>10.0.0.0/8, 2001:db8::1</tcp.proxy-protocol.trusted>',
      '    </accept-options>',
      '    <connect-options><tcp.proxy-protocol>v1</tcp.proxy-protocol></connect-options>',
    ]),
  );
  const s = config(parse(text)).services[0];
  assert.equal(s?.acceptOptions.tcpProxyProtocol, 'v2');
  assert.deepEqual(s?.acceptOptions.tcpProxyProtocolTrusted, ['10.0.0.0/8', '2001:db8::1']);
  assert.equal(s?.connectOptions.tcpProxyProtocol, 'v1');
  const bad = parse(
    doc(
      ...proxy('p', 'ws://h:80/', undefined, [
        '    <accept-options>',
        '      <tcp.proxy-protocol>v3</tcp.proxy-protocol>',
        '      <tcp.proxy-protocol.trusted>10.0.0.0/8 lb.example.com</tcp.proxy-protocol.trusted>',
        '    </accept-options>',
        '    <connect-options><tcp.proxy-protocol>yes</tcp.proxy-protocol></connect-options>',
      ]),
    ),
  );
  assert.deepEqual(where(bad), ['error GW_ERR_CONFIG_VALUE 8:7', 'error GW_ERR_CONFIG_VALUE 9:7', 'error GW_ERR_CONFIG_VALUE 11:22']);
  assert.match(bad.diagnostics[0]?.message ?? '', /allowed values are none, v1, v2/);
  assert.match(bad.diagnostics[1]?.message ?? '', /<tcp.proxy-protocol.trusted> "lb.example.com" is not an IP address or CIDR block/);
});

test('the new accept options come from service-defaults option by option', () => {
  const text = doc(
    '  <service-defaults>',
    '    <accept-options>',
    '      <ssl.verify-client>required</ssl.verify-client>',
    '      <ssl.crl>ca.crl</ssl.crl>',
    '      <ssl.verify-depth>3</ssl.verify-depth>',
    '      <tcp.proxy-protocol>v1</tcp.proxy-protocol>',
    '      <tcp.proxy-protocol.trusted>10.0.0.1</tcp.proxy-protocol.trusted>',
    '    </accept-options>',
    '    <connect-options><tcp.proxy-protocol>v2</tcp.proxy-protocol></connect-options>',
    '  </service-defaults>',
    ...proxy('p', 'wss://h:443/', undefined, ['    <accept-options><ssl.verify-depth>1</ssl.verify-depth></accept-options>']),
    ...KEYSTORE,
  );
  const s = config(parse(text)).services[0];
  assert.equal(s?.acceptOptions.sslCrl, resolve('conf', 'ca.crl'));
  assert.equal(s?.acceptOptions.sslVerifyDepth, 1);
  assert.equal(s?.acceptOptions.tcpProxyProtocol, 'v1');
  assert.deepEqual(s?.acceptOptions.tcpProxyProtocolTrusted, ['10.0.0.1']);
  assert.equal(s?.connectOptions.tcpProxyProtocol, 'v2');
});

test('ws.handshake.timeout 0 and connection limits of 0 are refused, each at its option', () => {
  const r = parse(
    doc(
      ...withAcceptOptions(
        'ws://h/',
        '<ws.handshake.timeout>0</ws.handshake.timeout>',
        '<tcp.maximum.connections>0</tcp.maximum.connections>',
        '<tcp.maximum.connections.per.address>-1</tcp.maximum.connections.per.address>',
      ),
    ),
  );
  assert.deepEqual(where(r), ['error GW_ERR_CONFIG_VALUE 8:7', 'error GW_ERR_CONFIG_VALUE 9:7', 'error GW_ERR_CONFIG_VALUE 10:7']);
  assert.match(r.diagnostics[0]?.message ?? '', /<ws.handshake.timeout> must be longer than 0/);
  assert.match(r.diagnostics[1]?.message ?? '', /<tcp.maximum.connections> must be at least 1/);
});
