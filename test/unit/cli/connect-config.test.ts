import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { connectSettings, type ConnectFlags } from '../../../src/cli/connect-args.js';
import { CONNECT_SERVICE, CONNECT_SOURCE, connectConfig, xmlValue, type ConnectConfig } from '../../../src/cli/connect-config.js';
import { parseConfig, type GatewayConfig, type ServiceConfig } from '../../../src/config/index.js';
import { GatewayError } from '../../../src/errors.js';

const TO = 'wss://gateway.example.com/devices/device-1';

function made(flags: ConnectFlags): ConnectConfig {
  return connectConfig(connectSettings(flags, '/opt/device'));
}

function read(c: ConnectConfig): GatewayConfig {
  const r = parseConfig(c.text, CONNECT_SOURCE, { hostname: 'h' });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => `${d.position?.line}: ${d.message}`).join('\n') + '\n' + c.text);
  assert.deepEqual(r.diagnostics, [], 'no warnings');
  return r.config;
}

function service(config: GatewayConfig): ServiceConfig {
  assert.equal(config.services.length, 1);
  return config.services[0] as ServiceConfig;
}

test('the least a bridge needs: one proxy service from a tcp:// accept to the target, no security', () => {
  const c = made({ listen: '5000', to: TO });
  assert.doesNotMatch(c.text, /<properties>|<connect-options>|<security>/);
  const config = read(c);
  const s = service(config);
  assert.equal(s.name, CONNECT_SERVICE);
  assert.equal(s.type, 'proxy');
  assert.deepEqual(
    s.accepts.map((a) => [a.uri, a.listen]),
    [['tcp://127.0.0.1:5000', { host: '127.0.0.1', port: 5000 }]],
  );
  assert.equal(s.connect?.uri, TO);
  assert.equal(s.properties.connectStrategy, 'immediate');
  assert.equal(s.connectOptions.sslKeystoreAlias, undefined);
  assert.deepEqual(config.security, { keystore: undefined, truststore: undefined, realms: [] });
});

test('every flag lands where a configuration file would have it', () => {
  const c = made({
    listen: '[::1]:0',
    to: TO,
    keystore: 'device.p12',
    passwordFile: 'device.pw',
    keystoreType: 'pkcs12',
    alias: 'device-1',
    truststore: '/etc/gateway/ca.pem',
    truststoreType: 'pem',
    truststorePasswordFile: 'ca.pw',
    prepared: '2',
  });
  const config = read(c);
  const s = service(config);
  assert.equal(s.accepts[0]?.uri, 'tcp://[::1]:0');
  assert.deepEqual(s.accepts[0]?.listen, { host: '::1', port: 0 });
  assert.equal(s.properties.connectStrategy, 'prepared');
  assert.equal(s.properties.preparedConnectionCount, 2);
  assert.equal(s.connectOptions.sslKeystoreAlias, 'device-1');
  const { keystore, truststore } = config.security;
  assert.deepEqual([keystore?.type, keystore?.file, keystore?.passwordFile], ['PKCS12', '/opt/device/device.p12', '/opt/device/device.pw']);
  assert.deepEqual([truststore?.type, truststore?.file, truststore?.passwordFile], ['PEM', '/etc/gateway/ca.pem', '/opt/device/ca.pw']);
});

