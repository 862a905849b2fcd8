import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectSettings, parseListen, type ConnectFlags } from '../../../src/cli/connect-args.js';
import { GatewayError } from '../../../src/errors.js';

const TO = 'wss://gateway.example.com/devices/device-1';

/** Asserts that the flags are refused as GW_ERR_USAGE with a message that starts by naming `flag`. */
function refused(flags: ConnectFlags, flag: string, pattern?: RegExp): void {
  assert.throws(
    () => connectSettings(flags, '/work'),
    (e: unknown) => {
      assert.ok(e instanceof GatewayError, String(e));
      assert.equal(e.code, 'GW_ERR_USAGE');
      assert.ok(e.message.startsWith(flag), `"${e.message}" should name ${flag} first`);
      if (pattern) assert.match(e.message + ' ' + (e.hint ?? ''), pattern);
      return true;
    },
  );
}

test('a bare port listens on 127.0.0.1 only', () => {
  assert.deepEqual(parseListen('5000'), { host: '127.0.0.1', port: 5000 });
  const s = connectSettings({ listen: '5000', to: TO });
  assert.equal(s.accept, 'tcp://127.0.0.1:5000');
});

test('--listen takes an IPv4 address, a host name or a bracketed IPv6 address with a port', () => {
  assert.deepEqual(parseListen('0.0.0.0:5000'), { host: '0.0.0.0', port: 5000 });
  assert.deepEqual(parseListen('LocalHost:0'), { host: 'localhost', port: 0 });
  assert.deepEqual(parseListen('[::1]:65535'), { host: '::1', port: 65535 });
  assert.equal(connectSettings({ listen: '[::1]:5000', to: TO }).accept, 'tcp://[::1]:5000');
});

test('--listen refuses what is not PORT or HOST:PORT, with a hint for an IPv6 address without brackets', () => {
  refused({ listen: '::1:5000', to: TO }, '--listen', /\[::1\]:5000/);
  refused({ listen: 'host', to: TO }, '--listen', /PORT or HOST:PORT/);
  refused({ listen: ':5000', to: TO }, '--listen');
  refused({ listen: '65536', to: TO }, '--listen', /0 to 65535/);
  refused({ listen: 'bad_host:1', to: TO }, '--listen', /host name/);
  refused({ listen: '[example.com]:1', to: TO }, '--listen', /IPv6/);
  refused({ listen: '1.2.3.4:-1', to: TO }, '--listen');
});

test('--listen and --to are required', () => {
  refused({ to: TO }, '--listen is required');
  refused({ listen: '5000' }, '--to is required');
});

test('--to takes ws://, wss://, tcp:// and ssl:// URIs and keeps them as written', () => {
  for (const to of ['ws://10.0.0.5:8080/x', 'WSS://gw.example.com/devices/d', 'tcp://10.0.0.5:7000', 'ssl://db.internal:5433']) {
    const s = connectSettings({ listen: '5000', to });
    assert.equal(s.to, to);
  }
  assert.equal(connectSettings({ listen: '5000', to: 'WSS://gw/x' }).scheme, 'wss');
});