test('--inactivity-timeout, --maximum-pending-bytes, --close-timeout and --idle-timeout become the options a file would set', () => {
  const c = made({ listen: '5000', to: TO, prepared: '1', inactivityTimeout: '30s', maximumPendingBytes: '256k', closeTimeout: '1 minute', idleTimeout: '10m' });
  const s = service(read(c));
  assert.equal(s.connectOptions.wsInactivityTimeoutMs, 30_000);
  assert.equal(s.properties.maximumPendingBytes, 262_144);
  assert.equal(s.properties.closeTimeoutMs, 60_000);
  assert.equal(s.properties.idleTimeoutMs, 600_000);
  assert.equal(s.properties.preparedConnectionCount, 1);
  const lines = c.text.split('\n');
  const flagOfLine = (pattern: RegExp): string | undefined => c.flagAt(lines.findIndex((l) => pattern.test(l)) + 1);
  assert.equal(flagOfLine(/<ws.inactivity.timeout>/), '--inactivity-timeout 30s');
  assert.equal(flagOfLine(/<maximum.pending.bytes>/), '--maximum-pending-bytes 256k');
  assert.equal(flagOfLine(/<close.timeout>/), '--close-timeout 1 minute');
  assert.equal(flagOfLine(/<idle.timeout>/), '--idle-timeout 10m');
  // A `$` in one is taken literally, as in any flag: the value is then refused as a time interval, not a property.
  const dollar = parseConfig(made({ listen: '5000', to: TO, closeTimeout: '5$s' }).text, CONNECT_SOURCE, { hostname: 'h' });
  assert.match(dollar.diagnostics.map((d) => d.message).join('\n'), /Invalid time interval "5\$s"/);
  // A byte stream has nothing to ping: said before anything is read.
  assert.throws(() => made({ listen: '5000', to: 'tcp://10.0.0.5:7000', inactivityTimeout: '30s' }), (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_USAGE' && /--inactivity-timeout has no meaning for a tcp:\/\/ target/.test(e.message));
});

test('each line of the document is traced back to the flag it came from', () => {
  const c = made({ listen: '5000', to: TO, keystore: 'device.p12', passwordFile: 'device.pw', keystoreType: 'PKCS12', alias: 'a', truststore: 'ca.pem', prepared: '1' });
  const lines = c.text.split('\n');
  const flagOfLine = (pattern: RegExp): string | undefined => c.flagAt(lines.findIndex((l) => pattern.test(l)) + 1);
  assert.equal(flagOfLine(/<accept>/), '--listen 127.0.0.1:5000');
  assert.equal(flagOfLine(/<connect>/), `--to ${TO}`);
  assert.equal(flagOfLine(/<prepared.connection.count>/), '--prepared 1');
  assert.equal(flagOfLine(/<ssl.keystore.alias>/), '--alias a');
  assert.equal(flagOfLine(/<keystore>/), '--keystore device.p12');
  assert.equal(flagOfLine(/<type>PKCS12/), '--keystore-type PKCS12');
  assert.equal(flagOfLine(/<password-file>/), '--password-file device.pw');
  assert.equal(flagOfLine(/<truststore>/), '--truststore ca.pem');
  assert.equal(c.lineOf('--keystore'), lines.findIndex((l) => l.includes('<keystore>')) + 1);
  assert.equal(c.lineOf('--nothing'), undefined);
  assert.deepEqual(
    c.files.map((f) => [f.flag, f.path]),
    [
      ['--keystore', '/opt/device/device.p12'],
      ['--password-file', '/opt/device/device.pw'],
      ['--truststore', '/opt/device/ca.pem'],
    ],
  );
});

test('markup and property references in values are taken literally', () => {
  const alias = `a<b>&c"d'e ]]> \${x} $\${y} \${z \${ $`;
  const path = `/opt/dev ice/<&>/\${HOME}/$\${a}/\${/k.p12`;
  const c = made({ listen: '5000', to: TO, keystore: path, alias });
  assert.doesNotMatch(c.text, /<b>|&c/);
  // The document defines what it needs: it is a file `start` would run as it is.
  assert.match(c.text, /^  <properties><property><name>connect\.dollar<\/name><value>\$<\/value><\/property><\/properties>$/m);
  const config = read(c);
  assert.equal(service(config).connectOptions.sslKeystoreAlias, alias);
  assert.equal(config.security.keystore?.file, path);
});

test('any alias without control characters or surrounding white space comes back exactly', () => {
  // Random text, and text made mostly of the characters XML and property references give a meaning to.
  const tricky = fc.string({ unit: fc.constantFrom('$', '{', '}', '<', '>', '&', ';', '"', "'", ']', 'a', ' '), minLength: 1, maxLength: 40 });
  const printable = fc
    .oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), tricky)
    .filter((s) => s === s.trim() && !/[\u0000-\u001f\u007f]/.test(s));
  fc.assert(
    fc.property(printable, (alias) => {
      const config = read(made({ listen: '5000', to: TO, keystore: 'k.p12', alias }));
      assert.equal(service(config).connectOptions.sslKeystoreAlias, alias);
    }),
    { numRuns: 300 },
  );
});

test('a value XML cannot carry, or that the configuration would trim, is refused by flag', () => {
  const refused = (f: () => unknown, pattern: RegExp): void =>
    assert.throws(f, (e: unknown) => e instanceof GatewayError && e.code === 'GW_ERR_USAGE' && pattern.test(e.message));
  refused(() => made({ listen: '5000', to: TO, keystore: 'k', alias: 'a\u0000b' }), /^--alias must not contain control characters/);
  refused(() => made({ listen: '5000', to: TO, keystore: 'k', alias: 'a\tb' }), /^--alias must not contain control characters/);
  refused(() => made({ listen: '5000', to: TO, keystore: 'k', alias: ' a' }), /^--alias must not begin or end with white space/);
  refused(() => made({ listen: '5000', to: TO, keystore: 'k.p12 ' }), /^--keystore must not begin or end with white space/);
  refused(() => made({ listen: '5000', to: TO, keystore: 'k', passwordFile: 'p\nw' }), /^--password-file must not contain control characters/);
  assert.equal(xmlValue('--x', 'plain'), 'plain');
});