test('--to refuses other schemes and URIs the configuration would refuse', () => {
  refused({ listen: '5000', to: 'http://gw/x' }, '--to', /wss:\/\/, ws:\/\/, ssl:\/\/ or tcp:\/\//);
  refused({ listen: '5000', to: 'gateway.example.com:443' }, '--to', /expects a URI/);
  refused({ listen: '5000', to: 'tcp://backend' }, '--to', /no port/);
  refused({ listen: '5000', to: 'tcp://backend:7000/path' }, '--to', /path/);
  refused({ listen: '5000', to: 'wss://user:pw@gw/x' }, '--to', /user name/);
});

test('no keystore is required, whatever the target', () => {
  for (const to of [TO, 'ssl://db:5433', 'ws://gw/x', 'tcp://b:1']) {
    const s = connectSettings({ listen: '5000', to });
    assert.equal(s.keystore, undefined);
    assert.equal(s.truststore, undefined);
    assert.equal(s.prepared, 0);
    assert.deepEqual(s.unused, []);
  }
});

test('store paths resolve against the working directory; types are matched in any case', () => {
  const s = connectSettings(
    { listen: '5000', to: TO, keystore: 'device.p12', passwordFile: '../secrets/device.pw', keystoreType: 'pkcs12', alias: 'device-1', truststore: '/etc/ca.pem', truststoreType: 'PEM' },
    '/opt/device',
  );
  assert.deepEqual(s.keystore, {
    file: { written: 'device.p12', path: '/opt/device/device.p12' },
    type: 'PKCS12',
    passwordFile: { written: '../secrets/device.pw', path: '/opt/secrets/device.pw' },
  });
  assert.equal(s.alias, 'device-1');
  assert.deepEqual(s.truststore, { file: { written: '/etc/ca.pem', path: '/etc/ca.pem' }, type: 'PEM', passwordFile: undefined });
});

test('--keystore-type and --truststore-type take the names <type> takes: PKCS#12, P12 and PFX mean PKCS12', () => {
  for (const written of ['PKCS#12', 'PFX', 'Pkcs12', 'p12']) {
    const s = connectSettings({ listen: '5000', to: TO, keystore: 'k', keystoreType: written, truststore: 't', truststoreType: written }, '/');
    assert.equal(s.keystore?.type, 'PKCS12', written);
    assert.equal(s.truststore?.type, 'PKCS12', written);
  }
});

test('flags that belong to a store need that store', () => {
  refused({ listen: '5000', to: TO, passwordFile: 'p' }, '--password-file needs --keystore');
  refused({ listen: '5000', to: TO, keystoreType: 'PEM' }, '--keystore-type needs --keystore');
  refused({ listen: '5000', to: TO, alias: 'a' }, '--alias needs --keystore');
  refused({ listen: '5000', to: TO, truststorePasswordFile: 'p' }, '--truststore-password-file needs --truststore');
  refused({ listen: '5000', to: TO, truststoreType: 'PEM' }, '--truststore-type needs --truststore');
});

test('a store type, a file name and an alias are checked', () => {
  refused({ listen: '5000', to: TO, keystore: 'k', keystoreType: 'P12X' }, '--keystore-type', /JKS, JCEKS, PKCS12, PEM/);
  refused({ listen: '5000', to: TO, truststore: 't', truststoreType: 'x' }, '--truststore-type');
  refused({ listen: '5000', to: TO, keystore: '' }, '--keystore is empty');
  refused({ listen: '5000', to: TO, keystore: 'k', alias: ' ' }, '--alias is empty');
});

test('--alias has no meaning without TLS; unused stores are allowed and reported', () => {
  refused({ listen: '5000', to: 'ws://gw/x', keystore: 'k', alias: 'a' }, '--alias', /ws:\/\/ target/);
  const s = connectSettings({ listen: '5000', to: 'tcp://b:1', keystore: 'k', truststore: 't' });
  assert.deepEqual(
    s.unused.map((u) => u.flag),
    ['--keystore', '--truststore'],
  );
  assert.match(s.unused[0]?.why ?? '', /tcp:\/\/ target does not use TLS/);
});

test('--prepared is a whole number', () => {
  assert.equal(connectSettings({ listen: '5000', to: TO, prepared: '3' }).prepared, 3);
  assert.equal(connectSettings({ listen: '5000', to: TO, prepared: '0' }).prepared, 0);
  assert.equal(connectSettings({ listen: '5000', to: TO, prepared: '1000' }).prepared, 1000);
  for (const bad of ['-1', '1.5', 'two', '', '1001', '99999999999', '99999999999999999999']) {
    refused({ listen: '5000', to: TO, prepared: bad }, '--prepared', /^--prepared expects a whole number from 0 to 1000, got "/);
  }
});
